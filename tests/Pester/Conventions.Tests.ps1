# Issue 12 §1 and §2, without booting a VM: one rule for position 0, -Name (alias VmName) from the
# pipeline, and -WhatIf that wins over -Force whether it is typed, inherited from $WhatIfPreference
# or passed to a wrapper function. The running-VM cases are in ConventionsGuest.Tests.ps1.

BeforeDiscovery {
    # The parameter at position 0 of every cmdlet that names a VM: the VM for the VM cmdlets, else
    # the thing it acts on besides the VM (the VM is then only -Name).
    $positionCases = @(
        @{ Cmdlet = 'Get-DfVm'; First = 'Name' }
        @{ Cmdlet = 'New-DfVm'; First = 'Name' }
        @{ Cmdlet = 'Start-DfVm'; First = 'Name' }
        @{ Cmdlet = 'Stop-DfVm'; First = 'Name' }
        @{ Cmdlet = 'Remove-DfVm'; First = 'Name' }
        @{ Cmdlet = 'Enter-DfVm'; First = 'Name' }
        @{ Cmdlet = 'Restart-DfVm'; First = 'Name' }
        @{ Cmdlet = 'Wait-DfVm'; First = 'Name' }
        @{ Cmdlet = 'Set-DfVm'; First = 'Name' }
        @{ Cmdlet = 'Test-DfVmGuest'; First = 'Name' }
        @{ Cmdlet = 'Copy-DfVmItem'; First = 'Path' }
        @{ Cmdlet = 'Checkpoint-DfVm'; First = 'SnapshotName' }
        @{ Cmdlet = 'Get-DfVmSnapshot'; First = 'SnapshotName' }
        @{ Cmdlet = 'Restore-DfVmSnapshot'; First = 'SnapshotName' }
        @{ Cmdlet = 'Remove-DfVmSnapshot'; First = 'SnapshotName' }
        @{ Cmdlet = 'Invoke-DfVmCommand'; First = 'Command' }
        @{ Cmdlet = 'Build-DfVmProject'; First = 'Command' }
        @{ Cmdlet = 'Invoke-DfVmTest'; First = 'Suite' }
        @{ Cmdlet = 'Sync-DfVmProject'; First = 'Path' }
        @{ Cmdlet = 'Install-DfVm'; First = $null }
        @{ Cmdlet = 'Invoke-DfVmProvision'; First = $null }
        @{ Cmdlet = 'Reset-DfVmHostKey'; First = $null }
    )
    # Cmdlets where several VMs make sense: -Name is string[] with wildcards.
    $multiCases = @('Get-DfVm', 'Start-DfVm', 'Stop-DfVm', 'Remove-DfVm', 'Checkpoint-DfVm', 'Get-DfVmSnapshot',
        'Invoke-DfVmCommand', 'Build-DfVmProject', 'Invoke-DfVmTest', 'Install-DfVm', 'Invoke-DfVmProvision',
        'Reset-DfVmHostKey', 'Restart-DfVm', 'Wait-DfVm', 'Set-DfVm', 'Test-DfVmGuest') | ForEach-Object { @{ Cmdlet = $_ } }
}

Describe 'One rule for position 0' -Tag Unit {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        function script:FirstPositional([string] $Cmdlet) {
            $cmd = Get-Command $Cmdlet
            $names = foreach ($set in $cmd.ParameterSets) { $set.Parameters | Where-Object Position -EQ 0 | ForEach-Object Name }
            @($names | Select-Object -Unique)
        }
    }

    It '<Cmdlet> takes <First> at position 0' -ForEach $positionCases {
        $first = FirstPositional $Cmdlet
        if ($First) { $first | Should -Be $First } else { $first | Should -BeNullOrEmpty }
        $name = (Get-Command $Cmdlet).Parameters['Name']
        $name.Aliases | Should -Contain 'VmName'
        @($name.ParameterSets.Values | Where-Object ValueFromPipeline).Count | Should -BeGreaterThan 0 -Because 'plain strings bind from the pipeline'
        @($name.ParameterSets.Values | Where-Object ValueFromPipelineByPropertyName).Count | Should -Be 0 -Because 'a piped DfVmSnapshot must not bind its own Name as a VM'
    }

    It '<Cmdlet> -Name is string[] with wildcards' -ForEach $multiCases {
        $name = (Get-Command $Cmdlet).Parameters['Name']
        $name.ParameterType | Should -Be ([string[]])
        @($name.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }).Count | Should -Be 1
    }
}

