# Issue 5: snapshots that cost nothing, restores that do not depend on disk size, live snapshots that come back running.
Describe 'Snapshots on the test guest' -Tag Integration {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        . $PSScriptRoot/FaultHelpers.ps1
        $script:project = New-TestProject -VmName snap
        Push-Location $script:project
        New-TestGuestVm -Name snap | Out-Null
        Start-DfVm -Name snap -WarningAction SilentlyContinue | Out-Null
        $script:vmDir = Join-Path $script:project 'vm/snap'
        function script:Guest([string] $Command) { (Invoke-DfVmCommand -Name snap -Command $Command).Output }
    }
    AfterAll {
        Pop-Location
        Remove-TestProject -Path $script:project
    }

    It 'takes a disk snapshot of a stopped VM without copying the disk' {
        Guest 'echo keep-me > /root/marker.txt; sync' | Out-Null
        Stop-DfVm -Name snap
        $inode = (& stat -c '%i' "$script:vmDir/disk.qcow2")
        $s = Checkpoint-DfVm -Name snap -SnapshotName cold
        $s | Should -BeOfType ([DfVm.DfVmSnapshot])
        $s.Name | Should -Be 'cold'
        $s.Live | Should -BeFalse
        # The snapshot is the very file the disk was (renamed, not copied), and read-only from now on.
        (& stat -c '%i' "$script:vmDir/snapshots/cold.qcow2") | Should -Be $inode
        (& stat -c '%a' "$script:vmDir/snapshots/cold.qcow2") | Should -Be '444'
        (Get-DfVm snap).Snapshots | Should -Be 1
    }

    It 'takes a live snapshot of a running VM, holding memory too' {
        Start-DfVm -Name snap -WarningAction SilentlyContinue | Out-Null
        Guest 'echo in-memory > /tmp/ram-marker' | Out-Null
        Set-Content (Join-Path $script:project 'synced.txt') 'synced before the checkpoint'
        (Sync-DfVmProject -Name snap).FilesSent | Should -BeGreaterThan 0
        $s = Checkpoint-DfVm -Name snap -SnapshotName warm
        $s.Live | Should -BeTrue
        $s.Parent | Should -Be 'cold'
        (Get-DfVm snap).State | Should -Be 'Running'
        Guest 'cat /tmp/ram-marker' | Should -Be 'in-memory'
        # The same guest runs on: the sync manifest is kept, so the next sync has nothing to send.
        Test-Path "$script:vmDir/sync-manifest.json" | Should -BeTrue
        (Sync-DfVmProject -Name snap).FilesSent | Should -Be 0
    }

    It 'Get-DfVmSnapshot lists them, with wildcards, and names complete on Tab' {
        (Get-DfVmSnapshot -Name snap).Name | Should -Be @('cold', 'warm')
        (Get-DfVmSnapshot -Name snap -SnapshotName 'w*').Name | Should -Be 'warm'
        $line = 'Restore-DfVmSnapshot -Name snap -SnapshotName w'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'warm'
    }

    It 'restoring over a running VM changes nothing under -WhatIf' {
        Guest 'rm -f /root/marker.txt' | Out-Null
        Restore-DfVmSnapshot -Name snap -SnapshotName warm -WhatIf
        Guest 'test -e /root/marker.txt && echo yes || echo no' | Should -Be 'no'
    }

    It 'a live restore brings back the running guest: the file, /etc and the tmpfs marker' {
        Guest 'rm -f /tmp/ram-marker /etc/hostname; echo damaged > /etc/motd' | Out-Null
        '{}' | Set-Content "$script:vmDir/sync-manifest.json"
        $clockBefore = [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
        $out = Restore-DfVmSnapshot warm -Name snap -Force -PassThru -Verbose 4>&1
        $vm = $out | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }
        $vm.State | Should -Be 'Running'
        # The clock was set with DragonFly's date syntax: chosen by what the guest's date accepts, not by uname (Linux here).
        @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like "Set the clock of VM 'snap' (BSD date)*" }).Count | Should -Be 1
        Guest 'cat /root/marker.txt' | Should -Be 'keep-me'
        Guest 'cat /tmp/ram-marker' | Should -Be 'in-memory'
        Guest 'cat /etc/hostname' | Should -Not -BeNullOrEmpty
        Guest 'cat /etc/motd 2>/dev/null; true' | Should -Not -Be 'damaged'
        # The guest clock was set after the restore (its saved clock was stale).
        [long](Guest 'date -u +%s') | Should -BeGreaterOrEqual ($clockBefore - 5)
        # The guest changed under the sync manifest: it is gone.
        Test-Path "$script:vmDir/sync-manifest.json" | Should -BeFalse
    }

    It 'a disk restore brings back the disk, not what was only in memory' {
        Guest 'echo in-memory > /tmp/ram-marker; rm -f /root/marker.txt; sync' | Out-Null
        Restore-DfVmSnapshot cold -Name snap -Force -Start | Out-Null
        Guest 'cat /root/marker.txt' | Should -Be 'keep-me'
        Guest 'test -e /tmp/ram-marker && echo yes || echo no' | Should -Be 'no'
    }

    It 'Restore-DfVmSnapshot takes a snapshot from the pipeline' {
        Guest 'rm -f /root/marker.txt; sync' | Out-Null
        Get-DfVmSnapshot -Name snap -SnapshotName warm | Restore-DfVmSnapshot -Force
        Guest 'cat /root/marker.txt' | Should -Be 'keep-me'
    }

    It 'refuses to remove a snapshot others depend on, and merges it on request without losing data' {
        $err = $null
        Remove-DfVmSnapshot cold -Name snap -Force -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'SnapshotInUse,DfVm.PowerShell.Commands.RemoveDfVmSnapshotCommand'
        Stop-DfVm -Name snap
        Remove-DfVmSnapshot cold -Name snap -Merge -Force
        (Get-DfVmSnapshot -Name snap).Name | Should -Be @('warm')
        Restore-DfVmSnapshot warm -Name snap -Force | Out-Null
        Guest 'cat /root/marker.txt' | Should -Be 'keep-me'
    }

    It 'names its errors: unknown snapshot, bad name, duplicate' {
        { Restore-DfVmSnapshot nosuch -Name snap -Force -ErrorAction Stop } | Should -Throw -ErrorId 'SnapshotNotFound,DfVm.PowerShell.Commands.RestoreDfVmSnapshotCommand'
        { Checkpoint-DfVm -Name snap -SnapshotName '../x' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSnapshotName,DfVm.PowerShell.Commands.CheckpointDfVmCommand'
        { Checkpoint-DfVm -Name snap -SnapshotName warm -ErrorAction Stop } | Should -Throw -ErrorId 'SnapshotExists,DfVm.PowerShell.Commands.CheckpointDfVmCommand'
    }

    It 'survives <Victim> being killed <Delay> ms into a live checkpoint' -ForEach @(
        @{ Delay = 100; Victim = 'pwsh' }, @{ Delay = 300; Victim = 'pwsh' }, @{ Delay = 700; Victim = 'pwsh' }
        @{ Delay = 100; Victim = 'QEMU' }, @{ Delay = 400; Victim = 'QEMU' }
    ) {
        Start-DfVm -Name snap -WarningAction SilentlyContinue | Out-Null
        $name = "kill$Delay"
        # The child says GO once the module is loaded, right before the checkpoint starts; the
        # delay counts from there, so the kill lands inside the checkpoint.
        $psi = New-PwshStartInfo '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$env:DFVM_MODULE_PATH'; Set-Location '$($script:project)'; Get-DfVm snap | Out-Null; [Console]::Out.WriteLine('GO'); [Console]::Out.Flush(); Checkpoint-DfVm -Name snap -SnapshotName $name"
        $psi.RedirectStandardOutput = $true
        $p = [Diagnostics.Process]::Start($psi)
        while (($line = $p.StandardOutput.ReadLine()) -ne $null -and $line -ne 'GO') { }
        $qemuPid = (Get-DfVm snap).ProcessId
        Start-Sleep -Milliseconds $Delay
        if ($Victim -eq 'QEMU') { & kill -9 $qemuPid; $p.WaitForExit(60000) | Out-Null }
        if (-not $p.HasExited) { $p.Kill() }
        $p.WaitForExit()
        # Whatever point it died at, the VM starts and works, at its previous or its new state.
        $vm = Start-DfVm -Name snap -WarningAction SilentlyContinue
        $vm.Ready | Should -BeTrue
        Guest 'echo alive' | Should -Be 'alive'
        $left = @(Get-StrayHostProcess -VmDirectory $script:vmDir | Where-Object { $_ -notmatch "^$($vm.ProcessId) " })
        Add-FaultRecord -Fault "$Victim kill -9, $Delay ms in" -During 'Checkpoint-DfVm (live)' -LeftBehind $left `
            -Recovery 'Start-DfVm finished or undid the checkpoint from its journal; the guest answered'
        $left | Should -BeNullOrEmpty
        $names = (Get-DfVmSnapshot -Name snap).Name
        if ($names -contains $name) { Remove-DfVmSnapshot $name -Name snap -Merge -Force -ErrorAction SilentlyContinue }
    }

    It 'pwsh killed while the relaunched QEMU waits for the saved memory: Start-DfVm finishes the resume' {
        # The window between the new QEMU's launch (-incoming defer -S) and its cont: before, the journal was
        # already gone there, so the next Start-DfVm waited for a paused guest until its timeout.
        Start-DfVm -Name snap -WarningAction SilentlyContinue | Out-Null
        Guest 'echo relaunch > /tmp/ram-marker2' | Out-Null
        $pidFile = Join-Path $script:vmDir 'qemu.pid'
        $hit = $false
        foreach ($attempt in 1..3) {
            $old = (Get-DfVm snap).ProcessId
            $psi = New-PwshStartInfo '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$env:DFVM_MODULE_PATH'; Set-Location '$($script:project)'; Checkpoint-DfVm -Name snap -SnapshotName relaunch$attempt | Out-Null"
            $p = [Diagnostics.Process]::Start($psi)
            # Kill it the moment the relaunched QEMU has written its pid.
            $deadline = [Diagnostics.Stopwatch]::StartNew()
            while (-not $p.HasExited -and $deadline.Elapsed.TotalSeconds -lt 120) {
                $now = 0
                try { $now = [int]([IO.File]::ReadAllText($pidFile).Trim()) } catch { }
                if ($now -gt 0 -and $now -ne $old) { $p.Kill(); break }
            }
            $p.WaitForExit(30000) | Should -BeTrue
            # Starting is QEMU's inmigrate or prelaunch: the kill landed before the guest ran on.
            $state = (Get-DfVm snap).State
            $warnings = $null
            $vm = Start-DfVm -Name snap -Timeout 90 -WarningVariable warnings -WarningAction SilentlyContinue
            $hit = "$warnings" -match 'resuming it from the saved memory'
            Write-Host "attempt ${attempt}: QEMU was $state after the kill; recovery resumed the guest: $hit"
            $vm.Ready | Should -BeTrue
            # The saved memory was resumed, not the disk booted anew.
            Guest 'cat /tmp/ram-marker2' | Should -Be 'relaunch'
            Test-Path (Join-Path $script:vmDir 'snapshots/.journal.json') | Should -BeFalse
            if ($hit) { break }
        }
        $hit | Should -BeTrue -Because 'one of three kills should land while the relaunched QEMU waits for its state'
        $left = @(Get-StrayHostProcess -VmDirectory $script:vmDir | Where-Object { $_ -notmatch "^$($vm.ProcessId) " })
        Add-FaultRecord -Fault 'pwsh kill -9 as the relaunched QEMU waits for the saved memory' -During 'Checkpoint-DfVm (live)' -LeftBehind $left `
            -Recovery 'Start-DfVm resumed the guest from the memory the checkpoint saved'
        $left | Should -BeNullOrEmpty
    }

    It 'restore time does not grow with the data in the snapshot (1 GiB written vs empty)' {
        Stop-DfVm -Name snap
        New-DfVm -Name big -DiskSizeGB 8 -Confirm:$false | Out-Null
        $disk = Join-Path $script:project 'vm/big/disk.qcow2'
        Checkpoint-DfVm -Name big -SnapshotName empty | Out-Null
        # 1 GiB, its last MiB read back below: the layer is kept by inode, so its size changes nothing but the
        # test's own time (4 GiB cost CI two minutes of disk writes); bench/snapshot.bench.ps1 times larger ones.
        & qemu-io -f qcow2 -c 'write -P 0x5a 0 1G' $disk | Out-Null
        $LASTEXITCODE | Should -Be 0
        Checkpoint-DfVm -Name big -SnapshotName full | Out-Null
        # Flat in size by construction: the 1 GiB layer is neither copied nor rewritten, the disk becomes a small
        # fresh overlay (the times are bench/snapshot.bench.ps1's to measure, not a test's).
        $layer = Join-Path $script:project 'vm/big/snapshots/full.qcow2'
        $inode = & stat -c '%i' $layer
        Restore-DfVmSnapshot empty -Name big -Force
        Restore-DfVmSnapshot full -Name big -Force
        & stat -c '%i' $layer | Should -Be $inode
        (Get-Item $disk).Length | Should -BeLessThan 4MB
        & qemu-io -f qcow2 -r -c 'read -P 0x5a 1023M 1M' $disk | Select-String 'read 1048576' | Should -Not -BeNullOrEmpty
    }

    It 'leaves every image clean (qemu-img check)' {
        Stop-DfVm -Name snap -Force
        $images = Get-ChildItem (Join-Path $script:project 'vm') -Recurse -Filter *.qcow2
        $images.Count | Should -BeGreaterThan 3
        foreach ($i in $images) {
            & qemu-img check -q $i.FullName
            $LASTEXITCODE | Should -Be 0 -Because $i.FullName
        }
    }
}

