# Issue 19 (items 1-5 and the hostile-guest class for Copy-DfVmItem) and issue 18 defect 3, on one booted
# test guest, with pwsh running as root on the host (as in CI containers): what the guest sends is untrusted.
# First the guest's real bsdtar on hostile trees (device nodes, setuid files, links out, odd names, a
# wildcard with a command in it, a copy killed half-way), then a guest `tar` that lies (a script put first on
# the guest's PATH). Each case: an error with an id or a CopySkippedEntry warning, nothing written outside
# the destination (a canary folder beside it stays empty), no process left (host and guest), memory bounded.
Describe 'Copy-DfVmItem -FromGuest against a hostile guest' -Tag Faults, Integration {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        . $PSScriptRoot/FaultHelpers.ps1
        $script:modulePath = (Resolve-Path $(if ($env:DFVM_MODULE_PATH) { $env:DFVM_MODULE_PATH } else { Join-Path $PSScriptRoot '../../out/DfVm/DfVm.psd1' })).ProviderPath
        $script:project = New-TestProject -VmName hcopy
        $script:vmRoot = Join-Path $script:project 'vm'
        Push-Location $script:project
        New-TestGuestVm -Name hcopy | Out-Null
        Start-TestGuestVm -Name hcopy -Timeout 900
        $script:children = [Collections.Generic.List[Diagnostics.Process]]::new()
        $script:n = 0

        function script:G([string] $Command) { (Invoke-DfVmCommand -Name hcopy -Command $Command).Output }

        function script:New-Place {
            # A fresh host folder with a destination (not made yet) and a canary folder beside it.
            $script:n++
            $base = Join-Path $script:project "case$($script:n)"
            New-Item -ItemType Directory -Force (Join-Path $base 'canary') | Out-Null
            [pscustomobject]@{ Base = $base; Dest = (Join-Path $base 'dest'); Canary = (Join-Path $base 'canary') }
        }

        function script:Get-Outside($Place) {
            # Whatever is in the case folder other than the destination and an empty canary: written outside.
            @(Get-ChildItem -LiteralPath $Place.Base -Force -Name | Where-Object { $_ -notin 'dest', 'canary' }) +
            @(Get-ChildItem -LiteralPath $Place.Canary -Force -Recurse -Name | ForEach-Object { "canary/$_" })
        }

        function script:Get-LeftBehind($Place) {
            # Stray host processes (QEMU aside), a DfVm temp folder, writes outside the destination, guest processes of the copy.
            $left = [Collections.Generic.List[string]]::new()
            $vm = Get-DfVm -Name hcopy
            foreach ($p in Get-StrayHostProcess -VmDirectory $script:vmRoot) {
                if (-not ($vm.ProcessId -and $p.StartsWith("$($vm.ProcessId) "))) { $left.Add("host: $p") }
            }
            foreach ($p in Get-ChildItem /proc -Directory -ErrorAction SilentlyContinue | Where-Object Name -match '^\d+$') {
                $cmd = try { [IO.File]::ReadAllText("/proc/$($p.Name)/cmdline") -replace "`0", ' ' } catch { '' }
                if ($cmd -match '^(\S*/)?tar ' -and $cmd.Contains($script:project)) { $left.Add("host: $($p.Name) $cmd") }
            }
            if ($Place) {
                foreach ($o in Get-Outside $Place) { $left.Add("outside: $o") }
                if (Test-Path -LiteralPath $Place.Dest) {
                    foreach ($t in Get-ChildItem -LiteralPath $Place.Dest -Force -Name -Filter '.dfvm-copy-*') { $left.Add("temp: $t") }
                }
            }
            $vm.State | Should -Be 'Running'
            # every process (-A: without it procps and BSD ps list only the caller's session); a zombie is no
            # process left running: its parent is gone or reaps it
            foreach ($l in (G 'ps -axww -o pid,command') -split "`n") {
                if ($l -match 'faketar|\byes\b|cat /dev/zero|tar -c|uuencode' -and $l -notmatch '<defunct>') { $left.Add("guest: $($l.Trim())") }
            }
            return , $left.ToArray()
        }

        function script:Start-Child {
            # A second pwsh on the same built module running $Command; it prints the error id (or OK) and its peak memory (VmHWM, MiB).
            param([Parameter(Mandatory)][string] $Command)
            $text = "`$ProgressPreference = 'SilentlyContinue'; Import-Module '$($script:modulePath)'; Set-Location -LiteralPath '$($script:project)'; " +
                "try { `$null = & { $Command }; 'OK' } catch { `$_.FullyQualifiedErrorId } " +
                "'HWM ' + [int](((Get-Content /proc/self/status | Where-Object { `$_ -like 'VmHWM:*' }) -replace '\D', '') / 1024)"
            $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($text))
            $psi = New-PwshStartInfo '-NoProfile', '-NonInteractive', '-EncodedCommand', $encoded
            $psi.RedirectStandardOutput = $true
            $psi.RedirectStandardError = $true
            $p = [Diagnostics.Process]::Start($psi)
            $script:children.Add($p)
            return [pscustomobject]@{ Process = $p; Out = $p.StandardOutput.ReadToEndAsync(); Err = $p.StandardError.ReadToEndAsync() }
        }

        function script:Wait-Child($Child, [int] $Seconds = 240) {
            # Its output lines; a child still running at the deadline (a copy that never ends) is killed by its pid and fails the test.
            if (-not $Child.Process.WaitForExit($Seconds * 1000)) {
                $Child.Process.Kill()
                $Child.Process.WaitForExit()
                throw "the copy was still running after $Seconds s (child pwsh $($Child.Process.Id) killed)"
            }
            $Child.Process.WaitForExit()
            return @($Child.Out.Result -split "`n" | ForEach-Object Trim | Where-Object { $_ })
        }

        # --- a guest tar that lies ---------------------------------------------------------------
        function script:New-TarEntry {
            # One ustar entry as bytes: what any tar could put in an archive (the checksum right).
            param([string] $Name, [char] $Type = '0', [int] $Mode = 420, [byte[]] $Data = @(), [string] $Link = '', [long] $Size = -1)
            $h = [byte[]]::new(512)
            function Put([int] $At, [int] $Len, [string] $S) { $b = [Text.Encoding]::UTF8.GetBytes($S); [Array]::Copy($b, 0, $h, $At, [Math]::Min($b.Length, $Len)) }
            if ($Size -lt 0) { $Size = $Data.Length }
            Put 0 100 $Name
            Put 100 8 ([Convert]::ToString($Mode, 8).PadLeft(7, '0'))
            Put 108 8 '0000000'; Put 116 8 '0000000'
            if ($Size -gt 8GB) { $h[124] = 0x80; $v = $Size; for ($i = 135; $i -gt 124; $i--) { $h[$i] = [byte]($v -band 0xFF); $v = $v -shr 8 } }
            else { Put 124 12 ([Convert]::ToString($Size, 8).PadLeft(11, '0')) }
            Put 136 12 '14000000000'
            $h[156] = [byte]$Type
            Put 157 100 $Link
            Put 257 6 "ustar`0"; Put 263 2 '00'
            for ($i = 148; $i -lt 156; $i++) { $h[$i] = 32 }
            $sum = 0; foreach ($b in $h) { $sum += $b }
            Put 148 8 ([Convert]::ToString($sum, 8).PadLeft(6, '0') + "`0 ")
            $pad = [byte[]]::new((512 - $Data.Length % 512) % 512)
            return , [byte[]]($h + $Data + $pad)
        }

        function script:Set-FakeTar {
            # The fake `tar` (first on the guest's PATH) answers `tar -c...` with $Body (sh), and passes anything else to the real tar.
            param([Parameter(Mandatory)][string] $Body, [byte[][]] $Archive)
            if ($Archive) {
                $bytes = [Collections.Generic.List[byte]]::new()
                foreach ($e in $Archive) { $bytes.AddRange($e) }
                $bytes.AddRange([byte[]]::new(1024))
                $staged = Join-Path $script:project 'hostile.tar'
                [IO.File]::WriteAllBytes($staged, $bytes.ToArray())
                Copy-DfVmItem -ToGuest $staged -Destination /root/hostile
            }
            $script:fakeBody = $Body
            $text = "#!/bin/sh`n# faketar`ncase `"`$1`" in -c*) $Body ;; *) exec $($script:realTar) `"`$@`" ;; esac`n"
            $b64 = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($text))
            G "echo $b64 | b64decode -r > $($script:fakeTar) 2>/dev/null || echo $b64 | base64 -d > $($script:fakeTar); chmod 755 $($script:fakeTar)" | Out-Null
            G "$($script:fakeTar) -x --version 2>/dev/null | head -1; head -2 $($script:fakeTar) | tail -1" | Should -Match 'faketar'
        }

        function script:Remove-FakeTar { G "rm -f $($script:fakeTar)" | Out-Null }

        $path = G 'echo "$PATH"'
        $script:realTar = G 'command -v tar'
        $first = ($path -split ':')[0]
        $script:fakeTar = "$first/tar"
        $script:fakeTar | Should -Not -Be $script:realTar -Because "the fake tar goes in front of the real one ($path)"
        G "mkdir -p $first /root/hostile" | Out-Null
    }
    AfterAll {
        foreach ($p in $script:children) { if (-not $p.HasExited) { $p.Kill() } }
        Pop-Location
        Remove-TestProject -Path $script:project
    }

    # --- issue 19 item 1 -------------------------------------------------------------------------
    It 'a device node, a fifo, a setuid file and a foreign owner: only the plain file comes back, mode 0755, owned by the host user' {
        G 'mkdir -p /root/dev1 && cd /root/dev1 && mknod mem c 1 1 && chmod 666 mem && mkfifo pipe && printf x > su && chmod 4755 su && chown 1234:1234 su' | Out-Null
        $p = New-Place
        $w = $null
        $items = Copy-DfVmItem -FromGuest /root/dev1 -Destination $p.Dest -WarningVariable w -WarningAction SilentlyContinue
        $items.FullName | Should -Be (Join-Path $p.Dest 'dev1')
        Test-Path -LiteralPath (Join-Path $p.Dest 'dev1/mem') | Should -BeFalse
        Test-Path -LiteralPath (Join-Path $p.Dest 'dev1/pipe') | Should -BeFalse
        (& stat -c '%a %u %g %F' (Join-Path $p.Dest 'dev1/su')) | Should -Be "755 $(& id -u) $(& id -g) regular file"
        @($w).Count | Should -Be 2
        "$($w[0]) $($w[1])" | Should -Match "CopySkippedEntry: hcopy:/root/dev1: '\./dev1/mem' was not copied: it is a device node"
        "$($w[0]) $($w[1])" | Should -Match "'\./dev1/pipe' was not copied: it is a fifo"
        $left = Get-LeftBehind $p
        Add-FaultRecord -Fault 'guest folder with a device node (mknod mem c 1 1; chmod 666), a fifo, a setuid-root file owned by uid 1234' -During 'Copy-DfVmItem -FromGuest (host pwsh as root)' -ErrorId 'CopySkippedEntry' -LeftBehind $left -Recovery 'nothing to repair: the node and fifo were skipped, the setuid bit and owner dropped'
        $left | Should -BeNullOrEmpty
    }

    # --- issue 19 item 2 -------------------------------------------------------------------------
    It 'a link to a host folder, then the same name as a folder: nothing is ever written through a link' {
        $p = New-Place
        G "mkdir -p /root/l1/item && ln -s '$($p.Canary)' /root/l1/item/link && ln -s ../../../../etc /root/l1/item/up && ln -s ../item /root/l1/item/self" | Out-Null
        $w = $null
        Copy-DfVmItem -FromGuest /root/l1/item -Destination $p.Dest -WarningVariable w -WarningAction SilentlyContinue | Out-Null
        "$w" | Should -Match "'\./item/link' was not copied: it is a symlink to the absolute path"
        "$w" | Should -Match "'\./item/up' was not copied: it is a symlink to '\.\./\.\./\.\./\.\./etc', outside the destination"
        (Get-Item -LiteralPath (Join-Path $p.Dest 'item/self')).LinkTarget | Should -Be '../item'
        # The second copy sends item/link/file: it lands in a plain folder of the destination.
        G "rm /root/l1/item/link && mkdir /root/l1/item/link && echo planted > /root/l1/item/link/file" | Out-Null
        Copy-DfVmItem -FromGuest /root/l1/item -Destination $p.Dest -Force -WarningAction SilentlyContinue | Out-Null
        Get-Content -LiteralPath (Join-Path $p.Dest 'item/link/file') | Should -Be 'planted'
        # A link already on the host (made by anyone) is never written through: without -Force it is in the way, with -Force it is replaced, not followed.
        Remove-Item -LiteralPath (Join-Path $p.Dest 'item/link') -Recurse -Force
        New-Item -ItemType SymbolicLink -Path (Join-Path $p.Dest 'item/link') -Target $p.Canary | Out-Null
        $err = $null
        Copy-DfVmItem -FromGuest /root/l1/item -Destination $p.Dest -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'DestinationExists,DfVm.PowerShell.Commands.CopyDfVmItemCommand'
        @(Get-ChildItem -LiteralPath $p.Canary -Force) | Should -BeNullOrEmpty
        Copy-DfVmItem -FromGuest /root/l1/item -Destination $p.Dest -Force -WarningAction SilentlyContinue | Out-Null
        (Get-Item -LiteralPath (Join-Path $p.Dest 'item/link')).LinkType | Should -BeNullOrEmpty
        Get-Content -LiteralPath (Join-Path $p.Dest 'item/link/file') | Should -Be 'planted'
        $left = Get-LeftBehind $p
        Add-FaultRecord -Fault 'guest symlinks to a host folder and out of the tree, then the same name as a folder; a host symlink in the destination' -During 'Copy-DfVmItem -FromGuest' -ErrorId 'DestinationExists' -LeftBehind $left -Recovery 'the links were skipped (CopySkippedEntry); -Force replaced the host link itself, never what it points to'
        $left | Should -BeNullOrEmpty
    }

    # --- issue 19 item 3 -------------------------------------------------------------------------
    It 'guest names with a newline, the old item marker and base64 lines come back as files of those names' {
        G "mkdir -p /root/n1 && cd /root/n1 && printf 1 > `"`$(printf 'a\n\036DFVM-ITEM ..')`" && printf 2 > `"`$(printf 'b\nbegin-base64 644 -\n!!!')`" && printf 3 > `"`$(printf 'c\n====')`"" | Out-Null
        $p = New-Place
        $items = @(Copy-DfVmItem -FromGuest '/root/n1/*' -Destination $p.Dest)
        $items.Count | Should -Be 3
        ($items.Name | Sort-Object) | Should -Be @("a`n$([char]0x1e)DFVM-ITEM ..", "b`nbegin-base64 644 -`n!!!", "c`n====")
        $items | ForEach-Object { $_.DirectoryName | Should -Be $p.Dest }
        ($items | Sort-Object Name | ForEach-Object { Get-Content -LiteralPath $_.FullName -Raw }) -join '' | Should -Be '123'
        Get-LeftBehind $p | Should -BeNullOrEmpty
    }

    # --- issue 19 item 4 -------------------------------------------------------------------------
    It 'a wildcard path is quoted but for its wildcards: spaces match, $(...) is a name, not a command' {
        G "mkdir -p '/root/sp' && printf s > '/root/sp/my file 1' && rm -f /root/injected" | Out-Null
        $p = New-Place
        (Copy-DfVmItem -FromGuest '/root/sp/my file*' -Destination $p.Dest).Name | Should -Be 'my file 1'
        $err = $null
        Copy-DfVmItem -FromGuest '/root/sp/*$(touch /root/injected)' -Destination $p.Dest -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'GuestPathNotFound,DfVm.PowerShell.Commands.CopyDfVmItemCommand'
        G 'test -e /root/injected && echo ran || echo not-run' | Should -Be 'not-run'
        G "printf t > '/root/sp/x`$(touch injected)'" | Out-Null
        (Copy-DfVmItem -FromGuest '/root/sp/*$(touch injected)' -Destination $p.Dest).Name | Should -Be 'x$(touch injected)'
        G 'ls /root/sp; test -e /root/injected && echo ran || echo not-run' | Should -Not -Match 'ran|injected$'
    }

    # --- issue 18 defect 3 -----------------------------------------------------------------------
    It 'names bsdtar would read as options (@archive, -Cdir) are copied as names' {
        G 'mkdir -p /root/at/sub && cd /root/at && echo planted > planted && tar -cf x planted && rm planted && echo at > @x && echo cd > ./-Csub && echo deep > sub/deep' | Out-Null
        $p = New-Place
        (Copy-DfVmItem -FromGuest '/root/at/@x' -Destination $p.Dest).Name | Should -Be '@x'
        Get-Content -LiteralPath (Join-Path $p.Dest '@x') | Should -Be 'at'
        Test-Path -LiteralPath (Join-Path $p.Dest 'planted') | Should -BeFalse
        (Copy-DfVmItem -FromGuest '/root/at/-Csub' -Destination $p.Dest).Name | Should -Be '-Csub'
        Get-Content -LiteralPath (Join-Path $p.Dest '-Csub') | Should -Be 'cd'
    }

    # --- issue 19 item 5 -------------------------------------------------------------------------
    It 'no clobber without -Force (DestinationExists, nothing written), -Force replaces, -Recurse is accepted' {
        G 'mkdir -p /root/nc/d && printf one > /root/nc/a.txt && printf d1 > /root/nc/d/f' | Out-Null
        $p = New-Place
        Copy-DfVmItem -FromGuest '/root/nc/*' -Destination $p.Dest -Recurse | Out-Null
        G 'printf two > /root/nc/a.txt && printf d2 > /root/nc/d/f && printf new > /root/nc/d/g' | Out-Null
        $err = $null
        Copy-DfVmItem -FromGuest '/root/nc/*' -Destination $p.Dest -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'DestinationExists,DfVm.PowerShell.Commands.CopyDfVmItemCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        $err[0].Exception.Message | Should -Match 'a\.txt'' exists \(-Force replaces it\)'
        Get-Content -LiteralPath (Join-Path $p.Dest 'a.txt') -Raw | Should -Be 'one'
        Get-Content -LiteralPath (Join-Path $p.Dest 'd/f') -Raw | Should -Be 'd1'
        Test-Path -LiteralPath (Join-Path $p.Dest 'd/g') | Should -BeFalse -Because 'nothing at all is written when something is in the way'
        Copy-DfVmItem -FromGuest '/root/nc/*' -Destination $p.Dest -Force | Out-Null
        Get-Content -LiteralPath (Join-Path $p.Dest 'a.txt') -Raw | Should -Be 'two'
        Get-Content -LiteralPath (Join-Path $p.Dest 'd/f') -Raw | Should -Be 'd2'
        Get-Content -LiteralPath (Join-Path $p.Dest 'd/g') -Raw | Should -Be 'new'
        Get-LeftBehind $p | Should -BeNullOrEmpty
    }

    It 'pwsh killed half-way through a copy: no truncated file under its final name; the next copy cleans up and copies it whole' {
        G 'mkdir -p /root/big && head -c 12000000 /dev/urandom > /root/big/blob' | Out-Null
        $want = ((G 'cd /root/big && { sha256 -r blob 2>/dev/null || sha256sum blob; }') -split '\s+')[0]
        $want | Should -Match '^[0-9a-f]{64}$'
        $p = New-Place
        New-Item -ItemType Directory $p.Dest | Out-Null
        $child = Start-Child "Copy-DfVmItem -FromGuest /root/big/blob -Destination '$($p.Dest)'"
        # Kill it once bytes of the file are on the host, wherever the copy writes them.
        $hit = Wait-Until -Seconds 240 -IntervalMs 100 {
            $child.Process.HasExited -or @(Get-ChildItem -LiteralPath $p.Dest -Recurse -Force -File -ErrorAction SilentlyContinue | Where-Object Length -gt 0).Count -gt 0
        }
        $hit | Should -BeTrue
        $child.Process.HasExited | Should -BeFalse -Because 'the kill must land while the file is being written'
        $child.Process.Kill()
        $child.Process.WaitForExit()
        Test-Path -LiteralPath (Join-Path $p.Dest 'blob') | Should -BeFalse -Because 'a cut copy leaves no file under the final name'
        # The guest side of the killed copy ends when its session goes; wait for it, as the next command would.
        Wait-Until -Seconds 60 { (G 'ps -axww -o command') -notmatch 'tar -c|uuencode' } | Should -BeTrue
        $item = Copy-DfVmItem -FromGuest /root/big/blob -Destination $p.Dest
        (Get-FileHash -LiteralPath $item.FullName -Algorithm SHA256).Hash.ToLowerInvariant() | Should -Be $want
        $left = Get-LeftBehind $p
        Add-FaultRecord -Fault 'pwsh kill -9 while a 12 MB file arrives' -During 'Copy-DfVmItem -FromGuest' -LeftBehind $left -Recovery 'no file under the final name; the next copy removed the dead copy''s temp folder and copied the file whole'
        $left | Should -BeNullOrEmpty
    }

    # --- the hostile-guest class: a tar that lies ----------------------------------------------------
    It 'a lying tar: <Case>' -ForEach @(
        @{ Case = 'device nodes and a setuid file'; Id = 'CopySkippedEntry'; Skips = 2; Entries = { (New-TarEntry './it/' '5' 493), (New-TarEntry './it/mem' '3' 438), (New-TarEntry './it/sda' '4' 438), (New-TarEntry './it/su' '0' 3565 ([byte[]][char[]]'x')) } }
        @{ Case = 'links out of the tree, then entries through them'; Id = 'CopySkippedEntry'; Skips = 4; Entries = { (New-TarEntry './it/' '5' 493), (New-TarEntry './it/abs' '2' -Link $p.Canary), (New-TarEntry './it/up' '2' -Link '../../canary'), (New-TarEntry './it/ok' '2' -Link '.'), (New-TarEntry './it/ok/../../canary/x' '0' -Data ([byte[]][char[]]'x')), (New-TarEntry './it/ok/f' '0' -Data ([byte[]][char[]]'x')) } }
        @{ Case = '.. and absolute names'; Id = 'CopySkippedEntry'; Skips = 2; Entries = { (New-TarEntry './it/../canary/x' '0' -Data ([byte[]][char[]]'x')), (New-TarEntry "$($p.Canary)/y" '0' -Data ([byte[]][char[]]'y')), (New-TarEntry './it/f' '0' -Data ([byte[]][char[]]'f')) } }
        @{ Case = 'names with newlines'; Id = ''; Skips = 0; Entries = { (New-TarEntry "./it/a`nDFVM-ITEM .." '0' -Data ([byte[]][char[]]'n')), (New-TarEntry "./it/`n====" '0' -Data ([byte[]][char[]]'m')) } }
        @{ Case = 'entries for items not asked for'; Id = 'CopySkippedEntry'; Skips = 2; Entries = { (New-TarEntry './it/f' '0' -Data ([byte[]][char[]]'f')), (New-TarEntry './other/x' '0' -Data ([byte[]][char[]]'x')), (New-TarEntry './canary' '0' -Data ([byte[]][char[]]'x')) } }
        @{ Case = 'a header with a bad checksum'; Id = 'GuestArchiveInvalid'; Skips = 0; Entries = { $e = New-TarEntry './it/f' '0' -Data ([byte[]][char[]]'f'); $e[5] = 0x41; , $e } }
    ) {
        $p = New-Place
        $entries = @(& $Entries | ForEach-Object { , $_ })
        G 'rm -rf /root/hl && mkdir -p /root/hl/it' | Out-Null
        try {
            Set-FakeTar -Body 'cat /root/hostile/hostile.tar' -Archive $entries
            $w = $null; $err = $null
            $items = Copy-DfVmItem -FromGuest /root/hl/it -Destination $p.Dest -WarningVariable w -WarningAction SilentlyContinue -ErrorVariable err -ErrorAction SilentlyContinue
        }
        finally { Remove-FakeTar }
        if ($Id -eq 'GuestArchiveInvalid') {
            $err[0].FullyQualifiedErrorId | Should -Be 'GuestArchiveInvalid,DfVm.PowerShell.Commands.CopyDfVmItemCommand'
            Test-Path -LiteralPath $p.Dest | Should -BeFalse -Because 'nothing is made when the archive is refused'
        }
        else {
            $err | Should -BeNullOrEmpty
            $items.Name | Should -Be 'it'
            @($w | Where-Object { "$_" -like 'CopySkippedEntry: *' }).Count | Should -Be $Skips
        }
        if ($Case -like 'device*') { (& stat -c '%a %F' (Join-Path $p.Dest 'it/su')) | Should -Be '755 regular file' }
        if ($Case -like 'names*') { @(Get-ChildItem -LiteralPath (Join-Path $p.Dest 'it') -Force).Count | Should -Be 2 }
        $left = Get-LeftBehind $p
        Add-FaultRecord -Fault "guest tar that lies: $Case" -During 'Copy-DfVmItem -FromGuest' -ErrorId $Id -LeftBehind $left -Recovery $(if ($Id -eq 'GuestArchiveInvalid') { 'nothing copied' } else { 'the safe entries copied, the others skipped and named' })
        $left | Should -BeNullOrEmpty
    }

    It 'a lying tar that floods: <Case>' -ForEach @(
        @{ Case = 'endless garbage'; Body = 'exec yes'; Id = 'GuestArchiveInvalid' }
        @{ Case = 'endless zeros after a valid archive'; Body = 'cat /root/hostile/hostile.tar; exec cat /dev/zero'; Id = 'GuestArchiveInvalid' }
        @{ Case = 'a 1 TiB file, endless data'; Body = 'cat /root/hostile/hostile.tar; exec cat /dev/zero'; Id = 'HostDiskFull'; Huge = $true }
    ) {
        $p = New-Place
        G 'rm -rf /root/hl && mkdir -p /root/hl/it' | Out-Null
        $archive = if ($Huge) { , (New-TarEntry './it/big' '0' -Size 1TB) } else { (New-TarEntry './it/' '5' 493), (New-TarEntry './it/f' '0' -Data ([byte[]][char[]]'f')) }
        try {
            if ($Huge) {
                # The header alone, no end blocks: the fake tar then sends zeros for ever as the file's data.
                [IO.File]::WriteAllBytes((Join-Path $script:project 'hostile.tar'), [byte[]]$archive)
                Copy-DfVmItem -ToGuest (Join-Path $script:project 'hostile.tar') -Destination /root/hostile
                Set-FakeTar -Body $Body
            }
            else { Set-FakeTar -Body $Body -Archive $archive }
            $child = Start-Child "Copy-DfVmItem -FromGuest /root/hl/it -Destination '$($p.Dest)' -ErrorAction Stop"
            $out = Wait-Child $child -Seconds 300
        }
        finally { Remove-FakeTar }
        $out[0] | Should -Be "$Id,DfVm.PowerShell.Commands.CopyDfVmItemCommand"
        [int]($out[-1] -replace '\D', '') | Should -BeLessThan 600 -Because 'what the guest sends is never buffered (peak memory of the copying pwsh, MiB)'
        Test-Path -LiteralPath $p.Dest | Should -BeFalse
        Wait-Until -Seconds 30 { (G 'ps -axww -o command') -notmatch 'faketar|\byes\b|cat /dev/zero|uuencode' } | Out-Null
        $left = Get-LeftBehind $p
        Add-FaultRecord -Fault "guest tar that floods: $Case" -During 'Copy-DfVmItem -FromGuest' -ErrorId $Id -LeftBehind $left -Recovery 'the guest command was cancelled at the first bad byte; nothing copied'
        $left | Should -BeNullOrEmpty
    }
}