Describe 'Position 0 and the pipeline on real VM folders' -Tag Unit {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:project = New-TestProject -VmName pos
        Push-Location $script:project
        New-DfVm -Name pos -DiskSizeGB 1 | Out-Null
        New-DfVm -Name other -DiskSizeGB 1 | Out-Null
    }
    AfterAll { Pop-Location; Remove-TestProject -Path $script:project }

    It 'Checkpoint-DfVm clean, Get-DfVmSnapshot clean and cl*, Restore-DfVmSnapshot clean act on the config VM' {
        $s = Checkpoint-DfVm clean
        $s.Name | Should -Be 'clean'
        $s.VmName | Should -Be 'pos'
        (Get-DfVmSnapshot clean).VmName | Should -Be 'pos'
        (Get-DfVmSnapshot cl*).Name | Should -Be 'clean'
        (Restore-DfVmSnapshot clean -PassThru).Name | Should -Be 'pos'
    }

    It 'a literal snapshot name over every VM is an error only when no VM has it' {
        $err = $null
        Get-DfVmSnapshot clean -ErrorVariable err | Should -Not -BeNullOrEmpty
        $err | Should -BeNullOrEmpty
        { Get-DfVmSnapshot nosuch -ErrorAction Stop } | Should -Throw -ErrorId 'SnapshotNotFound,DfVm.PowerShell.Commands.GetDfVmSnapshotCommand'
    }

    It 'plain strings bind -Name from the pipeline, wildcards expand, and a literal miss is VmNotFound' {
        ('pos', 'other' | Get-DfVm).Name | Should -Be @('pos', 'other')
        ('o*' | Get-DfVm).Name | Should -Be 'other'
        (Get-DfVm -VmName other).Name | Should -Be 'other'
        $err = $null
        $r = 'nosuch', 'pos' | Get-DfVm -ErrorVariable err -ErrorAction SilentlyContinue
        $r.Name | Should -Be 'pos'
        $err[0].FullyQualifiedErrorId | Should -Be 'VmNotFound,DfVm.PowerShell.Commands.GetDfVmCommand'
    }

    It 'a piped DfVmSnapshot binds its VM by VmName, never its own name' {
        Checkpoint-DfVm pos -Name other | Out-Null    # a snapshot named like the other VM: the trap
        (Get-DfVmSnapshot pos -Name other | Get-DfVm).Name | Should -Be 'other'
        $s = Get-DfVmSnapshot pos -Name other | Checkpoint-DfVm -SnapshotName second
        $s.VmName | Should -Be 'other'
        (Get-DfVmSnapshot -Name pos).Name | Should -Be 'clean'
        # A deserialized snapshot (Import-Clixml, Receive-Job) binds the same way.
        $xml = Join-Path $script:project 's.xml'
        Get-DfVmSnapshot second -Name other | Export-Clixml $xml
        (Import-Clixml $xml | Get-DfVm).Name | Should -Be 'other'
    }

    It 'a piped DfVmSnapshot restores and removes by itself; a piped string names the VM' {
        (Get-DfVmSnapshot second -Name other | Restore-DfVmSnapshot -PassThru).Name | Should -Be 'other'
        ('other' | Restore-DfVmSnapshot pos -PassThru).Name | Should -Be 'other'
        Get-DfVmSnapshot second -Name other | Remove-DfVmSnapshot -Force
        (Get-DfVmSnapshot -Name other).Name | Should -Be 'pos'
    }
}