# Issue 19 items 8 and 9 and what was found by reading around them: a live checkpoint of a VM whose definition was
# changed while it ran, the guest's sshd sessions across live checkpoints and restores, and a live restore cut short
# (pwsh killed, Ctrl+C) after its guest ran again. One VM, in this order.
Describe 'Live snapshots of a resized VM, guest sessions and interrupted restores' -Tag Integration {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        . $PSScriptRoot/FaultHelpers.ps1
        $script:project = New-TestProject -VmName lsx
        Push-Location $script:project
        New-TestGuestVm -Name lsx -MemoryMB 512 | Out-Null
        Start-DfVm -Name lsx -Timeout 1200 -WarningAction SilentlyContinue | Out-Null
        $script:vmDir = Join-Path $script:project 'vm/lsx'
        $script:journal = Join-Path $script:vmDir 'snapshots/.journal.json'
        $script:modulePath = (Get-Module DfVm).Path
        function script:Guest([string] $Command) { (Invoke-DfVmCommand -Name lsx -Command $Command).Output }
        function script:Get-QemuMemory {
            # What the running QEMU was launched with (-m), read on the host from its command line.
            $argv = [IO.File]::ReadAllText("/proc/$((Get-DfVm lsx).ProcessId)/cmdline").Split([char]0)
            [int]$argv[[array]::IndexOf($argv, '-m') + 1]
        }
        # The snapshot 'nossh' resumes a guest whose sshd listener is off until the test lets it come back: the
        # guest tries a TCP connection to this host port (10.0.2.2 is the host under QEMU's user networking) once a
        # second, and starts sshd when one is accepted, or after 25 s of guest time at the latest. The test
        # listens on the port only when the window may end (Wait-GuestSsh), so the window lasts as long as the
        # test needs it, not a fixed 25 s each time.
        $probe = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $probe.Start()
        $script:sshGatePort = ([Net.IPEndPoint]$probe.LocalEndpoint).Port
        $probe.Stop()
        function script:Wait-GuestSsh([int] $Seconds = 1200) {
            # Lets a 'nossh' guest start sshd (the port above accepts), then waits for a login.
            $gate = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, $script:sshGatePort)
            $gate.Start()
            try { Wait-Until -Seconds $Seconds -IntervalMs 1000 { try { (Invoke-DfVmCommand -Name lsx -Command 'echo up' -ErrorAction Stop).Output -eq 'up' } catch { $false } } }
            finally { $gate.Stop() }
        }
        function script:Wait-ResumedGuestRuns([int] $OldQemu) {
            # A new QEMU has been launched (after it the old serial log was moved aside) and the resumed guest's
            # ticker has written to the new serial log: the guest runs again, and its sshd is not back yet.
            $serial = Join-Path $script:vmDir 'serial.log'
            Wait-Until -Seconds 300 -IntervalMs 20 {
                $now = 0
                try { $now = [int]([IO.File]::ReadAllText((Join-Path $script:vmDir 'qemu.pid')).Trim()) } catch { }
                $now -gt 0 -and $now -ne $OldQemu -and (Test-Path $serial) -and ([IO.File]::ReadAllText($serial) -match 'dfvm-tick')
            }
        }
        function script:Start-OtherPwsh([string] $Script) {
            # A second pwsh whose pid is pwsh itself (New-PwshStartInfo), its output in a file.
            $out = Join-Path $script:project ('pwsh-' + [guid]::NewGuid().ToString('N').Substring(0, 8) + '.txt')
            $full = "`$ProgressPreference = 'SilentlyContinue'; Import-Module '$($script:modulePath)'; Set-Location '$($script:project)'; $Script"
            $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($full))
            $pwsh = New-PwshStartInfo '-NoProfile', '-NonInteractive', '-EncodedCommand', $encoded
            $psi = [Diagnostics.ProcessStartInfo]::new('bash')
            foreach ($a in @('-c', 'out=$1; shift; exec "$@" > "$out" 2>&1 < /dev/null', 'bash', $out, $pwsh.FileName) + @($pwsh.ArgumentList)) { $psi.ArgumentList.Add($a) }
            $psi.UseShellExecute = $false
            [Diagnostics.Process]::Start($psi) | Add-Member NoteProperty OutFile $out -PassThru
        }
    }
    AfterAll {
        Pop-Location
        Remove-TestProject -Path $script:project
    }

    It 'Set-DfVm -MemoryMB on the running VM, then a live checkpoint: the guest runs on at its size, the snapshot restores, the new size is for the next boot' {
        Guest 'echo in-memory > /tmp/ram-marker' | Out-Null
        $warnings = $null
        Set-DfVm -Name lsx -MemoryMB 768 -WarningVariable warnings -WarningAction SilentlyContinue
        $s = Checkpoint-DfVm -Name lsx -SnapshotName resized -ErrorAction Stop
        $s.Live | Should -BeTrue
        (Get-DfVm lsx).State | Should -Be 'Running'
        Get-QemuMemory | Should -Be 512
        Guest 'cat /tmp/ram-marker' | Should -Be 'in-memory'
        $record = Get-Content (Join-Path $script:vmDir 'snapshots/resized.json') -Raw | ConvertFrom-Json
        $record.MemoryMB | Should -Be 512 -Because 'the memory saved is the running machine''s'
        "$warnings" | Should -Match 'next boots'

        Guest 'echo later > /tmp/ram-marker' | Out-Null
        Restore-DfVmSnapshot resized -Name lsx -Force -Timeout 1200 -ErrorAction Stop
        Guest 'cat /tmp/ram-marker' | Should -Be 'in-memory'
        Get-QemuMemory | Should -Be 512
        (Get-Content (Join-Path $script:vmDir 'instance.json') -Raw | ConvertFrom-Json).MemoryMB | Should -Be 768

        # Setting it back is a size the snapshot restores with; another size is not.
        Set-DfVm -Name lsx -MemoryMB 512 -WarningAction SilentlyContinue -ErrorAction Stop
        Set-DfVm -Name lsx -MemoryMB 768 -WarningAction SilentlyContinue -ErrorAction Stop
        $err = $null
        Set-DfVm -Name lsx -MemoryMB 1024 -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'LiveSnapshotWouldNotLoad,DfVm.PowerShell.Commands.SetDfVmCommand'

        # The next cold boot takes the definition's size; the live snapshot still restores (at its own).
        Restart-DfVm -Name lsx -Force -Timeout 1200 -Confirm:$false -WarningAction SilentlyContinue | Out-Null
        Get-QemuMemory | Should -Be 768
        Restore-DfVmSnapshot resized -Name lsx -Force -Timeout 1200 -ErrorAction Stop
        Guest 'cat /tmp/ram-marker' | Should -Be 'in-memory'
        Get-QemuMemory | Should -Be 512
        Set-DfVm -Name lsx -MemoryMB 512 -WarningAction SilentlyContinue -ErrorAction Stop
    }

    It 'the guest''s sshd sessions do not pile up across live checkpoints and restores' {
        # Each live checkpoint and restore resumes a guest whose sshd still holds the session of a connection the
        # new QEMU knows nothing of. Counted with POSIX ps in the guest.
        $count = { @((Invoke-DfVmCommand -Name lsx -Command 'ps -axww -o command=').Output -split "`n" | Where-Object { $_ -match '^sshd(-session)?: root@' }).Count }
        $before = & $count
        foreach ($i in 1..2) {
            Checkpoint-DfVm -Name lsx -SnapshotName "sess$i" -ErrorAction Stop | Out-Null
            Guest 'true' | Out-Null
            Restore-DfVmSnapshot "sess$i" -Name lsx -Force -Timeout 1200 -ErrorAction Stop
            Guest 'true' | Out-Null
        }
        $after = & $count
        $settled = Wait-Until -Seconds 300 -IntervalMs 5000 { $n = & $count; if ($n -le $before) { "$n" } }
        Write-Host "sshd sessions in the guest: $before before, $after after 2 live checkpoints and 2 restores, then $settled"
        $settled | Should -Not -BeNullOrEmpty -Because "sessions whose client went with a QEMU that was replaced must end ($before before, $after after, still more after 300 s)"
    }

    It 'a snapshot whose guest resumes without sshd until the test lets it (the window where a restore waits for SSH)' {
        # A ticker on the serial port shows when the resumed guest runs; sshd's listener is off and comes back
        # when the host port accepts (Wait-GuestSsh) or after 25 s of guest time; what is in that memory comes
        # back with every restore of it. busybox nc (the init scripts' copy) makes the connection: DragonFly's
        # userland the test guest imitates has no nc, and this is the test's own gate, not something DfVm runs.
        $gate = "i=0; while [ `$i -lt 25 ] && ! /usr/libexec/dfvm/bb/nc -w 1 10.0.2.2 $($script:sshGatePort) -e /bin/true </dev/null; do sleep 1; i=`$((i + 1)); done; /usr/sbin/sshd"
        Guest "echo saved > /tmp/ram-marker; (while :; do echo dfvm-tick > /dev/ttyS0; sleep 1; done) >/dev/null 2>&1 & kill `$(cat /run/sshd.pid); ($gate) >/dev/null 2>&1 &" | Out-Null
        (Checkpoint-DfVm -Name lsx -SnapshotName nossh -ErrorAction Stop).Live | Should -BeTrue
        Wait-GuestSsh | Should -BeTrue
        Guest 'cat /tmp/ram-marker' | Should -Be 'saved'
    }

    It 'pwsh killed while a live restore waits for SSH after the guest resumed: a file written later survives Stop-DfVm and Start-DfVm' {
        Guest 'echo changed > /tmp/ram-marker' | Out-Null
        $old = (Get-DfVm lsx).ProcessId
        $other = Start-OtherPwsh 'Restore-DfVmSnapshot nossh -Name lsx -Force -Timeout 600'
        $ran = Wait-ResumedGuestRuns -OldQemu $old
        & kill -9 $other.Id
        $ran | Should -BeTrue -Because 'the restore resumed the guest and waited for its SSH'
        $other.WaitForExit(30000) | Should -BeTrue
        Wait-GuestSsh | Should -BeTrue
        Guest 'cat /tmp/ram-marker' | Should -Be 'saved'
        Guest 'echo written-after > /root/after-restore; sync' | Out-Null
        Stop-DfVm -Name lsx -WarningAction SilentlyContinue
        Test-Path $script:journal | Should -BeFalse -Because 'the resumed guest ran: nothing is owed, the journal is settled'
        $warnings = $null
        Start-DfVm -Name lsx -Timeout 1200 -WarningVariable warnings -WarningAction SilentlyContinue | Out-Null
        Guest 'cat /root/after-restore' | Should -Be 'written-after'
        $left = @(Get-StrayHostProcess -VmDirectory $script:vmDir | Where-Object { $_ -notmatch "^$((Get-DfVm lsx).ProcessId) " })
        Add-FaultRecord -Fault 'pwsh kill -9 as a live restore waits for SSH' -During 'Restore-DfVmSnapshot (live)' -LeftBehind $left `
            -Recovery 'the resumed guest ran on; Stop-DfVm/Start-DfVm kept what it wrote (no second resume of the saved memory)'
        $left | Should -BeNullOrEmpty
    }

    It 'Ctrl+C while a live restore waits for SSH after the guest resumed: the same safe state' {
        Guest 'echo changed > /tmp/ram-marker; rm -f /root/after-restore; sync' | Out-Null
        $old = (Get-DfVm lsx).ProcessId
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module '$($script:modulePath)'; Set-Location '$($script:project)'; Restore-DfVmSnapshot nossh -Name lsx -Force -Timeout 600")
            $handle = $ps.BeginInvoke()
            $ran = Wait-ResumedGuestRuns -OldQemu $old
            $ps.Stop()   # what Ctrl+C does to the running cmdlet
            $ran | Should -BeTrue
            $handle.IsCompleted | Should -BeTrue
        }
        finally { $ps.Dispose() }
        Test-Path $script:journal | Should -BeFalse -Because 'the guest ran again: the restore owes nothing'
        Wait-GuestSsh | Should -BeTrue
        Guest 'cat /tmp/ram-marker' | Should -Be 'saved'
        Guest 'echo written-after > /root/after-restore; sync' | Out-Null
        Stop-DfVm -Name lsx -WarningAction SilentlyContinue
        Start-DfVm -Name lsx -Timeout 1200 -WarningAction SilentlyContinue | Out-Null
        Guest 'cat /root/after-restore' | Should -Be 'written-after'
    }
}
