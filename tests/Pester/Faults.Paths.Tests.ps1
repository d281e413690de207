# Issue 10, the path/lock/name faults, each produced for real on one booted test guest: two pwsh
# processes racing (sync/sync, sync/restore, start/start, start/remove), pwsh killed by pid in the
# middle of Remove-DfVm, the project reached through a symlink, the VM directory inside the project,
# a VM named like the image cache, names that are not names. After each: the error id that was due,
# no QEMU/ssh/go process left (host and guest), qemu-img check clean, -Verify without drift, the VM answering.
Describe 'Path, lock and name faults on the test guest' -Tag Faults, Integration {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        . $PSScriptRoot/FaultHelpers.ps1
        $script:modulePath = (Resolve-Path $(if ($env:DFVM_MODULE_PATH) { $env:DFVM_MODULE_PATH } else { Join-Path $PSScriptRoot '../../out/DfVm/DfVm.psd1' })).ProviderPath
        # The VM directory inside the project (.dfvm): its keys and disk must never reach the guest.
        $script:project = New-TestProject -VmName faults -ExtraConfig "    VmDirectory = '.dfvm'"
        $script:link = $script:project + '-link'
        New-Item -ItemType SymbolicLink -Path $script:link -Target $script:project | Out-Null
        $script:vmRoot = Join-Path $script:project '.dfvm'
        $script:guestDir = '/root/' + (Split-Path $script:project -Leaf)
        Push-Location $script:project
        foreach ($f in @{ 'main.go' = 'package main'; 'pkg/vm/vm.go' = 'package vm'; 'vm/notes.txt' = 'not the VM directory'; 'race/a.txt' = 'a0'; 'race/b.txt' = 'b0' }.GetEnumerator()) {
            New-Item -ItemType File -Force -Path (Join-Path $script:project $f.Key) -Value $f.Value | Out-Null
        }
        New-TestGuestVm -Name faults | Out-Null
        Start-TestGuestVm -Name faults
        $script:children = [Collections.Generic.List[Diagnostics.Process]]::new()

        function script:Start-Child {
            # A second pwsh on the same built module, in $Location, running $Command; it prints OK or the error id.
            param([Parameter(Mandatory)][string] $Command, [string] $Location = $script:project)
            $text = "`$ErrorActionPreference = 'Stop'; `$ProgressPreference = 'SilentlyContinue'; Import-Module '$($script:modulePath)'; Set-Location -LiteralPath '$Location'; " +
                "try { `$null = & { $Command }; 'OK' } catch { `$_.FullyQualifiedErrorId; exit 1 }"
            $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($text))
            $psi = New-PwshStartInfo '-NoProfile', '-NonInteractive', '-EncodedCommand', $encoded
            $psi.RedirectStandardOutput = $true
            $psi.RedirectStandardError = $true
            $p = [Diagnostics.Process]::Start($psi)
            $script:children.Add($p)
            return [pscustomobject]@{ Process = $p; Out = $p.StandardOutput.ReadToEndAsync(); Err = $p.StandardError.ReadToEndAsync() }
        }

        function script:Wait-Child {
            # Its last output line (OK or the error id); a child still running at the deadline is killed by its pid and fails the test.
            param([Parameter(Mandatory)] $Child, [int] $Seconds = 300)
            if (-not $Child.Process.WaitForExit($Seconds * 1000)) {
                $Child.Process.Kill()
                throw "child pwsh $($Child.Process.Id) still running after $Seconds s"
            }
            $Child.Process.WaitForExit()
            $lines = @($Child.Out.Result -split "`n" | ForEach-Object Trim | Where-Object { $_ })
            if ($lines.Count -eq 0) { throw "child pwsh printed nothing: $($Child.Err.Result)" }
            return $lines[-1]
        }

        function script:Get-VmQemu([string] $Name) {
            # QEMU processes on this host whose argv names the VM's folder ("pid argv" strings).
            @(Get-StrayHostProcess -VmDirectory $script:vmRoot | Where-Object { $_ -match 'qemu-system' -and $_.Contains("/$Name/") })
        }

        function script:Get-LeftBehind {
            # What a fault left: stray host processes (other than the VM's own QEMU), guest leftovers,
            # unclean images, drift after a -Verify sync; the VM must answer.
            param([string] $Name = 'faults')
            $left = [Collections.Generic.List[string]]::new()
            $vm = Get-DfVm -Name $Name
            foreach ($p in Get-StrayHostProcess -VmDirectory $script:vmRoot) {
                if (-not ($vm.ProcessId -and $p.StartsWith("$($vm.ProcessId) "))) { $left.Add("host: $p") }
            }
            foreach ($m in Test-QemuImagesClean -VmDirectory $script:vmRoot) { $left.Add("image: $m") }
            foreach ($d in Get-ChildItem $script:vmRoot -Force -Directory | Where-Object Name -match '^\.(trash|new)-') { $left.Add("folder: $($d.Name)") }
            $vm.State | Should -Be 'Running'
            $ps = (Invoke-DfVmCommand -Name $Name -Command 'ps -axww -o pid,command').Output -split "`n"
            foreach ($l in $ps) { if ($l -match 'tar -x|find \.|sha256|\bgo (test|build)|sshd: .*notty.*\d') { $left.Add("guest: $($l.Trim())") } }
            $r = Sync-DfVmProject -Name $Name -Verify
            if (-not $r.Verified) { $left.Add("drift: $($r.Drift -join ', ')") }
            (Invoke-DfVmCommand -Name $Name -Command 'echo answers').Output | Should -Be 'answers'
            return , $left.ToArray()
        }
    }
    AfterAll {
        foreach ($p in $script:children) { if (-not $p.HasExited) { $p.Kill() } }
        Pop-Location
        Remove-TestProject -Path $script:project
        Remove-Item -LiteralPath $script:link -Force -ErrorAction SilentlyContinue
    }

    It 'New-DfVm -Name images is refused with ReservedVmName and the image cache survives' {
        $iso = Join-Path $script:vmRoot 'images/dfly-x86_64-6.4.2_REL.iso'
        New-Item -ItemType File -Force -Path $iso -Value 'cached release' | Out-Null
        { New-DfVm -Name images -Force -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'ReservedVmName,DfVm.PowerShell.Commands.NewDfVmCommand'
        Get-Content $iso | Should -Be 'cached release'
        # Nor is any other folder that is not a VM deleted by -Force.
        $foreign = Join-Path $script:vmRoot 'notavm/data.bin'
        New-Item -ItemType File -Force -Path $foreign -Value 'precious' | Out-Null
        { New-DfVm -Name notavm -Force -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'VmExists,DfVm.PowerShell.Commands.NewDfVmCommand'
        Get-Content $foreign | Should -Be 'precious'
        Remove-Item -Recurse -Force (Join-Path $script:vmRoot 'notavm')
        $left = Get-LeftBehind
        Add-FaultRecord -Fault 'a VM named like the image cache (and a foreign folder), with -Force' -During 'New-DfVm' -ErrorId 'ReservedVmName' -LeftBehind $left -Recovery 'nothing to repair: nothing was deleted'
        $left | Should -BeNullOrEmpty
    }

    It 'names with a newline, NUL, dots, separators, unicode or 64+ characters name no VM and no snapshot' {
        # The VM may already have a snapshot (Start-TestGuestVm's 'booted'): none may be added.
        $snapshotsBefore = @(Get-ChildItem (Join-Path $script:vmRoot 'faults/snapshots') -Force -Name -ErrorAction SilentlyContinue)
        foreach ($bad in "faults`n", "faults`r", "fa`0ults", '.', '..', '../faults', 'a/b', 'ünï', ('a' * 64)) {
            { New-DfVm -Name $bad -Confirm:$false -ErrorAction Stop } | Should -Throw
            { Get-DfVm -Name $bad -ErrorAction Stop } | Should -Throw
            { Checkpoint-DfVm -Name faults -SnapshotName $bad -ErrorAction Stop } | Should -Throw
        }
        # New-DfVm refuses it while binding (its -Name pattern is checked to the end, \z), the others in the core.
        { New-DfVm -Name "faults`n" -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,DfVm.PowerShell.Commands.NewDfVmCommand'
        { Get-DfVm -Name "faults`n" -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidVmName,DfVm.PowerShell.Commands.GetDfVmCommand'
        { Checkpoint-DfVm -Name faults -SnapshotName "s1`n" -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSnapshotName,DfVm.PowerShell.Commands.CheckpointDfVmCommand'
        @(Get-ChildItem $script:vmRoot -Force -Name) | Sort-Object | Should -Be @('faults', 'images')
        @(Get-ChildItem (Join-Path $script:vmRoot 'faults/snapshots') -Force -Name -ErrorAction SilentlyContinue) | Should -Be $snapshotsBefore
    }

    It 'VmDirectory inside the project: the private key and the disk never reach the guest, pkg/vm/ and vm/ do' {
        Sync-DfVmProject -Name faults | Out-Null
        $g = (Invoke-DfVmCommand -Name faults -Command "cd $script:guestDir && ls -a; test -e .dfvm && echo LEAK; cat pkg/vm/vm.go; echo; cat vm/notes.txt; echo; grep -rl 'PRIVATE KEY' . || echo no-key").Output -split "`n"
        $g | Should -Not -Contain 'LEAK'
        $g | Should -Not -Contain '.dfvm'
        $g | Should -Contain 'package vm'
        $g | Should -Contain 'not the VM directory'
        $g | Should -Contain 'no-key'
        $left = Get-LeftBehind
        Add-FaultRecord -Fault 'VmDirectory inside the project' -During 'Sync-DfVmProject' -LeftBehind $left -Recovery 'nothing to repair: the VM directory was never sent'
        $left | Should -BeNullOrEmpty
    }

    It 'two syncs racing with edits in between leave no drift' {
        $child = Start-Child -Command "foreach (`$i in 1..5) { Set-Content race/b.txt ""b`$i""; Sync-DfVmProject -Name faults -Verbose:`$false }"
        foreach ($i in 1..5) {
            Set-Content (Join-Path $script:project 'race/a.txt') "a$i"
            Sync-DfVmProject -Name faults | Out-Null
        }
        Wait-Child $child | Should -Be 'OK'   # the second sync waited for the first, it did not fail
        Set-Content (Join-Path $script:project 'race/a.txt') 'a-final'
        $left = Get-LeftBehind
        (Invoke-DfVmCommand -Name faults -Command "cat $script:guestDir/race/a.txt $script:guestDir/race/b.txt").Output | Should -Be "a-final`nb5"
        Add-FaultRecord -Fault 'two pwsh processes syncing at once, files edited in between' -During 'Sync-DfVmProject' -LeftBehind $left -Recovery 'none needed: the second sync waits for the VM lock'
        $left | Should -BeNullOrEmpty
    }

    It 'a sync racing a live restore leaves no manifest that lists what the guest lacks' {
        Sync-DfVmProject -Name faults | Out-Null
        Checkpoint-DfVm -Name faults -SnapshotName before-race | Out-Null
        foreach ($i in 1..3) { Set-Content (Join-Path $script:project "race/new$i.txt") "new$i" }
        $child = Start-Child -Command 'Restore-DfVmSnapshot -Name faults -SnapshotName before-race -Force -Confirm:$false'
        $syncIds = foreach ($i in 1..4) {
            Set-Content (Join-Path $script:project 'race/a.txt') "r$i"
            try { Sync-DfVmProject -Name faults -ErrorAction Stop | Out-Null; 'OK' } catch { $_.FullyQualifiedErrorId }
        }
        $restore = Wait-Child $child
        # The restore either ran (before, between or after the syncs) or waited out its 5 s for the lock.
        $restore | Should -BeIn @('OK', 'VmLocked,DfVm.PowerShell.Commands.RestoreDfVmSnapshotCommand')
        $syncIds | Where-Object { $_ -ne 'OK' } | Should -BeNullOrEmpty
        $left = Get-LeftBehind
        Add-FaultRecord -Fault 'a live restore in another pwsh during syncs' -During 'Sync-DfVmProject / Restore-DfVmSnapshot' -ErrorId ($restore -replace ',.*', '' -replace '^OK$', '') -LeftBehind $left -Recovery 'the restore drops the manifest under the VM lock; the next sync lists the guest'
        $left | Should -BeNullOrEmpty
    }

    It 'through a symlinked project path the VM shows Running, syncs to the same folder and stops, leaving no QEMU' {
        $vm = Get-DfVm -Name faults
        Push-Location $script:link
        try {
            $viaLink = Get-DfVm -Name faults
            $viaLink.State | Should -Be 'Running'
            $viaLink.ProcessId | Should -Be $vm.ProcessId
            (Sync-DfVmProject -Name faults -Verify).Verified | Should -BeTrue
            (Sync-DfVmProject -Name faults -WhatIf).Destination | Should -Be $script:guestDir
            Stop-DfVm -Name faults
            (Get-DfVm -Name faults).State | Should -Be 'Stopped'
        }
        finally { Pop-Location }
        # Stopped means QEMU let go of the VM (its pid-file lock); the process itself may need a moment to exit.
        Wait-Until -Seconds 15 -IntervalMs 100 { @(Get-VmQemu faults).Count -eq 0 } | Out-Null
        Get-VmQemu faults | Should -BeNullOrEmpty
        Test-Path (Join-Path $script:vmRoot 'faults/qemu.pid') | Should -BeFalse
    }

    It 'two starts racing (one through the symlink) launch one QEMU' {
        $a = Start-Child -Command 'Start-DfVm -Name faults -WarningAction SilentlyContinue' -Location $script:link
        $b = Start-Child -Command 'Start-DfVm -Name faults -WarningAction SilentlyContinue'
        $ids = @((Wait-Child $a), (Wait-Child $b))
        # One launches; the other waits for the lock while the first boots, then finds the VM running.
        $ids | Should -Be @('OK', 'OK')
        @(Get-VmQemu faults).Count | Should -Be 1
        Start-DfVm -Name faults -WarningAction SilentlyContinue | Out-Null
        $left = Get-LeftBehind
        Add-FaultRecord -Fault 'two pwsh processes starting the VM at once (one through a symlinked path); Stop through the symlink' -During 'Start-DfVm / Stop-DfVm' -LeftBehind $left -Recovery 'none needed: the second start waited for the first and returned the same running VM, found through either path'
        $left | Should -BeNullOrEmpty
    }

    It 'a start racing a remove leaves no QEMU in a deleted folder' {
        New-TestGuestVm -Name victim | Out-Null
        $start = Start-Child -Command 'Start-DfVm -Name victim -NoWait -WarningAction SilentlyContinue'
        $remove = Start-Child -Command 'Remove-DfVm -Name victim -Force -Confirm:$false'
        $r = Wait-Child $remove
        $s = Wait-Child $start
        $r | Should -Be 'OK'
        $s | Should -BeIn @('OK', 'VmNotFound,DfVm.PowerShell.Commands.StartDfVmCommand')
        Test-Path (Join-Path $script:vmRoot 'victim') | Should -BeFalse
        # Stopped means QEMU let go of the VM (its pid-file lock); the process itself may need a moment to exit.
        Wait-Until -Seconds 15 -IntervalMs 100 { @(Get-VmQemu victim).Count -eq 0 } | Out-Null
        Get-VmQemu victim | Should -BeNullOrEmpty
        $left = Get-LeftBehind
        Add-FaultRecord -Fault 'Start-DfVm and Remove-DfVm in two pwsh processes at once' -During 'Remove-DfVm' -ErrorId ($s -replace ',.*', '' -replace '^OK$', '') -LeftBehind $left -Recovery 'none needed: the remove holds the VM lock until the folder is gone'
        $left | Should -BeNullOrEmpty
    }

    It 'pwsh killed by pid in the middle of Remove-DfVm: the next command finishes it, nothing stray' {
        New-TestGuestVm -Name victim | Out-Null
        $qemu = (Start-DfVm -Name victim -NoWait -WarningAction SilentlyContinue).ProcessId
        $qemu | Should -BeGreaterThan 0
        $child = Start-Child -Command 'Remove-DfVm -Name victim -Force -Confirm:$false'
        # Kill it as soon as the remove is under way: its QEMU gone or its folder renamed to trash.
        $deadline = [DateTime]::UtcNow.AddSeconds(120)
        while ([DateTime]::UtcNow -lt $deadline -and -not $child.Process.HasExited -and (Test-ProcessRunning $qemu) -and
            -not (Get-ChildItem $script:vmRoot -Force -Directory -Filter '.trash-victim-*')) { Start-Sleep -Milliseconds 20 }
        $killedMidway = -not $child.Process.HasExited
        if ($killedMidway) { $child.Process.Kill() }
        $child.Process.WaitForExit(30000) | Should -BeTrue
        # The next command repairs: a VM still whole is removed again, a half-deleted one is swept.
        if (Test-Path (Join-Path $script:vmRoot 'victim/instance.json')) { Remove-DfVm -Name victim -Force -Confirm:$false }
        else { New-TestGuestVm -Name victim | Out-Null; Remove-DfVm -Name victim -Force -Confirm:$false }
        Test-Path (Join-Path $script:vmRoot 'victim') | Should -BeFalse
        Test-ProcessRunning $qemu | Should -BeFalse
        $left = Get-LeftBehind
        Add-FaultRecord -Fault "pwsh killed by pid during Remove-DfVm ($(if ($killedMidway) { 'killed mid-way' } else { 'remove finished first' }))" -During 'Remove-DfVm' -LeftBehind $left -Recovery 'the next New-DfVm/Remove-DfVm finishes the removal (trash swept)'
        $left | Should -BeNullOrEmpty
    }
}