Describe '-WhatIf wins over -Force: typed, inherited and through a wrapper' -Tag Unit {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:project = New-TestProject -VmName wif
        Push-Location $script:project
        New-DfVm -Name wif -DiskSizeGB 1 | Out-Null
        Checkpoint-DfVm keep | Out-Null
        Set-Content (Join-Path $script:project 'vm/wif/known_hosts') 'dfvm-wif ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm0rKqj1N2b6lQn1xB2m1h3mKx2bC4eW9kQ4sYp1vHh'
        $script:rows = '{"Action":"pass","Package":"p","Test":"TestA","Elapsed":0.1}' | ConvertFrom-GoTestJson
        function script:Listing {
            Get-ChildItem $script:project -Recurse -Force | ForEach-Object { "$($_.FullName) $($_.Length) $($_.LastWriteTimeUtc.Ticks)" }
        }
        # $WhatIfPreference set by the caller, as a script or profile would.
        function script:Invoke-Inherited { [CmdletBinding()] param([scriptblock] $Action) $WhatIfPreference = $true; & $Action }
        # A user's own advanced function called with -WhatIf.
        function script:Invoke-Wrapper {
            [CmdletBinding(SupportsShouldProcess)]
            param([scriptblock] $Action)
            & $Action
        }
    }
    AfterAll { Pop-Location; Remove-TestProject -Path $script:project }

    It '<How>: <Label> changes nothing' -ForEach @(
        foreach ($how in 'inherited', 'wrapper') {
            @{ How = $how; Label = 'New-DfVm (a new VM)'; Action = { New-DfVm -Name fresh -DiskSizeGB 1 } }
            @{ How = $how; Label = 'New-DfVm -Force over an existing VM'; Action = { New-DfVm -Name wif -DiskSizeGB 2 -Force } }
            @{ How = $how; Label = 'Remove-DfVm -Force'; Action = { Remove-DfVm -Name wif -Force } }
            @{ How = $how; Label = 'Start-DfVm'; Action = { Start-DfVm -Name wif -NoWait } }
            @{ How = $how; Label = 'Checkpoint-DfVm'; Action = { Checkpoint-DfVm nope } }
            @{ How = $how; Label = 'Restore-DfVmSnapshot over a stopped VM'; Action = { Restore-DfVmSnapshot keep } }
            @{ How = $how; Label = 'Restore-DfVmSnapshot -Force'; Action = { Restore-DfVmSnapshot keep -Force } }
            @{ How = $how; Label = 'Remove-DfVmSnapshot -Force'; Action = { Remove-DfVmSnapshot keep -Force } }
            @{ How = $how; Label = 'Reset-DfVmHostKey -Force'; Action = { Reset-DfVmHostKey -Force } }
            @{ How = $how; Label = 'Install-DfVm -Unattended -Force'; Action = { Install-DfVm -Unattended -Force -Mirror 'http://127.0.0.1:9/' } }
            @{ How = $how; Label = 'Invoke-DfVmProvision'; Action = { Invoke-DfVmProvision } }
            @{ How = $how; Label = 'Save-DfVmImage -Force'; Action = { Save-DfVmImage -Force -Mirror 'http://127.0.0.1:9/' } }
            @{ How = $how; Label = 'New-DfVmConfig -Force'; Action = { New-DfVmConfig -Force -VmName changed } }
            @{ How = $how; Label = 'Export-DfVmTestReport'; Action = { $script:rows | Export-DfVmTestReport -Path (Join-Path $script:project 'junit.xml') } }
            @{ How = $how; Label = 'Restart-DfVm -Force'; Action = { Restart-DfVm -Force } }
            @{ How = $how; Label = 'Set-DfVm'; Action = { Set-DfVm -MemoryMB 1024 -SshPort 2345 } }
            @{ How = $how; Label = 'Copy-DfVmItem -ToGuest'; Action = { Copy-DfVmItem -ToGuest $script:project -Destination /root/x } }
            @{ How = $how; Label = 'Copy-DfVmItem -FromGuest'; Action = { Copy-DfVmItem -FromGuest '/root/*' -Destination (Join-Path $script:project 'out') } }
        }
    ) {
        $before = Listing
        $err = $null
        $out = if ($How -eq 'inherited') { Invoke-Inherited $Action -ErrorVariable err } else { Invoke-Wrapper $Action -WhatIf -ErrorVariable err }
        $err | Should -BeNullOrEmpty -Because 'under -WhatIf nothing runs that could fail'
        $out | Should -BeNullOrEmpty
        Listing | Should -Be $before
        (Get-DfVm wif).State | Should -Be 'Stopped'
    }

    It 'without -WhatIf the same -Force calls do act (the tests above could fail)' {
        Restore-DfVmSnapshot keep -Force
        Reset-DfVmHostKey -Force
        Test-Path (Join-Path $script:project 'vm/wif/known_hosts') | Should -BeFalse
        Remove-DfVmSnapshot keep -Merge -Force
        Get-DfVmSnapshot -Name wif | Should -BeNullOrEmpty
        New-DfVm -Name wif -DiskSizeGB 2 -Force | Out-Null
        (Get-DfVm wif).DiskSizeGB | Should -Be 2
        Remove-DfVm -Name wif -Force
        Test-Path (Join-Path $script:project 'vm/wif') | Should -BeFalse
    }
}

Describe '-Force works under pwsh -NonInteractive; the question is still asked without it' -Tag Unit {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:project = New-TestProject -VmName ni
        Push-Location $script:project
        New-DfVm -Name ni -DiskSizeGB 1 | Out-Null
        function script:Invoke-Child([string] $Command) {
            & pwsh -NoProfile -NonInteractive -Command "Import-Module '$env:DFVM_MODULE_PATH'; Set-Location '$($script:project)'; try { $Command; 'OK' } catch { 'ERR ' + `$_.FullyQualifiedErrorId }" 2>&1
        }
    }
    AfterAll { Pop-Location; Remove-TestProject -Path $script:project }

    It 'New-DfVm -Force replaces the VM without -Confirm:$false' {
        $key = Get-Content (Join-Path $script:project 'vm/ni/id_ed25519.pub')
        $out = Invoke-Child 'New-DfVm -Name ni -DiskSizeGB 2 -Force -ErrorAction Stop | Out-Null'
        $out | Should -Contain 'OK'
        Get-Content (Join-Path $script:project 'vm/ni/id_ed25519.pub') | Should -Not -Be $key
        (Get-DfVm ni).DiskSizeGB | Should -Be 2
    }

    It 'Remove-DfVm without -Force asks (and so fails non-interactively); with -Force it deletes' {
        $out = Invoke-Child 'Remove-DfVm -Name ni -ErrorAction Stop'
        ($out -join "`n") | Should -Match 'ERR'
        Test-Path (Join-Path $script:project 'vm/ni') | Should -BeTrue
        $out = Invoke-Child 'Remove-DfVm -Name ni -Force -ErrorAction Stop'
        $out | Should -Contain 'OK'
        Test-Path (Join-Path $script:project 'vm/ni') | Should -BeFalse
    }
}
