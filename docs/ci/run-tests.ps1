<#
.SYNOPSIS
    The pwsh part of DfVm's CI examples (github-actions.yml, gitlab-ci.yml): the project's tests
    in a clean DragonFly VM, a JUnit report, and a failed step when anything failed.

.DESCRIPTION
    Run from the project root (where DfVm.config.psd1 is). When the VM is not there yet (a cache
    miss: the first run for a DragonFly version), it is made once: Save-DfVmImage, New-DfVm,
    Install-DfVm -Unattended (which ends with the 'clean' snapshot). Every run then restores
    'clean', syncs the project, runs the suite with -CI and writes the JUnit report whatever
    happened. $ErrorActionPreference = 'Stop' (what a GitHub Actions `shell: pwsh` step sets
    too) turns the TestsFailed error of -CI into exit code 1 under `pwsh -File`.

.EXAMPLE
    pwsh -File run-tests.ps1 -Suite All -Report junit.xml
#>
[CmdletBinding()]
param(
    # A suite of DfVm.config.psd1 (All runs every suite; each row says which).
    [string] $Suite = 'All',
    # Where the JUnit report goes.
    [string] $Report = 'junit.xml',
    # The module to import: its name when installed, or the path of a built DfVm.psd1.
    [string] $Module = 'DfVm',
    # The snapshot every run starts from.
    [string] $Snapshot = 'clean'
)

$ErrorActionPreference = 'Stop'
Import-Module $Module

$name = (Get-DfVmConfig).VmName
if (-not (Get-DfVm | Where-Object Name -EQ $name)) {
    # Cache miss: the image and the installed VM with its clean snapshot, once per DragonFly version.
    Save-DfVmImage | Out-Null
    New-DfVm | Out-Null
    Install-DfVm -Unattended -Force | Out-Null
}

Restore-DfVmSnapshot $Snapshot -Start -Force | Out-Null
$rows = [System.Collections.Generic.List[object]]::new()
try {
    Sync-DfVmProject | Out-Null
    # -CI: after the last row, a terminating TestsFailed error when anything failed or the run broke off.
    Invoke-DfVmTest $Suite -CI | ForEach-Object { $rows.Add($_) }
}
finally {
    if ($rows.Count) {
        $rows | Where-Object { -not $_.Passed } | Format-Table -AutoSize | Out-Host
        $rows | Export-DfVmTestReport -Path $Report | Out-Null
    }
    Stop-DfVm -Force
}
