@{
    RootModule           = 'DfVm.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f0b6f4e-3c1a-4c55-9d7e-2f4f0a3c9d11'
    Author               = 'DfVm contributors'
    CompanyName          = 'DfVm'
    Copyright            = '(c) DfVm contributors. MIT License.'
    Description          = 'A DragonFly BSD test VM on QEMU for Go projects: start it, sync the project, run root-only go test suites in it, snapshot and restore it, and get typed objects back.'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.2'
    FormatsToProcess     = @('DfVm.format.ps1xml')
    CmdletsToExport      = @(
        'Get-DfVm'
        'New-DfVm'
        'Start-DfVm'
        'Stop-DfVm'
        'Remove-DfVm'
        'Invoke-DfVmCommand'
        'Reset-DfVmHostKey'
        'Enter-DfVm'
        'Sync-DfVmProject'
        'Checkpoint-DfVm'
        'Restore-DfVmSnapshot'
        'Get-DfVmSnapshot'
        'Remove-DfVmSnapshot'
        'Save-DfVmImage'
        'Install-DfVm'
        'Invoke-DfVmProvision'
        'Test-DfVmGuest'
        'Invoke-DfVmTest'
        'ConvertFrom-GoTestJson'
        'Export-DfVmTestReport'
        'New-DfVmConfig'
        'Get-DfVmConfig'
        'Build-DfVmProject'
        'Wait-DfVm'
        'Restart-DfVm'
        'Set-DfVm'
        'Copy-DfVmItem'
        'Install-DfVmGoExec'
        'Import-DfVm'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('DragonFly', 'DragonFlyBSD', 'BSD', 'QEMU', 'KVM', 'VM', 'Go', 'Testing', 'SSH', 'Linux')
            ProjectUri   = 'https://github.com/dfvm/DfVm'
            LicenseUri   = 'https://github.com/dfvm/DfVm/blob/main/LICENSE'
            ReleaseNotes = 'First release: VM lifecycle on QEMU (KVM or TCG), pinned SSH, guest commands.'
        }
    }
}
