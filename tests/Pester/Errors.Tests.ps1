# Errors a person can act on: each id produced for real, with its category and the VM as target.
Describe 'Errors without a running guest' -Tag Unit {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:project = New-TestProject -VmName errs
        Push-Location $script:project
    }
    AfterAll { Pop-Location; Remove-TestProject -Path $script:project }

    It 'InvalidVmName for a name with a path in it' {
        $err = $null
        Start-DfVm -Name '../etc' -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'InvalidVmName,DfVm.PowerShell.Commands.StartDfVmCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'BaseImageNotFound when the base image does not exist' {
        { New-DfVm -Name nobase -BaseImage /nonexistent/base.qcow2 -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'BaseImageNotFound,DfVm.PowerShell.Commands.NewDfVmCommand'
        Test-Path (Join-Path $script:project 'vm/nobase') | Should -BeFalse
        Get-ChildItem (Join-Path $script:project 'vm') -Force | Where-Object Name -like '.new-*' | Should -BeNullOrEmpty
    }

    It 'QemuNotInstalled names the package to install' {
        $empty = New-Item -ItemType Directory (Join-Path $script:project 'noqemu')
        $env:DFVM_QEMU_DIR = $empty.FullName
        try {
            $err = $null
            New-DfVm -Name noqemu -DiskSizeGB 1 -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        }
        finally { Remove-Item Env:DFVM_QEMU_DIR }
        $err[0].FullyQualifiedErrorId | Should -Be 'QemuNotInstalled,DfVm.PowerShell.Commands.NewDfVmCommand'
        $err[0].CategoryInfo.Category | Should -Be 'NotInstalled'
        $err[0].Exception.Message | Should -Match 'apt-get install qemu-utils'
        $err[0].ErrorDetails.Message | Should -Be $err[0].Exception.Message
        $err[0].ErrorDetails.RecommendedAction | Should -Match '^Install QEMU: .*apt-get install qemu-utils'
    }

    It 'VmNotRunning for a command sent to a stopped VM, saying how to start it' {
        New-DfVm -Name cold -DiskSizeGB 1 -Confirm:$false | Out-Null
        $err = $null
        Invoke-DfVmCommand -Name cold -Command true -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'VmNotRunning,DfVm.PowerShell.Commands.InvokeDfVmCommandCommand'
        $err[0].TargetObject | Should -Be 'cold'
        $err[0].Exception.Message | Should -Match 'Start-DfVm -Name cold'
        $err[0].ErrorDetails.RecommendedAction | Should -Be 'Start it with Start-DfVm -Name cold.'
    }

    It 'framework exceptions no DfVm error wraps get fixed ids and categories; a remedy goes into ErrorDetails' {
        # ErrorMapping is internal: the cmdlets reach it for every error, this test by reflection.
        $toRecord = (Get-Module DfVm).ImplementingAssembly.GetType('DfVm.PowerShell.ErrorMapping', $true).GetMethod('ToErrorRecord')
        $cases = @(
            @{ Exception = [TimeoutException]::new('t'); Id = 'OperationTimeout'; Category = 'OperationTimeout' }
            @{ Exception = [UnauthorizedAccessException]::new('u'); Id = 'PermissionDenied'; Category = 'PermissionDenied' }
            @{ Exception = [IO.IOException]::new('i'); Id = 'IOError'; Category = 'WriteError' }
            @{ Exception = [InvalidOperationException]::new('x'); Id = 'UnexpectedError'; Category = 'InvalidOperation' }
        )
        foreach ($c in $cases) {
            $r = $toRecord.Invoke($null, @($c.Exception, 'it'))
            $r.FullyQualifiedErrorId | Should -Be $c.Id
            $r.CategoryInfo.Category | Should -Be $c.Category
            $r.TargetObject | Should -Be 'it'
            $r.ErrorDetails | Should -BeNullOrEmpty
        }
        $core = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'DfVm.Core' }
        $kind = [Enum]::Parse($core.GetType('DfVm.Core.DfVmErrorKind', $true), 'ResourceUnavailable')
        $e = [Activator]::CreateInstance($core.GetType('DfVm.Core.DfVmException', $true), [object[]]@('VmLocked', $kind, 'It is busy. Wait.', 'vm1', $null))
        $toRecord.Invoke($null, @($e, 'other')).ErrorDetails | Should -BeNullOrEmpty -Because 'no remedy, no ErrorDetails: the record is as before'
        $e.RecommendedAction = 'Wait.'
        $r = $toRecord.Invoke($null, @($e, 'other'))
        $r.FullyQualifiedErrorId | Should -Be 'VmLocked'
        $r.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $r.TargetObject | Should -Be 'vm1'
        $r.ErrorDetails.Message | Should -Be 'It is busy. Wait.'
        $r.ErrorDetails.RecommendedAction | Should -Be 'Wait.'
    }

    It 'VmDefinitionInvalid for a damaged instance.json' {
        New-DfVm -Name broken -DiskSizeGB 1 -Confirm:$false | Out-Null
        Set-Content (Join-Path $script:project 'vm/broken/instance.json') '{ not json'
        $err = $null
        Get-DfVm -Name broken -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'VmDefinitionInvalid,DfVm.PowerShell.Commands.GetDfVmCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidData'
    }

    It 'QemuStartFailed carries what QEMU said' {
        New-DfVm -Name nokernel -Kernel /nonexistent/vmlinuz -DiskSizeGB 1 -Confirm:$false | Out-Null
        $err = $null
        Start-DfVm -Name nokernel -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'QemuStartFailed,DfVm.PowerShell.Commands.StartDfVmCommand'
        $err[0].Exception.Message | Should -Match 'nonexistent/vmlinuz'
        (Get-DfVm nokernel).State | Should -Be 'Stopped'
    }

    It 'InstallWouldOrphanSnapshots: an install refuses a VM that has snapshots' {
        New-DfVm -Name withsnap -DiskSizeGB 1 -Confirm:$false | Out-Null
        Checkpoint-DfVm -Name withsnap -SnapshotName before | Out-Null
        { Install-DfVm -Name withsnap -Unattended -Force -Mirror 'http://127.0.0.1:9/' -ErrorAction Stop } |
            Should -Throw -ErrorId 'InstallWouldOrphanSnapshots,DfVm.PowerShell.Commands.InstallDfVmCommand'
        (Get-DfVmSnapshot -Name withsnap).Name | Should -Be 'before'
    }

    It 'InvalidMirror: Save-DfVmImage and Install-DfVm refuse a mirror that is not http(s), before anything is fetched or touched' {
        { Save-DfVmImage -Mirror 'ftp://127.0.0.1/dragonfly/' -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidMirror,DfVm.PowerShell.Commands.SaveDfVmImageCommand'
        Test-Path (Join-Path $script:project 'vm/images') | Should -BeFalse
        New-DfVm -Name ftpmirror -DiskSizeGB 1 -Confirm:$false | Out-Null
        $disk = (Get-DfVm -Name ftpmirror).DiskPath
        $before = (Get-FileHash $disk -Algorithm SHA256).Hash
        $e = { Install-DfVm -Name ftpmirror -Unattended -Force -Mirror 'ftp://127.0.0.1/dragonfly/' -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidMirror,DfVm.PowerShell.Commands.InstallDfVmCommand' -PassThru
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.Exception.Message | Should -Match 'http\(s\) URL'
        (Get-DfVm -Name ftpmirror).State | Should -Be 'Stopped'
        (Get-FileHash $disk -Algorithm SHA256).Hash | Should -Be $before
    }

    It 'TerminalRequired when Enter-DfVm has no terminal' {
        New-DfVm -Name noterm -DiskSizeGB 1 -Confirm:$false | Out-Null
        $out = '' | & pwsh -NoProfile -NonInteractive -Command "Import-Module '$env:DFVM_MODULE_PATH'; Set-Location '$($script:project)'; try { Enter-DfVm -Name noterm -ErrorAction Stop } catch { `$_.FullyQualifiedErrorId }"
        $out | Should -Contain 'TerminalRequired,DfVm.PowerShell.Commands.EnterDfVmCommand'
    }
}

Describe 'Errors with a running guest' -Tag Integration {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:project = New-TestProject -VmName errvm
        Push-Location $script:project
        New-TestGuestVm -Name errvm | Out-Null
        Start-TestGuestVm -Name errvm
    }
    AfterAll { Pop-Location; Remove-TestProject -Path $script:project }

    It 'GuestConnectionLost when the SSH connection dies mid-command, and the next command reconnects' {
        # Kill the per-connection sshd process that serves this very command.
        $err = $null
        Invoke-DfVmCommand -Name errvm -Command 'sshd_pid=$(awk "/^PPid/{print \$2}" /proc/$PPID/status); kill -9 $sshd_pid; sleep 5' -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'GuestConnectionLost,DfVm.PowerShell.Commands.InvokeDfVmCommandCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        (Invoke-DfVmCommand -Name errvm -Command 'echo back').Output | Should -Be 'back'
    }

    It 'SshAuthenticationFailed when the guest no longer holds the VM key' {
        Invoke-DfVmCommand -Name errvm -Command 'mv /root/.ssh/authorized_keys /root/.ssh/ak.off' | Out-Null
        try {
            # A new pwsh session: no warm connection, so a fresh login is attempted.
            $out = & pwsh -NoProfile -NonInteractive -Command "Import-Module '$env:DFVM_MODULE_PATH'; Set-Location '$($script:project)'; try { Invoke-DfVmCommand -Name errvm -Command true -ErrorAction Stop } catch { `$_.FullyQualifiedErrorId; `$_.CategoryInfo.Category }"
            $out | Should -Contain 'SshAuthenticationFailed,DfVm.PowerShell.Commands.InvokeDfVmCommandCommand'
            $out | Should -Contain 'SecurityError'
        }
        finally {
            Invoke-DfVmCommand -Name errvm -Command 'mv /root/.ssh/ak.off /root/.ssh/authorized_keys' | Out-Null
        }
    }
}
