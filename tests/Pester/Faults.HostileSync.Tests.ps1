# Issue 19, the hostile-guest fault class for the sync: the guest's own find, od and sha256sum replaced
# (a script first on the PATH that the sync's guest commands get) by ones that flood without end or lie
# (names that leave the destination, bytes that are not od's hex). Each case runs Sync-DfVmProject in a
# second pwsh (so its peak working set is its own, and a sync that never ends is killed by pid at a
# deadline), then checks: the error id, that pwsh's memory stayed bounded, that nothing outside the
# destination in the guest changed, that no process is left (host or guest), and that the next sync,
# with the real tools back, leaves the guest without drift.
Describe 'Hostile guest tools during Sync-DfVmProject' -Tag Faults, Integration {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        . $PSScriptRoot/FaultHelpers.ps1
        $script:modulePath = (Resolve-Path $(if ($env:DFVM_MODULE_PATH) { $env:DFVM_MODULE_PATH } else { Join-Path $PSScriptRoot '../../out/DfVm/DfVm.psd1' })).ProviderPath
        Import-Module $script:modulePath
        $script:project = New-TestProject -VmName hostile -ExtraConfig "    GuestProjectPath = '/root/hs/proj'"
        Push-Location $script:project
        foreach ($f in 'a.txt', 'pkg/b.go', 'pkg/sub/c.go') {
            New-Item -ItemType File -Force -Path (Join-Path $script:project $f) -Value "content of $f`n" | Out-Null
        }
        New-TestGuestVm -Name hostile | Out-Null
        Start-TestGuestVm -Name hostile -Timeout 1500
        Sync-DfVmProject -Name hostile | Out-Null

        # Outside the destination, next to it: a folder the lies name ("./../outside"); it must stay as it is.
        $r = Invoke-DfVmCommand -Name hostile -Command 'mkdir -p /root/hs/outside && echo precious > /root/hs/outside/keep.txt && echo "$PATH"'
        $r.ExitCode | Should -Be 0
        # The sync's commands run as this command does (/bin/sh -c over the same SSH exec): the first
        # folder of this PATH is where a fake tool shadows the real one.
        $script:fakeDir = ($r.Output.Trim() -split ':')[0]
        $script:fakeDir | Should -Match '^/'
        $script:fakeDirMade = (Invoke-DfVmCommand -Name hostile -Command "test -d '$($script:fakeDir)' || { mkdir -p '$($script:fakeDir)' && echo made; }").Output -eq 'made'
        $script:fakes = [Collections.Generic.List[string]]::new()
        $script:work = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-hostile-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        New-Item -ItemType Directory $script:work | Out-Null

        function script:Set-FakeTool([string] $Name, [string] $Body) {
            # A POSIX sh script named $Name first on the PATH; refuses to hide a real tool of that folder.
            $path = "$($script:fakeDir)/$Name"
            $cmd = "test -e '$path' && { echo 'a real $path exists' >&2; exit 1; }; cat > '$path' <<'DFVM_FAKE'`n#!/bin/sh`n$Body`nDFVM_FAKE`nchmod 755 '$path' && command -v $Name"
            $r = Invoke-DfVmCommand -Name hostile -Command $cmd
            $r.ExitCode | Should -Be 0 -Because $r.Error
            $r.Output.Trim() | Should -Be $path -Because ("the fake $Name must be the one the guest's sh finds (a busybox sh runs its own " +
                "applet for a bare name whatever PATH says: these cases need a guest whose /bin/sh is not busybox, as the DragonFly-strict test guest)")
            $script:fakes.Add($path)
        }

        function script:Remove-FakeTools {
            foreach ($p in $script:fakes) { Invoke-DfVmCommand -Name hostile -Command "rm -f '$p'" | Out-Null }
            $script:fakes.Clear()
        }

        function script:Invoke-SyncChild([string] $Arguments, [int] $Seconds = 240) {
            # Sync-DfVmProject in a second pwsh; returns its error id (or OK) and its peak working set.
            # A child still running at the deadline is killed by its pid: the sync never ended.
            $out = Join-Path $script:work ('child-' + [guid]::NewGuid().ToString('N').Substring(0, 8) + '.txt')
            $text = "`$ProgressPreference = 'SilentlyContinue'; Import-Module '$($script:modulePath)'; Set-Location -LiteralPath '$($script:project)'; " +
                "`$id = try { Sync-DfVmProject -Name hostile $Arguments -ErrorAction Stop | Out-Null; 'OK' } catch { `$_.FullyQualifiedErrorId + ' ' + `$_.Exception.Message }; " +
                "`$peak = [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64; " +
                "Set-Content -LiteralPath '$out' -Value ('PEAK ' + `$peak), ('RESULT ' + `$id)"
            $psi = New-PwshStartInfo '-NoProfile', '-NonInteractive', '-EncodedCommand', ([Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($text)))
            $p = [Diagnostics.Process]::Start($psi)
            $base = $null
            $clock = [Diagnostics.Stopwatch]::StartNew()
            if (-not $p.WaitForExit($Seconds * 1000)) {
                $ws = try { $p.Refresh(); $p.WorkingSet64 } catch { 0 }
                $p.Kill()
                $p.WaitForExit()
                throw "the sync was still running after $Seconds s (working set then $([math]::Round($ws / 1MB)) MiB): killed by pid $($p.Id)"
            }
            $lines = Get-Content -LiteralPath $out
            Remove-Item -LiteralPath $out
            [pscustomobject]@{
                Result = (($lines | Where-Object { $_ -like 'RESULT *' }) -replace '^RESULT ', '')
                PeakMiB = [math]::Round([long](($lines | Where-Object { $_ -like 'PEAK *' }) -replace '^PEAK ', '') / 1MB)
                Seconds = [math]::Round($clock.Elapsed.TotalSeconds, 1)
            }
        }

        function script:Get-LeftBehind {
            # What a case left: host processes of the VM folder (but its QEMU), guest processes of the fakes or the
            # sync, a changed folder outside the destination, drift after a sync with the real tools.
            $left = [Collections.Generic.List[string]]::new()
            $vm = Get-DfVm -Name hostile
            foreach ($p in Get-StrayHostProcess -VmDirectory (Join-Path $script:project 'vm')) {
                if (-not ($vm.ProcessId -and $p.StartsWith("$($vm.ProcessId) "))) { $left.Add("host: $p") }
            }
            # (the fakes by their path as an argument of sh, not the sshd that lives in a folder of that name)
            $pattern = "\byes\b|\s$([regex]::Escape($script:fakeDir))/(od|find|sha256sum|sha256)\b|find \.|\bod -A|\bsha256(sum)? |tar -x|sshd: .*notty.*\d"
            $guestLeft = { @((Invoke-DfVmCommand -Name hostile -Command 'ps -axww -o pid,command').Output -split "`n" | Where-Object { $_ -match $pattern }) }
            # A killed command's processes end as the guest gets to it (one was seen <defunct>, not yet reaped, under
            # load): what still runs after the deadline is left behind.
            $null = Wait-Until -Seconds 20 -IntervalMs 1000 { (& $guestLeft).Count -eq 0 }
            foreach ($l in & $guestLeft) { $left.Add("guest: $($l.Trim())") }
            $outside = (Invoke-DfVmCommand -Name hostile -Command 'cd /root/hs && find outside | sort && cat outside/keep.txt').Output -split "`n"
            if (($outside -join '|') -ne 'outside|outside/keep.txt|precious') { $left.Add("outside the destination: $($outside -join ', ')") }
            $r = Sync-DfVmProject -Name hostile -Verify
            if (-not $r.Verified) { $left.Add("drift: $($r.Drift -join ', ')") }
            return , $left.ToArray()
        }

        # Sh text that prints one line forever (yes when the guest has it). The line is built at run time:
        # root's login shell (csh) refuses words over 1,024 characters in the command that writes the script.
        $script:forever = 'command -v yes >/dev/null 2>&1 && exec yes "$l"; while :; do printf ''%s\n'' "$l"; done'
        # od -t x1 of "./" + 1,000 a's + NUL, as od prints it: one record per line.
        $script:odFlood = 'l="2e 2f"; i=0; while [ $i -lt 200 ]; do l="$l 61 61 61 61 61"; i=$((i+1)); done; l="$l 00"; ' + $script:forever
        $script:hash = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
        # A bounded sync's pwsh stays well under this; an unbounded capture of the floods below passes it in seconds.
        $script:peakLimitMiB = 700
    }
    AfterAll {
        if ($script:fakes) { Remove-FakeTools }
        if ($script:fakeDirMade) { Invoke-DfVmCommand -Name hostile -Command "rmdir '$($script:fakeDir)'" -ErrorAction SilentlyContinue | Out-Null }
        Pop-Location
        # A start that timed out may leave its QEMU without a recorded pid: end it by the pid file it wrote.
        $pidFile = Join-Path $script:project 'vm/hostile/qemu.pid'
        if (Test-Path $pidFile) {
            $qemuPid = [int](Get-Content $pidFile -Raw).Trim()
            $cmd = try { [IO.File]::ReadAllText("/proc/$qemuPid/cmdline") } catch { '' }
            if ($cmd.Contains($script:project)) { Stop-Process -Id $qemuPid -Force -ErrorAction SilentlyContinue }
        }
        Remove-TestProject -Path $script:project
        if ($script:work) { Remove-Item -LiteralPath $script:work -Recurse -Force -ErrorAction SilentlyContinue }
    }
    AfterEach { Remove-FakeTools }

    It 'od that floods without end: SyncGuestOutputInvalid, pwsh memory bounded, od ended in the guest' {
        Set-FakeTool od $script:odFlood
        $c = Invoke-SyncChild '-Full' -Seconds 900
        Write-Host "od flood: $($c.Result) (peak working set $($c.PeakMiB) MiB, $($c.Seconds) s)"
        Remove-FakeTools
        $left = Get-LeftBehind
        Add-FaultRecord -Fault 'guest od floods (endless records, yes)' -During 'Sync-DfVmProject -Full (guest listing)' -ErrorId ($c.Result -split ',')[0] `
            -LeftBehind $left -Recovery "the listing stopped at its bound (pwsh peak $($c.PeakMiB) MiB), the guest command was killed; the next sync with the real od verified clean"
        $c.Result | Should -BeLike 'SyncGuestOutputInvalid,*'
        $c.Result | Should -Match 'more than'
        $c.PeakMiB | Should -BeLessThan $script:peakLimitMiB
        $left | Should -BeNullOrEmpty
    }

    It 'find that lies (a name leaving the destination): SyncGuestOutputInvalid, nothing outside the destination touched' {
        # Three sections as the real listing has them, each naming ../outside: a sync that believed it would rm -rf it.
        Set-FakeTool find "printf './../outside\0./a.txt\0'"
        $c = Invoke-SyncChild '-Full'
        Write-Host "find lie: $($c.Result)"
        Remove-FakeTools
        $left = Get-LeftBehind
        Add-FaultRecord -Fault 'guest find lies (./../outside in the listing)' -During 'Sync-DfVmProject -Full (guest listing)' -ErrorId ($c.Result -split ',')[0] `
            -LeftBehind $left -Recovery 'nothing was planned from the listing; the folder next to the destination is intact; the next sync verified clean'
        $c.Result | Should -BeLike 'SyncGuestOutputInvalid,*'
        $c.Result | Should -Match 'outside the destination|plain path'
        $left | Should -BeNullOrEmpty
    }

    It 'od that prints garbage numbers: SyncGuestOutputInvalid' {
        Set-FakeTool od "cat >/dev/null; echo ' 2e 2f 9g -1 00'"
        $c = Invoke-SyncChild '-Full'
        Write-Host "od garbage: $($c.Result)"
        Remove-FakeTools
        $left = Get-LeftBehind
        Add-FaultRecord -Fault 'guest od prints garbage (not hex bytes)' -During 'Sync-DfVmProject -Full (guest listing)' -ErrorId ($c.Result -split ',')[0] `
            -LeftBehind $left -Recovery 'nothing was planned from the listing; the next sync verified clean'
        $c.Result | Should -BeLike 'SyncGuestOutputInvalid,*'
        $c.Result | Should -Match 'hex'
        $left | Should -BeNullOrEmpty
    }

    It 'sha256 that floods without end during -Verify: SyncGuestOutputInvalid, pwsh memory bounded' {
        # The hashing runs sha256sum when the guest has one, else BSD sha256 -r: a sha256sum first on the PATH is what it runs
        # (DragonFly has none; its real sha256 lives in /sbin, which a fake must not hide).
        # "<sha256>  ./" + 4,096 b's, forever.
        $flood = 'n=b; i=0; while [ $i -lt 12 ]; do n=$n$n; i=$((i+1)); done; l="' + $script:hash + '  ./$n"; ' + $script:forever
        Set-FakeTool sha256sum $flood
        $c = Invoke-SyncChild '-Verify' -Seconds 900
        Write-Host "sha256 flood: $($c.Result) (peak working set $($c.PeakMiB) MiB, $($c.Seconds) s)"
        Remove-FakeTools
        $left = Get-LeftBehind
        Add-FaultRecord -Fault 'guest sha256 floods (endless hash lines, yes)' -During 'Sync-DfVmProject -Verify (guest hashing)' -ErrorId ($c.Result -split ',')[0] `
            -LeftBehind $left -Recovery "the hash list stopped at its bound (pwsh peak $($c.PeakMiB) MiB), the guest command was killed; the next -Verify with the real tools was clean"
        $c.Result | Should -BeLike 'SyncGuestOutputInvalid,*'
        $c.PeakMiB | Should -BeLessThan $script:peakLimitMiB
        $left | Should -BeNullOrEmpty
    }

    It 'sha256 that lies (an absolute name) during -Verify: SyncGuestOutputInvalid' {
        $lie = "printf '%s  /etc/passwd\n' '$($script:hash)'"
        Set-FakeTool sha256sum $lie
        $c = Invoke-SyncChild '-Verify'
        Write-Host "sha256 lie: $($c.Result)"
        Remove-FakeTools
        $left = Get-LeftBehind
        Add-FaultRecord -Fault 'guest sha256 lies (/etc/passwd in the hash list)' -During 'Sync-DfVmProject -Verify (guest hashing)' -ErrorId ($c.Result -split ',')[0] `
            -LeftBehind $left -Recovery 'the lie was refused, not reported as drift; the next -Verify with the real tools was clean'
        $c.Result | Should -BeLike 'SyncGuestOutputInvalid,*'
        $left | Should -BeNullOrEmpty
    }
}
