# Sync-DfVmProject on the real Linux test guest: the guest tree must equal the host tree minus the
# excludes (bytes, modes, mtimes, symlinks, empty folders), checked with a listing taken in the guest.
BeforeDiscovery { }

Describe 'Sync-DfVmProject on the test guest' -Tag Integration {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        . $PSScriptRoot/FaultHelpers.ps1
        function Get-TreeListingScript {
            # POSIX sh that lists the current folder, one line per entry, the same on both sides:
            #   d|mode|mtime||path    l|mode|mtime|target|path    f|mode|mtime|size|path    h|sha256|path
            # -Bsd: with DragonFly's tools (BSD stat -f, sha256 -r), as the strict test guest has them (no GNU
            # stat -c, no sha256sum); without it, with the host's GNU tools (no BSD stat -f, no sha256).
            # (no name in the tests holds a backslash or a line break, so the hash lines print names as they are)
            param([string[]] $Prune = @(), [switch] $Bsd)
            $p = ''
            if ($Prune.Count -gt 0) { $p = '\( ' + (($Prune | ForEach-Object { "-path './$_'" }) -join ' -o ') + ' \) -prune -o ' }
            if ($Bsd) { $dir = "stat -f 'd|%Lp|%m||%N'"; $file = "stat -f 'f|%Lp|%m|%z|%N'"; $hash = "sha256 -r {} + | sed 's/^\([0-9a-f]*\) /h|\1|/'"; $mtime = 'stat -f %m' }
            else { $dir = "stat -c 'd|%a|%Y||%n'"; $file = "stat -c 'f|%a|%Y|%s|%n'"; $hash = "sha256sum {} + | sed 's/^\([0-9a-f]*\)  /h|\1|/'"; $mtime = 'stat -c %Y' }
            return "find . -mindepth 1 $p-type d -exec $dir {} + ; " +
                "find . -mindepth 1 $p-type f -exec $file {} + ; " +
                "find . -mindepth 1 $p-type f -exec $hash ; " +
                "find . -mindepth 1 $p-type l -exec sh -c 'for l; do printf ""l|777|%s|%s|%s\n"" ""`$($mtime ""`$l"")"" ""`$(readlink ""`$l"")"" ""`$l""; done' sh {} +"
        }

        function ConvertTo-TreeMap([string[]] $Lines) {
            # path -> "type|mode|mtime|size-or-target|sha256" (one string per entry, easy to diff)
            $map = [ordered]@{}
            $hashes = @{}
            foreach ($line in $Lines) {
                if (-not $line) { continue }
                $f = $line.Split('|', 5)
                switch ($f[0]) {
                    'h' { $hashes[$line.Substring(67)] = $f[1] }
                    default { $map[$f[4]] = "$($f[0])|$($f[1])|$($f[2])|$($f[3])" }
                }
            }
            $out = @{}
            foreach ($k in $map.Keys) {
                $rel = $k.Substring(2)   # strip ./
                $out[$rel] = $map[$k] + '|' + $hashes[$k]
            }
            return $out
        }

        function Get-HostTree([string] $Path, [string[]] $Excluded = @()) {
            # The host tree minus vm/, .git and the given excluded paths (each a path or a folder).
            Push-Location $Path
            try { $lines = & sh -c (Get-TreeListingScript -Prune (@('vm', '.git') + $Excluded)) }
            finally { Pop-Location }
            if ($LASTEXITCODE -ne 0) { throw "host listing failed ($LASTEXITCODE)" }
            return ConvertTo-TreeMap $lines
        }

        function Get-GuestTree([string] $Vm, [string] $Destination) {
            # One guest command: the same listing, taken in the guest.
            $q = "'" + $Destination.Replace("'", "'\''") + "'"
            $r = Invoke-DfVmCommand -Name $Vm -Command ("cd $q && { " + (Get-TreeListingScript -Bsd) + '; }')
            if ($r.ExitCode -ne 0) { throw "guest listing failed ($($r.ExitCode)): $($r.Error)" }
            return ConvertTo-TreeMap ($r.Output -split "`n")
        }

        function Compare-Tree($HostTree, $GuestTree) {
            # Lines that differ, "host: path = value" / "guest: path = value"; empty when equal.
            $diff = @()
            foreach ($k in $HostTree.Keys) {
                if ($GuestTree[$k] -cne $HostTree[$k]) { $diff += "host: $k = $($HostTree[$k])  guest: $($GuestTree[$k])" }
            }
            foreach ($k in $GuestTree.Keys) {
                if (-not $HostTree.ContainsKey($k)) { $diff += "guest only: $k = $($GuestTree[$k])" }
            }
            return , ($diff | Sort-Object | Select-Object -First 20)
        }

        function Get-SshArgs([string] $Vm, [string] $KnownHosts) {
            # Plain OpenSSH to the VM with its own key: a second, independent connection.
            $vmInfo = Get-DfVm -Name $Vm
            return @('-i', (Join-Path $vmInfo.Path 'id_ed25519'), '-p', "$($vmInfo.SshPort)", '-o', "UserKnownHostsFile=$KnownHosts",
                '-o', 'StrictHostKeyChecking=accept-new', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR', 'root@127.0.0.1')
        }

        function New-File([string] $Rel, [string] $Text = $Rel, [string] $Mode) {
            $full = Join-Path $script:project $Rel
            $dir = Split-Path $full -Parent
            if (-not (Test-Path -LiteralPath $dir)) { New-Item -ItemType Directory -Path $dir -Force | Out-Null }
            [IO.File]::WriteAllText($full, $Text)
            if ($Mode) { & chmod $Mode -- $full }
        }
        function Set-Link([string] $Rel, [string] $Target) {
            $full = Join-Path $script:project $Rel
            if (Test-Path -LiteralPath $full) { Remove-Item -LiteralPath $full -Force }
            & ln -s -- $Target $full
        }
        function Assert-InSync {
            $h = Get-HostTree $script:project $script:excluded
            $g = Get-GuestTree sync $script:dest
            Compare-Tree $h $g | Should -BeNullOrEmpty
            $h.Count | Should -BeGreaterThan 0
            return $g
        }
        function Get-NonDirCount { @((Get-HostTree $script:project $script:excluded).Values | Where-Object { $_ -notlike 'd|*' }).Count }

        $script:project = New-TestProject -VmName sync -ExtraConfig "    SyncExclude = @('*.bak', 'cache/')"
        $script:dest = '/root/' + (Split-Path $script:project -Leaf)
        $script:knownHosts = Join-Path ([IO.Path]::GetTempPath()) ('kh-' + [guid]::NewGuid().ToString('N'))
        Push-Location $script:project
        # -Exclude on every call of this file (else the next sync would send what it kept back).
        $PSDefaultParameterValues['Sync-DfVmProject:Exclude'] = @('secret*')
        New-TestGuestVm -Name sync | Out-Null
        Start-TestGuestVm -Name sync -Timeout 180

        # Names that break naive tools.
        $long = ('L' * 200)
        $script:longPath = "$long/$long/$long/$long/" + ('f' * 250)
        $names = @('with space/a file.txt', "quote's/`"double`" and 'single'.txt", 'dollar/$HOME $(id) `id` ${x}.txt',
            '-rf', '--help', '-n dir/-e', 'Grüße/日本語 ü.txt', 'glob/star*and?[x].txt', 'semi;colon&amp|pipe>gt.txt',
            $script:longPath, 'empty-file')
        foreach ($n in $names) { New-File $n $(if ($n -eq 'empty-file') { '' } else { "content of $n`n" }) }
        New-File 'bin/run.sh' "#!/bin/sh`necho run`n" '755'
        New-File 'private.key' 'secret-ish' '600'
        New-File 'readonly.txt' 'ro' '444'
        New-File 'swap' 'a file, later a folder'
        New-File 'gone/one.txt'; New-File 'gone/two/three.txt'; New-File 'del-me.txt'
        Set-Link 'bin/link-to-run' 'run.sh'
        Set-Link 'dangling' 'does/not/exist'
        Set-Link 'absolute' '/etc/hostname'
        Set-Link 'linkdir' 'with space'
        New-Item -ItemType Directory (Join-Path $script:project 'empty'), (Join-Path $script:project 'deep/empty/dir') -Force | Out-Null
        # Excludes: .gitignore (root and nested; negation, dir-only, anchored), config SyncExclude, -Exclude, .git, vm/.
        New-File '.gitignore' "*.log`n!keep.log`nbuild/`n/anchored.txt`n"
        New-File 'sub/.gitignore' "local.tmp`n!important.log`n"
        foreach ($n in 'x.log', 'keep.log', 'build/out.o', 'anchored.txt', 'sub/y.log', 'sub/important.log', 'sub/local.tmp',
            'sub/deeper/anchored.txt', 'sub/build/obj.o', 'other/build', 'a.bak', 'cache/c.bin', 'secret.txt', 'sub/secret-2',
            '.git/HEAD', '.git/objects/ab/cdef', 'sub/.git/config') { New-File $n }
        $script:excluded = @('x.log', 'build', 'anchored.txt', 'sub/y.log', 'sub/local.tmp', 'sub/build', 'a.bak', 'cache',
            'secret.txt', 'sub/secret-2', 'sub/.git')
        $script:included = @('keep.log', 'sub/important.log', 'sub/deeper/anchored.txt', 'other/build', '.gitignore', 'sub/.gitignore')
    }
    AfterAll {
        $PSDefaultParameterValues.Remove('Sync-DfVmProject:Exclude')
        Pop-Location
        Remove-TestProject -Path $script:project
        Remove-Item $script:knownHosts -ErrorAction SilentlyContinue
    }

    It 'the first sync makes the guest tree equal to the host tree minus the excludes' {
        $r = Sync-DfVmProject
        $r | Should -BeOfType ([DfVm.DfVmSyncResult])
        $g = Assert-InSync
        $r.Source | Should -Be $script:project
        $r.Destination | Should -Be $script:dest
        $files = @($g.Values | Where-Object { $_ -like 'f|*' }).Count
        $links = @($g.Values | Where-Object { $_ -like 'l|*' }).Count
        $r.FilesScanned | Should -Be $files
        $r.FilesSent | Should -Be ($files + $links)
        $r.FilesDeleted | Should -Be 0
        $r.BytesSent | Should -BeGreaterThan (512 * $r.FilesSent)
        $r.Duration | Should -BeOfType [timespan]
        $r.Duration | Should -BeGreaterThan ([timespan]::Zero)
        $r.WhatIf | Should -BeFalse
        # What the listing proves, spelled out.
        $g['bin/run.sh'] | Should -BeLike 'f|755|*'
        $g['private.key'] | Should -BeLike 'f|600|*'
        $g['readonly.txt'] | Should -BeLike 'f|444|*'
        $g['bin/link-to-run'] | Should -BeLike 'l|777|*|run.sh|'
        $g['dangling'] | Should -BeLike 'l|*|does/not/exist|'
        $g['deep/empty/dir'] | Should -BeLike 'd|755|*'
        $g[$script:longPath] | Should -BeLike 'f|*'
        $g['-rf'] | Should -BeLike 'f|*'
        $g['Grüße/日本語 ü.txt'] | Should -BeLike 'f|*'
    }

    It 'leaves out vm/, .git, .gitignore matches (nested, negated, dir-only, anchored), SyncExclude and -Exclude' {
        $g = Get-GuestTree sync $script:dest
        foreach ($p in $script:excluded + @('vm', '.git', 'vm/sync', 'vm/sync/disk.qcow2')) { $g.Keys | Should -Not -Contain $p -Because "$p is excluded" }
        foreach ($p in $script:included) { $g.Keys | Should -Contain $p -Because "$p is not excluded" }
        $g.Keys | Should -Contain 'sub'
        $g.Keys | Should -Contain 'other'
    }

    It 'a resync with no change sends nothing' {
        $r = Sync-DfVmProject
        $r.FilesSent | Should -Be 0
        $r.FilesDeleted | Should -Be 0
        $r.BytesSent | Should -Be 0
        $r.FilesScanned | Should -Be @((Get-HostTree $script:project $script:excluded).Values | Where-Object { $_ -like 'f|*' }).Count
    }

    It 'follows edits, deletions, mode and link changes, and a file replaced by a folder of the same name and back' {
        New-File 'with space/a file.txt' 'edited'
        & chmod 700 -- (Join-Path $script:project 'bin/run.sh')
        & chmod 640 -- (Join-Path $script:project 'readonly.txt')
        Set-Link 'bin/link-to-run' '../with space/a file.txt'
        Remove-Item -LiteralPath (Join-Path $script:project 'gone') -Recurse -Force
        Remove-Item -LiteralPath (Join-Path $script:project 'del-me.txt') -Force
        Remove-Item -LiteralPath (Join-Path $script:project 'swap') -Force
        New-File 'swap/inner/deep.txt' 'now a folder'
        (Get-Item -LiteralPath (Join-Path $script:project 'keep.log')).LastWriteTimeUtc = [datetime]::new(2001, 2, 3, 4, 5, 6, [DateTimeKind]::Utc)
        New-Item -ItemType Directory (Join-Path $script:project 'new-empty') | Out-Null
        $r = Sync-DfVmProject
        $r.FilesDeleted | Should -Be 3   # gone/, del-me.txt, swap (the file)
        $r.FilesSent | Should -Be 6      # a file.txt, run.sh, readonly.txt, link-to-run, deep.txt, keep.log
        $g = Assert-InSync
        $g['swap/inner/deep.txt'] | Should -BeLike 'f|*'
        $g['keep.log'] | Should -BeLike "f|644|$([DateTimeOffset]::new(2001, 2, 3, 4, 5, 6, [timespan]::Zero).ToUnixTimeSeconds())|*"

        # ... and back: the folder becomes a file again.
        Remove-Item -LiteralPath (Join-Path $script:project 'swap') -Recurse -Force
        New-File 'swap' 'a file again'
        $r = Sync-DfVmProject
        $r.FilesSent | Should -Be 1
        $g = Assert-InSync
        $g['swap'] | Should -BeLike 'f|*'
        $g.Keys | Should -Not -Contain 'swap/inner'
    }

    It 'a folder whose only change is a deleted file gets the host''s mtime, the destination folder too (as rsync -a --delete leaves them)' {
        # Issue 19 item 13. Old, distinct mtimes first (so "now" cannot match by chance), synced.
        New-File 'mt/keep.txt'; New-File 'mt/drop.txt'; New-File 'root-drop.txt'
        $old = [datetime]::new(2002, 3, 4, 5, 6, 7, [DateTimeKind]::Utc)
        (Get-Item -LiteralPath (Join-Path $script:project 'mt')).LastWriteTimeUtc = $old
        (Get-Item -LiteralPath $script:project).LastWriteTimeUtc = $old.AddDays(1)
        Sync-DfVmProject | Out-Null
        # BSD stat first (the DragonFly-strict guest), GNU/busybox stat otherwise.
        $q = "'" + $script:dest + "'"
        $stat = { param($rel) "if x=`$(stat -f '%m %Lp' $q$rel 2>/dev/null); then echo `"`$x`"; else stat -c '%Y %a' $q$rel; fi" }
        $guestStat = { (Invoke-DfVmCommand -Name sync -Command ((& $stat '') + '; ' + (& $stat '/mt'))).Output -split "`n" }
        $hostStat = { & stat -c '%Y %a' -- $script:project (Join-Path $script:project 'mt') }
        $g = & $guestStat
        $g | Should -Be (& $hostStat)
        $g[1] | Should -BeLike "$([DateTimeOffset]::new($old).ToUnixTimeSeconds()) *"

        # Only a deletion in each folder: both folders' mtimes move on the host.
        Remove-Item -LiteralPath (Join-Path $script:project 'mt/drop.txt'), (Join-Path $script:project 'root-drop.txt')
        $r = Sync-DfVmProject
        $r.FilesDeleted | Should -Be 2
        $r.FilesSent | Should -Be 0
        $h = & $hostStat
        $h[1] | Should -Not -BeLike "$([DateTimeOffset]::new($old).ToUnixTimeSeconds()) *"
        & $guestStat | Should -Be $h
        Assert-InSync | Out-Null
        (Sync-DfVmProject).FilesSent | Should -Be 0
    }

    It '-WhatIf lists what would be sent and deleted and changes nothing in the guest' {
        New-File 'whatif-new.txt' 'would be sent'
        Remove-Item -LiteralPath (Join-Path $script:project 'empty-file')
        $before = Get-GuestTree sync $script:dest
        # What-if lines go to the host UI: a child pwsh prints them on its stdout.
        $script = "Import-Module '$env:DFVM_MODULE_PATH'; Set-Location '$($script:project)'; " +
            "`$r = Sync-DfVmProject -Exclude 'secret*' -WhatIf; 'RESULT {0} {1} {2} {3}' -f `$r.FilesSent, `$r.FilesDeleted, `$r.BytesSent, `$r.WhatIf"
        $out = & pwsh -NoProfile -NonInteractive -Command $script
        $LASTEXITCODE | Should -Be 0
        $text = $out -join "`n"
        $text | Should -Match "What if: Performing the operation ""Send"" on target ""sync:$([regex]::Escape($script:dest))/whatif-new.txt"""
        $text | Should -Match "What if: Performing the operation ""Delete"" on target ""sync:$([regex]::Escape($script:dest))/empty-file"""
        $text | Should -Match '(?m)^RESULT 1 1 0 True$'
        $after = Get-GuestTree sync $script:dest
        Compare-Tree $before $after | Should -BeNullOrEmpty
        $after.Keys | Should -Not -Contain 'whatif-new.txt'
        # The real sync then does it.
        $r = Sync-DfVmProject
        $r.FilesSent | Should -Be 1
        $r.FilesDeleted | Should -Be 1
        Assert-InSync | Out-Null
    }

    It '-Verify reports drift made in the guest; -Full repairs it' {
        $q = "'" + $script:dest + "'"
        (Invoke-DfVmCommand -Name sync -Command "cd $q && echo tampered >> keep.log && rm -- ./-rf && echo x > extra.txt").ExitCode | Should -Be 0
        $r = Sync-DfVmProject -Verify
        $r.FilesSent | Should -Be 0   # the manifest still says the guest is in sync
        $r.Verified | Should -BeFalse
        $r.Drift | Should -Be @('-rf', 'extra.txt', 'keep.log')
        $r = Sync-DfVmProject -Full
        $r.FilesSent | Should -Be (Get-NonDirCount)
        $r.FilesDeleted | Should -Be 1   # extra.txt
        $r = Sync-DfVmProject -Verify
        $r.Verified | Should -BeTrue
        $r.Drift | Should -BeNullOrEmpty
        Assert-InSync | Out-Null
    }

    It 'a new boot of the guest invalidates the manifest: the next sync lists the guest and sends everything' {
        $manifest = Join-Path $script:project 'vm/sync/sync-manifest.json'
        Test-Path $manifest | Should -BeTrue
        Stop-DfVm -Name sync
        Start-DfVm -Name sync -Timeout 180 -WarningAction SilentlyContinue | Out-Null
        Test-Path $manifest | Should -BeFalse
        $log = Sync-DfVmProject -Verbose 4>&1
        $r = $log | Where-Object { $_ -is [DfVm.DfVmSyncResult] }
        ($log | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -Match 'find \. '
        $r.FilesSent | Should -Be (Get-NonDirCount)
        Assert-InSync | Out-Null
        (Sync-DfVmProject).FilesSent | Should -Be 0
    }

    It 'a connection cut while a 200 MB file is sent fails with a clear error' {
        $big = Join-Path $script:project 'big/blob.bin'
        New-Item -ItemType Directory (Split-Path $big) -Force | Out-Null
        $rng = [Random]::new(42)
        $chunk = [byte[]]::new(1MB)
        $fs = [IO.File]::Create($big)
        try { for ($i = 0; $i -lt 200; $i++) { $rng.NextBytes($chunk); $fs.Write($chunk, 0, $chunk.Length) } }
        finally { $fs.Dispose() }
        for ($d = 0; $d -lt 100; $d++) {
            $dir = New-Item -ItemType Directory (Join-Path $script:project "many/d$d") -Force
            for ($f = 0; $f -lt 100; $f++) { [IO.File]::WriteAllText((Join-Path $dir.FullName "f$f.txt"), "file $d/$f`n") }
        }
        # The sync runs in a second runspace; plain ssh (a separate connection) waits in the guest
        # for the tar that the sync feeds, then kills the sshd session process above it: the
        # connection is cut for real while big/blob.bin (sent first) is streaming.
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$env:DFVM_MODULE_PATH'; Set-Location '$($script:project)'; Sync-DfVmProject -Exclude 'secret*' -ErrorAction Stop")
        $cut = @'
i=0
while [ $i -lt 600 ]; do
  for t in $(ps -axww -o pid,command | awk '$2 ~ /(^|\/)(bs)?tar$/ && $3 == "-xpf" { print $1 }'); do
    sleep 0.2
    p=$t
    while [ "$p" -gt 1 ]; do
      case "$(tr '\0' ' ' < /proc/$p/cmdline)" in sshd:*) kill -9 "$p" && echo "killed $p" && exit 0;; esac
      p=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/$p/status)
    done
  done
  sleep 0.1
  i=$((i + 1))
done
echo 'no tar seen'
exit 1
'@
        $async = $ps.BeginInvoke()
        try {
            $killed = $cut | & ssh @(Get-SshArgs sync $script:knownHosts) '/bin/sh -s'
            $killed | Should -Match '^killed \d+$'
            $async.AsyncWaitHandle.WaitOne(60000) | Should -BeTrue
            $err = $null
            try { $ps.EndInvoke($async) } catch { $err = $_.Exception.InnerException ?? $_.Exception }
            $err | Should -Not -BeNullOrEmpty
            $err.ErrorRecord.FullyQualifiedErrorId | Should -Match '^(GuestConnectionLost|SyncFailed),DfVm.PowerShell.Commands.SyncDfVmProjectCommand$'
            $err.Message | Should -Match 'connection|tar|stream'
            $script:cutError = $err.Message
            $script:cutId = $err.ErrorRecord.FullyQualifiedErrorId
        }
        finally { $ps.Dispose() }
        # The guest holds a partial tree now: the blob is not the host's (bsdtar may leave it at its
        # full length, the missing part zeros) and the 10,000 files that come after it are not all there.
        $h = Get-HostTree $script:project $script:excluded
        $g = Get-GuestTree sync $script:dest
        $g['big/blob.bin'] | Should -Not -Be $h['big/blob.bin']
        @($g.Keys | Where-Object { $_ -like 'many/*/*' }).Count | Should -BeLessThan 10000
    }

    It 'the next sync repairs the tree: the 200 MB file and 10,000 small files arrive whole' {
        $r = Sync-DfVmProject
        $r.FilesSent | Should -BeGreaterOrEqual 10001
        $r.BytesSent | Should -BeGreaterThan 200MB
        $g = Assert-InSync
        $g['big/blob.bin'] | Should -BeLike "f|644|*|$(200MB)|*"
        @($g.Keys | Where-Object { $_ -like 'many/*/*' }).Count | Should -Be 10000
        $vmDir = Join-Path $script:project 'vm/sync'
        $left = @(Get-StrayHostProcess -VmDirectory $vmDir | Where-Object { $_ -notmatch "^$((Get-DfVm sync).ProcessId) " }) + @(Test-QemuImagesClean -VmDirectory $vmDir)
        Add-FaultRecord -Fault 'guest sshd kill -9 (the session above the tar)' -During 'Sync-DfVmProject (200 MB file streaming)' -ErrorId $script:cutId `
            -LeftBehind $left -Recovery 'the next sync sent the 200 MB file and the 10,000 files after it whole; the listing matched'
        $left | Should -BeNullOrEmpty
    }
}
