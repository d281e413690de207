# -WhatIf changes nothing, for each state-changing cmdlet not already covered where it is tested
# (New-DfVm, Remove-DfVm, Sync-DfVmProject, Save-DfVmImage, Invoke-DfVmProvision, New-DfVmConfig,
# Export-DfVmTestReport, Stop-DfVm, Restore-DfVmSnapshot have theirs next to their other tests).
Describe '-WhatIf changes nothing' -Tag Unit {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:project = New-TestProject -VmName wi
        Push-Location $script:project
        New-DfVm -Name wi -DiskSizeGB 1 -Confirm:$false | Out-Null
        $script:dir = Join-Path $script:project 'vm/wi'
        function script:Listing { Get-ChildItem $script:dir -Recurse -Force | ForEach-Object { "$($_.FullName) $($_.Length) $($_.LastWriteTimeUtc.Ticks)" } }
    }
    AfterAll { Pop-Location; Remove-TestProject -Path $script:project }

    It 'Start-DfVm -WhatIf starts nothing' {
        $before = Listing
        Start-DfVm -Name wi -WhatIf
        (Get-DfVm wi).State | Should -Be 'Stopped'
        Listing | Should -Be $before
    }

    It 'Checkpoint-DfVm -WhatIf takes no snapshot' {
        $before = Listing
        Checkpoint-DfVm -Name wi -SnapshotName nope -WhatIf
        Get-DfVmSnapshot -Name wi | Should -BeNullOrEmpty
        Listing | Should -Be $before
    }

    It 'Remove-DfVmSnapshot -WhatIf keeps the snapshot; Restore-DfVmSnapshot -WhatIf keeps the disk' {
        Checkpoint-DfVm -Name wi -SnapshotName keep | Out-Null
        $before = Listing
        Remove-DfVmSnapshot keep -Name wi -WhatIf
        Restore-DfVmSnapshot keep -Name wi -WhatIf
        (Get-DfVmSnapshot -Name wi).Name | Should -Be 'keep'
        Listing | Should -Be $before
    }

    It 'Reset-DfVmHostKey -WhatIf keeps the pin, even with -Force' {
        Set-Content (Join-Path $script:dir 'known_hosts') 'dfvm-wi ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm0rKqj1N2b6lQn1xB2m1h3mKx2bC4eW9kQ4sYp1vHh'
        $before = Listing
        Reset-DfVmHostKey -Name wi -Force -WhatIf
        Listing | Should -Be $before
    }

    It 'Install-DfVm -WhatIf boots and fetches nothing' {
        $before = Listing
        Install-DfVm -Name wi -Unattended -Mirror 'http://127.0.0.1:9/' -WhatIf
        (Get-DfVm wi).State | Should -Be 'Stopped'
        Listing | Should -Be $before
        Test-Path (Join-Path $script:project 'vm/images') | Should -BeFalse
    }

    It 'Stop-DfVm -WhatIf and Remove-DfVm -WhatIf leave the VM as it was' {
        $before = Listing
        Stop-DfVm -Name wi -Force -WhatIf
        Remove-DfVm -Name wi -Force -WhatIf
        Listing | Should -Be $before
    }
}
