# Issue 12 §4 without booting a VM: Set-DfVm, and Wait-DfVm's and Restart-DfVm's answers for a
# stopped VM. Restarting, waiting on a live guest and the live-snapshot refusal of Set-DfVm are in
# ConventionsGuest.Tests.ps1.

Describe 'Set-DfVm, Wait-DfVm and Restart-DfVm on stopped VMs' -Tag Unit {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:project = New-TestProject -VmName setvm
        Push-Location $script:project
        New-DfVm -Name setvm -DiskSizeGB 1 -MemoryMB 512 -Cpus 1 | Out-Null
        $script:def = Join-Path $script:project 'vm/setvm/instance.json'
        $script:disk = Join-Path $script:project 'vm/setvm/disk.qcow2'
    }
    AfterAll { Pop-Location; Remove-TestProject -Path $script:project }

    It 'Set-DfVm changes memory, CPUs and SSH port in the definition and leaves the disk alone' {
        $before = Get-FileHash $script:disk
        $vm = Set-DfVm -MemoryMB 768 -Cpus 2 -SshPort 2299 -PassThru
        $vm.MemoryMB | Should -Be 768
        $vm.Cpus | Should -Be 2
        $vm.SshPort | Should -Be 2299
        $json = Get-Content $script:def -Raw | ConvertFrom-Json
        $json.MemoryMB | Should -Be 768
        $json.SshPort | Should -Be 2299
        (Get-FileHash $script:disk).Hash | Should -Be $before.Hash
        Set-DfVm -SshPort 0 -MemoryMB 512
        (Get-DfVm setvm).SshPort | Should -Be 0
    }

    It 'Set-DfVm -WhatIf, inherited and typed, writes nothing' {
        $before = Get-Content $script:def -Raw
        Set-DfVm setvm -MemoryMB 1024 -WhatIf
        & { $WhatIfPreference = $true; Set-DfVm setvm -Cpus 4 }
        Get-Content $script:def -Raw | Should -Be $before
    }

    It 'Wait-DfVm -For Stopped returns a stopped VM at once; -For Ready on it ends in WaitTimeout' {
        (Wait-DfVm setvm -For Stopped -Timeout 5).State | Should -Be 'Stopped'
        $start = Get-Date
        $err = $null
        Wait-DfVm setvm -Timeout 2 -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        ((Get-Date) - $start).TotalSeconds | Should -BeLessThan 10
        $err[0].FullyQualifiedErrorId | Should -Be 'WaitTimeout,DfVm.PowerShell.Commands.WaitDfVmCommand'
        $err[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        $err[0].TargetObject | Should -Be 'setvm'
    }

    It 'Restart-DfVm -WhatIf, typed and inherited, starts nothing' {
        Restart-DfVm setvm -WhatIf
        & { $WhatIfPreference = $true; Restart-DfVm setvm -Force }
        (Get-DfVm setvm).State | Should -Be 'Stopped'
        Test-Path (Join-Path $script:project 'vm/setvm/qemu.pid') | Should -BeFalse
    }
}

# Issue 19, found by reading: Restart-DfVm took the VM lock twice, so another pwsh could act between its stop and its
# start. A VM with an empty disk is enough: QEMU runs (its firmware finds nothing to boot), no guest is needed.
Describe 'Restart-DfVm racing another process for the VM lock' -Tag Integration {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:project = New-TestProject -VmName race
        Push-Location $script:project
        New-DfVm -Name race -DiskSizeGB 1 -MemoryMB 128 -Cpus 1 | Out-Null
        $script:vmDir = Join-Path $script:project 'vm/race'
        Start-DfVm -Name race -NoWait -WarningAction SilentlyContinue | Out-Null
    }
    AfterAll { Pop-Location; Remove-TestProject -Path $script:project }

    It 'holds the lock from its stop to its start: the other process never gets it while the VM is stopped' {
        $done = Join-Path $script:project 'race.done'
        $ready = Join-Path $script:project 'race.ready'
        # The other process takes and releases the VM lock (the flock VmLock takes) as fast as it can, and each time
        # it holds it notes whether QEMU's pid file is there. Between a stop and a start it is not.
        $script = @"
`$lock = '$(Join-Path $script:vmDir 'lock')'; `$pidFile = '$(Join-Path $script:vmDir 'qemu.pid')'; `$held = 0; `$gaps = 0
while (-not [IO.File]::Exists('$done')) {
    try { `$s = [IO.File]::Open(`$lock, 'OpenOrCreate', 'ReadWrite', 'None') } catch { continue }
    try { `$held++; if (-not [IO.File]::Exists(`$pidFile)) { `$gaps++ } } finally { `$s.Dispose() }
    if (`$held -eq 1) { [IO.File]::WriteAllText('$ready', 'racing') }
}
"HELD:`$held GAPS:`$gaps"
"@
        $psi = New-PwshStartInfo '-NoProfile', '-NonInteractive', '-Command', $script
        $psi.RedirectStandardOutput = $true
        $racer = [Diagnostics.Process]::Start($psi)
        try {
            # It is racing once it has held the lock at least once.
            Wait-Until -Seconds 120 { Test-Path $ready } | Should -BeTrue
            foreach ($i in 1..5) { Restart-DfVm -Name race -Force -NoWait -Timeout 120 -Confirm:$false -WarningAction SilentlyContinue | Out-Null }
        }
        finally { Set-Content $done 'done' }
        $text = $racer.StandardOutput.ReadToEnd()
        $racer.WaitForExit(60000) | Should -BeTrue
        Write-Host "racer: $text"
        $text -match 'HELD:(\d+) GAPS:(\d+)' | Should -BeTrue
        [int]$Matches[1] | Should -BeGreaterThan 0 -Because 'the other process really raced for the lock'
        [int]$Matches[2] | Should -Be 0 -Because 'no other command can act on the VM between the stop and the start'
        (Get-DfVm race).State | Should -Not -Be 'Stopped'
    }
}
