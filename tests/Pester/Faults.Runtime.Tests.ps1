# Issue 10, the runtime faults: QEMU, pwsh and the guest's sshd killed for real (by pid) in the middle of
# operations, the host disk filled for real (the VM folder on a small tmpfs), output without end.
# One test-guest VM, reused; each case records itself with Add-FaultRecord (docs/FAULTS.md).
Describe 'Runtime faults on the test guest' -Tag Faults, Integration {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        . $PSScriptRoot/FaultHelpers.ps1
        $config = @'
    GuestProjectPath = '/root/fp'
    Suites = @{
        Slow = @{ Command = 'cd slowmod && GOFLAGS=-count=1 GOPROXY=off go test -json ./...' }
        # go's work files on a 512 KiB file system in the guest: the test binary does not fit
        Full = @{ Command = 'cd slowmod && GOTMPDIR=/root/gofull GOFLAGS=-count=1 GOPROXY=off go test -json ./...' }
    }
'@
        $script:project = New-TestProject -VmName flt -ExtraConfig $config
        Push-Location $script:project
        # The VM folder lives on a tmpfs of its own: a full host disk is made by filling it.
        $script:vmRoot = Join-Path $script:project 'vm'
        New-Item -ItemType Directory $script:vmRoot | Out-Null
        & mount -t tmpfs -o size=1280m dfvm-faults $script:vmRoot
        if ($LASTEXITCODE -ne 0) { throw 'could not mount the tmpfs for the host-disk-full cases' }
        $script:mounted = $true
        $script:vmDir = Join-Path $script:vmRoot 'flt'
        $script:filler = Join-Path $script:vmRoot 'filler.bin'

        # A project worth syncing for a few seconds (6 MB in 24 files), and a Go test that sleeps.
        $rand = [Random]::new(10)
        New-Item -ItemType Directory (Join-Path $script:project 'data') | Out-Null
        foreach ($i in 1..24) {
            $bytes = [byte[]]::new(256KB); $rand.NextBytes($bytes)
            [IO.File]::WriteAllBytes((Join-Path $script:project "data/f$i.bin"), $bytes)
        }
        New-Item -ItemType Directory (Join-Path $script:project 'slowmod/slow') | Out-Null
        Set-Content (Join-Path $script:project 'slowmod/go.mod') "module example.com/slowmod`n`ngo 1.19"
        Set-Content (Join-Path $script:project 'slowmod/slow/slow_test.go') @'
package slow

import (
	"testing"
	"time"
)

func TestSleep(t *testing.T) { time.Sleep(300 * time.Second) }
'@

        New-TestGuestVm -Name flt -MemoryMB 768 | Out-Null
        Start-DfVm -Name flt -Timeout 240 -WarningAction SilentlyContinue | Out-Null
        Sync-DfVmProject -Name flt -Confirm:$false | Out-Null

        $script:modulePath = (Get-Module DfVm).Path
        # Outside the project: what the second pwsh prints must not be synced (and show up as drift).
        $script:work = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-faults-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        New-Item -ItemType Directory $script:work | Out-Null
        function Start-OtherPwsh([string] $Script) {
            # A second pwsh (its own SSH connection), its result in a file: 'RESULT:OK' or 'RESULT:<FullyQualifiedErrorId>'.
            # Started through bash's exec (the pid is pwsh's, New-PwshStartInfo) with plain file redirections: Start-Process -Redirect*
            # writes from event handlers that crashed this pwsh once the child was killed.
            $out = Join-Path $script:work ('pwsh-' + [guid]::NewGuid().ToString('N').Substring(0, 8) + '.txt')
            $full = "`$ProgressPreference = 'SilentlyContinue'; Import-Module '$($script:modulePath)'; Set-Location '$($script:project)'; " +
                "try { $Script; 'RESULT:OK' } catch { 'RESULT:' + `$_.FullyQualifiedErrorId; `$_.Exception.Message }"
            $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($full))
            $pwsh = New-PwshStartInfo '-NoProfile', '-NonInteractive', '-EncodedCommand', $encoded
            $psi = [Diagnostics.ProcessStartInfo]::new('bash')
            foreach ($a in @('-c', 'out=$1; shift; exec "$@" > "$out" 2>&1 < /dev/null', 'bash', $out, $pwsh.FileName) + @($pwsh.ArgumentList)) { $psi.ArgumentList.Add($a) }
            $psi.UseShellExecute = $false
            $p = [Diagnostics.Process]::Start($psi)
            $p | Add-Member NoteProperty OutFile $out -PassThru
        }
        function Get-OtherResult($Process, [int] $Seconds = 120) {
            if (-not $Process.WaitForExit($Seconds * 1000)) { Stop-Process -Id $Process.Id -Force; throw "the second pwsh did not end within $Seconds s" }
            $text = Get-Content $Process.OutFile -Raw
            if ($text -match 'RESULT:(\S+)') { return $Matches[1] }
            return "no result: $text"
        }
        function Get-QemuPid { (Get-DfVm -Name flt).ProcessId }
        function Stop-QemuHard {
            $qemu = Get-QemuPid
            & kill -9 $qemu
            Wait-Until -Seconds 10 { -not (Test-ProcessRunning $qemu) } | Out-Null
        }
        function Get-GuestStray {
            # What a cut operation could leave running in the guest.
            (Invoke-DfVmCommand -Name flt -Command 'ps -axww -o pid,command | grep -E "[s]leep 6[0-9][0-9]|[s]low\.test|[g]o test|[b]sdtar|[t]ar -x|[y]es " || true').Output
        }
        function Assert-Recovered([string] $Fault, [string] $During, [string] $ErrorId, [string] $Recovery) {
            # The VM runs and answers; nothing stray on host or guest; images clean; the next sync leaves no drift.
            if ((Get-DfVm -Name flt).State -ne 'Running') { Start-DfVm -Name flt -Timeout 240 -WarningAction SilentlyContinue | Out-Null }
            (Invoke-DfVmCommand -Name flt -Command 'echo answers').Output | Should -Be 'answers'
            $qemu = Get-QemuPid
            $left = @(Get-StrayHostProcess -VmDirectory $script:vmDir | Where-Object { $_ -notmatch "^$qemu " })
            if ($null -eq (Wait-Until -Seconds 15 { if (-not (Get-GuestStray)) { 'none' } })) { $left += @(Get-GuestStray | ForEach-Object { "guest: $_" }) }
            $left += @(Test-QemuImagesClean -VmDirectory $script:vmDir)
            Sync-DfVmProject -Name flt -Confirm:$false | Out-Null
            $verify = Sync-DfVmProject -Name flt -Verify -Confirm:$false
            if (-not $verify.Verified) { $left += @($verify.Drift | ForEach-Object { "drift: $_" }) }
            Add-FaultRecord -Fault $Fault -During $During -ErrorId $ErrorId -LeftBehind $left -Recovery $Recovery
            $left | Should -BeNullOrEmpty
        }
        function Wait-GuestProcess([string] $Pattern, [int] $Seconds = 60, [int] $MaxIntervalMs = 0) {
            $found = Wait-Until -Seconds $Seconds -IntervalMs 300 -MaxIntervalMs $MaxIntervalMs { (Invoke-DfVmCommand -Name flt -Command "ps -axww -o pid,command | grep -E '$Pattern' || true").Output }
            $found | Should -Not -BeNullOrEmpty -Because "the guest should be running /$Pattern/"
            $found
        }
        function Fill-HostDisk([long] $LeaveBytes) {
            # Fills the tmpfs under the VM folder up to $LeaveBytes free (the filler is removed to free it again).
            $free = [long]((& df -P -B1 $script:vmRoot)[1] -split '\s+')[3]
            $size = [Math]::Max(0, $free - $LeaveBytes)
            & fallocate -l $size $script:filler
            if ($LASTEXITCODE -ne 0) { & dd if=/dev/zero of=$script:filler bs=1M count=([long]($size / 1MB)) status=none }
            # Nothing left at all: top up page by page until the file system refuses (dd then fails, as it should).
            if ($LeaveBytes -eq 0) { & dd if=/dev/zero of="$($script:filler).tail" bs=4k status=none 2>$null }
        }
        function Clear-HostDisk {
            Remove-Item $script:filler, "$($script:filler).tail" -Force -ErrorAction SilentlyContinue
        }
    }
    AfterAll {
        Clear-HostDisk
        Pop-Location
        Push-Location $script:project
        try { Get-DfVm -ErrorAction SilentlyContinue | Where-Object ProcessId | ForEach-Object { Stop-DfVm -Name $_.Name -Force -Confirm:$false -ErrorAction SilentlyContinue } }
        finally { Pop-Location }
        if ($script:mounted) {
            # A QEMU just ended may hold the file system for a moment: retry, then detach it lazily.
            $unmounted = Wait-Until -Seconds 20 -IntervalMs 250 { & umount $script:vmRoot 2>$null; $LASTEXITCODE -eq 0 }
            if (-not $unmounted) { & umount -l $script:vmRoot }
        }
        Remove-TestProject -Path $script:project
        if ($script:work) { Remove-Item $script:work -Recurse -Force -ErrorAction SilentlyContinue }
    }

    It 'output without a newline is cut and marked, the command streams on, and a warning says what was cut' {
        $warnings = $null
        $r = Invoke-DfVmCommand -Name flt -Command 'head -c 3000000 /dev/zero | tr "\0" x; echo; echo after' -WarningVariable warnings -WarningAction SilentlyContinue
        $lines = $r.Output -split "`n"
        $lines[0].Length | Should -BeLessThan 70000
        $lines[0] | Should -Match 'DfVm: line longer than 65536 characters'
        $lines[-1] | Should -Be 'after'
        "$warnings" | Should -Match '1 line\(s\) longer than 65536'
        Add-FaultRecord -Fault '3 MB on one line' -During 'Invoke-DfVmCommand' -Recovery 'line cut at 64 KiB with a marker and a warning; the command ran to its end'
    }

    It 'the guest sshd killed under a long command: GuestConnectionLost, and the command does not run on' {
        $other = Start-OtherPwsh "Invoke-DfVmCommand -Name flt -Command 'sleep 601; echo late' -ErrorAction Stop"
        Wait-GuestProcess '^ *[0-9]+ sleep 601' | Out-Null
        # Walk up from the sleep to the sshd that serves its connection, and kill that one only.
        $kill = 'p=$(ps -axww -o pid,command | awk ''$2=="sleep" && $3=="601"{print $1; exit}''); ' +
            'while [ -n "$p" ] && [ "$p" != 1 ]; do a=$(tr "\0" " " < /proc/$p/cmdline); case "$a" in sshd*) kill -9 $p; echo "killed $p $a"; break;; esac; p=$(awk ''{print $4}'' /proc/$p/stat); done'
        (Invoke-DfVmCommand -Name flt -Command $kill).Output | Should -Match '^killed \d+ sshd'
        $id = Get-OtherResult $other
        $id | Should -Be 'GuestConnectionLost,DfVm.PowerShell.Commands.InvokeDfVmCommandCommand'
        Assert-Recovered -Fault 'guest sshd kill -9' -During 'Invoke-DfVmCommand (sleep)' -ErrorId $id -Recovery 'the orphaned command was ended over a new connection'
    }

    It 'QEMU killed in the middle of a sync: an error, then a new boot and a sync that leaves no drift' {
        # Make the guest copy stale so the whole 12 MB goes again.
        Invoke-DfVmCommand -Name flt -Command 'rm -rf /root/fp/data' | Out-Null
        $other = Start-OtherPwsh "Sync-DfVmProject -Name flt -Full -Confirm:`$false -ErrorAction Stop | Out-Null"
        Wait-GuestProcess '[b]sdtar|[t]ar -x' | Out-Null
        Stop-QemuHard
        $id = Get-OtherResult $other
        $id | Should -Not -Be 'OK'
        $id | Should -Not -Match '^System\.' -Because 'an error the user gets has a stable DfVm id, not a bare .NET exception'
        Assert-Recovered -Fault 'QEMU kill -9' -During 'Sync-DfVmProject' -ErrorId $id -Recovery 'Start-DfVm booted it; the next sync sent everything again'
    }

    It 'QEMU killed in the middle of a test run: an error naming the lost connection, no go left anywhere' {
        $other = Start-OtherPwsh "Invoke-DfVmTest -Name flt -Suite Slow -ErrorAction Stop | Out-Null"
        # slow.test sleeps for minutes once built: polls that back off leave the guest's compile more of its one vCPU
        Wait-GuestProcess '[s]low\.test' -Seconds 150 -MaxIntervalMs 2000 | Out-Null
        Stop-QemuHard
        $id = Get-OtherResult $other
        $id | Should -Match '^GuestConnectionLost,'
        Assert-Recovered -Fault 'QEMU kill -9' -During 'Invoke-DfVmTest' -ErrorId $id -Recovery 'Start-DfVm booted it'
    }

    It 'pwsh killed in the middle of a sync: the next sync sends what is missing, no drift' {
        Invoke-DfVmCommand -Name flt -Command 'rm -rf /root/fp/data' | Out-Null
        $other = Start-OtherPwsh "Sync-DfVmProject -Name flt -Full -Confirm:`$false | Out-Null"
        Wait-GuestProcess '[b]sdtar|[t]ar -x' | Out-Null
        & kill -9 $other.Id
        $other.WaitForExit(10000) | Should -BeTrue
        Assert-Recovered -Fault 'pwsh kill -9' -During 'Sync-DfVmProject' -Recovery 'the next sync sent what was missing'
    }

    It 'pwsh killed in the middle of a live restore: the next Start-DfVm resumes the saved memory' {
        Invoke-DfVmCommand -Name flt -Command 'echo in-memory > /tmp/ram-marker' | Out-Null
        Checkpoint-DfVm -Name flt -SnapshotName warm | Out-Null
        Invoke-DfVmCommand -Name flt -Command 'rm -f /tmp/ram-marker' | Out-Null
        $journal = Join-Path $script:vmDir 'snapshots/.journal.json'
        $other = Start-OtherPwsh "Restore-DfVmSnapshot warm -Name flt -Force"
        $seen = Wait-Until -Seconds 60 -IntervalMs 20 { if ((Test-Path $journal) -and (Get-Content $journal -Raw -ErrorAction SilentlyContinue) -match '"DiskRestored":\s*true') { $true } }
        & kill -9 $other.Id
        $seen | Should -BeTrue -Because 'the restore got as far as the disk swap'
        $other.WaitForExit(30000) | Should -BeTrue
        Wait-Until -Seconds 30 { -not (Test-Path "/proc/$($other.Id)") } | Should -BeTrue
        $warnings = $null
        Start-DfVm -Name flt -Timeout 240 -WarningVariable warnings -WarningAction SilentlyContinue -ErrorAction Stop | Out-Null
        (Invoke-DfVmCommand -Name flt -Command 'cat /tmp/ram-marker').Output | Should -Be 'in-memory'
        Test-Path $journal | Should -BeFalse
        # Where the kill landed: before the guest ran again (recovery resumed it from the journal, warning so), or
        # after its cont (the restore had settled its journal; the resumed guest ran on). Either way it runs the
        # snapshot's memory; what it writes from then on is never thrown away by a second resume (issue 19).
        Write-Host "recovery said: $(@($warnings) -join ' | ')"
        Assert-Recovered -Fault 'pwsh kill -9' -During 'Restore-DfVmSnapshot (live)' -Recovery 'the guest runs the saved memory: Start-DfVm resumed it from the restore journal, or the restore had resumed it before the kill'
    }

    It 'QEMU killed in the middle of a live restore: an error with an id, the disk at the snapshot, Start-DfVm boots' {
        $before = Get-QemuPid
        $other = Start-OtherPwsh "Restore-DfVmSnapshot warm -Name flt -Force -ErrorAction Stop"
        $new = Wait-Until -Seconds 60 -IntervalMs 20 { $p = Get-QemuPid; if ($p -and $p -ne $before) { $p } }
        $new | Should -Not -BeNullOrEmpty
        & kill -9 $new
        $id = Get-OtherResult $other
        $id | Should -Not -Be 'OK' -Because 'the QEMU the restore launched was killed before the guest could answer'
        $id | Should -Not -Match '^System\.'
        Assert-Recovered -Fault 'QEMU kill -9' -During 'Restore-DfVmSnapshot (live)' -ErrorId $id -Recovery 'the restore failed whole or finished; Start-DfVm booted the snapshot'
    }

    It 'QEMU killed in the middle of a stop: Stop-DfVm ends cleanly' {
        $other = Start-OtherPwsh "Stop-DfVm -Name flt -Confirm:`$false -ErrorAction Stop"
        $qemu = Get-QemuPid
        $pressed = Wait-Until -Seconds 30 -IntervalMs 20 { Select-String -Quiet -Path (Join-Path $script:vmDir 'serial.log') -Pattern 'power button, shutting down' }
        & kill -9 $qemu
        $pressed | Should -BeTrue -Because 'QEMU was killed while the guest was shutting down'
        $id = Get-OtherResult $other
        $id | Should -Be 'OK'
        (Get-DfVm -Name flt).State | Should -Be 'Stopped'
        Assert-Recovered -Fault 'QEMU kill -9' -During 'Stop-DfVm' -Recovery 'Stop-DfVm returned; Start-DfVm booted it'
    }

    It 'a full guest disk during a sync: GuestDiskFull, and the next sync repairs it once there is room' {
        (Invoke-DfVmCommand -Name flt -Command 'mkdir -p /root/fp/data && mount -t tmpfs -o size=2m dfvmfull /root/fp/data').ExitCode | Should -Be 0
        try {
            $err = $null
            Sync-DfVmProject -Name flt -Full -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
        }
        finally { Invoke-DfVmCommand -Name flt -Command 'umount /root/fp/data' | Out-Null }
        $id = "$($err[0].FullyQualifiedErrorId)"
        $id | Should -Be 'GuestDiskFull,DfVm.PowerShell.Commands.SyncDfVmProjectCommand'
        $err[0].Exception.Message | Should -Match 'guest disk of VM .flt. is full'
        $err[0].TargetObject | Should -Be 'flt'
        Assert-Recovered -Fault 'guest disk full' -During 'Sync-DfVmProject' -ErrorId $id -Recovery 'after freeing space the next sync sent what was missing'
    }

    It 'a full guest disk during go test: the rows say the build failed and GuestDiskFull says why' {
        (Invoke-DfVmCommand -Name flt -Command 'mkdir -p /root/gofull && mount -t tmpfs -o size=512k dfvmgo /root/gofull').ExitCode | Should -Be 0
        try {
            $err = $null
            $rows = @(Invoke-DfVmTest -Name flt -Suite Full -ErrorVariable err -ErrorAction SilentlyContinue)
        }
        finally { Invoke-DfVmCommand -Name flt -Command 'umount /root/gofull' | Out-Null }
        $id = "$($err[0].FullyQualifiedErrorId)"
        $id | Should -Be 'GuestDiskFull,DfVm.PowerShell.Commands.InvokeDfVmTestCommand'
        $err[0].Exception.Message | Should -Match 'no space left on device'
        @($rows | Where-Object Failed).Count | Should -BeGreaterThan 0
        Assert-Recovered -Fault 'guest disk full' -During 'Invoke-DfVmTest (go test)' -ErrorId $id -Recovery 'the guest file system was freed; nothing was left running'
    }

    It 'a full host disk stops the guest under a command: HostDiskFull at once, and it runs on once space is free' {
        Fill-HostDisk -LeaveBytes 24MB
        $err = $null
        $watch = [Diagnostics.Stopwatch]::StartNew()
        Invoke-DfVmCommand -Name flt -Command 'dd if=/dev/urandom of=/root/big bs=1M count=64 conv=fsync 2>&1; echo wrote' -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 90
        $err[0].FullyQualifiedErrorId | Should -Be 'HostDiskFull,DfVm.PowerShell.Commands.InvokeDfVmCommandCommand'
        $err[0].Exception.Message | Should -Match ([regex]::Escape($script:vmRoot))
        $err[0].TargetObject | Should -Be 'flt'
        # Still full: the next command says so at once instead of hanging.
        { Invoke-DfVmCommand -Name flt -Command 'true' -ErrorAction Stop } | Should -Throw -ErrorId 'HostDiskFull,DfVm.PowerShell.Commands.InvokeDfVmCommandCommand'
        Clear-HostDisk
        (Invoke-DfVmCommand -Name flt -Command 'rm -f /root/big; echo resumed' -WarningAction SilentlyContinue).Output | Should -Be 'resumed'
        Assert-Recovered -Fault 'host disk full' -During 'Invoke-DfVmCommand (guest writing)' -ErrorId 'HostDiskFull' -Recovery 'the next command after freeing space let the guest run on (cont)'
    }

    It 'a full host disk at the sync manifest write: HostDiskFull, and the next sync sends what the manifest could not record' {
        # 3,000 new files make the manifest grow past the room the old one frees. They land on a tmpfs in the
        # guest, so the guest writes nothing to its disk: only the manifest needs host space, and none is left.
        $many = Join-Path $script:project 'many'
        New-Item -ItemType Directory $many | Out-Null
        foreach ($i in 1..3000) { [IO.File]::WriteAllText((Join-Path $many "a-file-with-a-rather-long-name-$i.txt"), "$i") }
        (Invoke-DfVmCommand -Name flt -Command 'mkdir -p /root/fp/many && mount -t tmpfs -o size=64m dfvmmany /root/fp/many').ExitCode | Should -Be 0
        try {
            Fill-HostDisk -LeaveBytes 0
            $err = $null
            Sync-DfVmProject -Name flt -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
        }
        finally {
            Clear-HostDisk
            # The guest loses what the failed sync sent: only a sync that did not record it sends it again.
            Invoke-DfVmCommand -Name flt -Command 'umount /root/fp/many' | Out-Null
        }
        $id = "$($err[0].FullyQualifiedErrorId)"
        $id | Should -Be 'HostDiskFull,DfVm.PowerShell.Commands.SyncDfVmProjectCommand'
        $err[0].Exception.Message | Should -Match 'sync-manifest'
        Assert-Recovered -Fault 'host disk full' -During 'Sync-DfVmProject (manifest write)' -ErrorId $id -Recovery 'the next sync listed the guest and sent what the unsaved manifest would have skipped'
        Remove-Item $many -Recurse -Force
        Sync-DfVmProject -Name flt -Confirm:$false | Out-Null
    }

    It 'a full host disk during a live checkpoint: SnapshotFailed, the VM runs on, no half snapshot' {
        Fill-HostDisk -LeaveBytes 8MB
        $err = $null
        Checkpoint-DfVm -Name flt -SnapshotName full -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
        $id = "$($err[0].FullyQualifiedErrorId)"
        $id | Should -Be 'SnapshotFailed,DfVm.PowerShell.Commands.CheckpointDfVmCommand'
        Clear-HostDisk
        (Get-DfVmSnapshot -Name flt).Name | Should -Not -Contain 'full'
        Get-ChildItem (Join-Path $script:vmDir 'snapshots') -Filter '*.tmp*' | Should -BeNullOrEmpty
        Assert-Recovered -Fault 'host disk full' -During 'Checkpoint-DfVm (live)' -ErrorId $id -Recovery 'the checkpoint was undone; the guest ran on'
    }

    It 'a full host disk during a download: ImageDownloadFailed naming the full file system, then the download completes' {
        # A 3 MB release image served by python3's http.server, saved into vm/images on the small tmpfs.
        $served = Join-Path $script:work 'mirror'
        New-Item -ItemType Directory $served | Out-Null
        $version = '9.9.4'
        $iso = Join-Path $served "dfly-x86_64-$($version)_REL.iso"
        $bytes = [byte[]]::new(3MB); [Random]::new(11).NextBytes($bytes)
        [IO.File]::WriteAllBytes($iso, $bytes)
        $isoMd5 = ([Security.Cryptography.MD5]::HashData($bytes) | ForEach-Object { $_.ToString('x2') }) -join ''
        & bzip2 -9 $iso
        $bz2 = "dfly-x86_64-$($version)_REL.iso.bz2"
        $md5 = (Get-FileHash -Algorithm MD5 (Join-Path $served $bz2)).Hash.ToLowerInvariant()
        [IO.File]::WriteAllText((Join-Path $served 'md5.txt'), "MD5 ($bz2) = $md5`n")
        $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
        $psi = [Diagnostics.ProcessStartInfo]::new('bash')
        foreach ($a in '-c', 'exec python3 -m http.server "$1" --bind 127.0.0.1 --directory "$2" > /dev/null 2>&1', 'bash', "$port", $served) { $psi.ArgumentList.Add($a) }
        $psi.UseShellExecute = $false
        $server = [Diagnostics.Process]::Start($psi)
        try {
            Wait-Until -Seconds 15 { try { [Net.Sockets.TcpClient]::new('127.0.0.1', $port).Dispose(); $true } catch { $false } } | Should -BeTrue
            $mirror = "http://127.0.0.1:$port/"
            Fill-HostDisk -LeaveBytes 1MB
            $err = $null
            Save-DfVmImage -Version $version -Mirror $mirror -ErrorVariable err -ErrorAction SilentlyContinue | Out-Null
            $id = "$($err[0].FullyQualifiedErrorId)"
            $id | Should -Be 'ImageDownloadFailed,DfVm.PowerShell.Commands.SaveDfVmImageCommand'
            $err[0].Exception.Message | Should -Match 'file system holding it is full'
            Clear-HostDisk
            (Save-DfVmImage -Version $version -Mirror $mirror).Md5 | Should -Be $isoMd5
        }
        finally {
            Clear-HostDisk
            if (-not $server.HasExited) { $server.Kill() }
        }
        Assert-Recovered -Fault 'host disk full' -During 'Save-DfVmImage' -ErrorId $id -Recovery 'the next Save-DfVmImage downloaded it whole and verified it'
    }
}
