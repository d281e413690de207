<#
.SYNOPSIS
    The README's demo: a VM of the built-in Linux test guest, started, used and stopped through
    DfVm's cmdlets, printing the objects they return. Run it with: pwsh ./build.ps1 -Task Demo
#>
param(
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $GuestDirectory
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$g = Get-Content (Join-Path $GuestDirectory 'guest.json') -Raw | ConvertFrom-Json

# A throwaway project: a config file and a tiny Go module with a test that needs root.
$project = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-demo-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $project | Out-Null
Push-Location $project
try {
    Set-Content DfVm.config.psd1 "@{ VmName = 'demo'; MemoryMB = 512; GuestProjectPath = '/root/demo' }"
    Set-Content go.mod "module example.com/demo`n`ngo 1.19`n"
    Set-Content demo_test.go @'
package demo

import (
	"os"
	"testing"
)

func TestAdds(t *testing.T) {
	if 1+1 != 2 {
		t.Fatal("arithmetic is broken")
	}
}

func TestNeedsRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatalf("needs root, running as uid %d", os.Geteuid())
	}
}

func TestShowsAFailure(t *testing.T) {
	t.Run("subtest", func(t *testing.T) {
		t.Errorf("this one fails on purpose, to show Where-Object Failed")
	})
}
'@

    Write-Host "`n> New-DfVm -Name demo -BaseImage <test guest> -Kernel ... (the Linux stand-in for DragonFly)" -ForegroundColor Cyan
    New-DfVm -Name demo -BaseImage $g.disk -Kernel $g.kernel -Initrd $g.initrd -KernelArguments $g.append -DiskInterface virtio-blk -Confirm:$false | Format-Table | Out-Host

    Write-Host '> Start-DfVm demo' -ForegroundColor Cyan
    Start-DfVm demo | Format-Table | Out-Host

    Write-Host "> Invoke-DfVmCommand 'id -u; echo `$SHELL; uname -sr'" -ForegroundColor Cyan
    Invoke-DfVmCommand -Name demo -Command 'id -u; echo $SHELL; uname -sr' | Format-List Command, ExitCode, Succeeded, Output, Duration | Out-Host

    if (Get-Command Sync-DfVmProject -ErrorAction Ignore) {
        Write-Host '> Sync-DfVmProject' -ForegroundColor Cyan
        Sync-DfVmProject -Name demo | Format-Table | Out-Host
    }
    if (Get-Command Invoke-DfVmTest -ErrorAction Ignore) {
        Write-Host "> Invoke-DfVmTest -Suite Unit   (go test -json in the guest, one object per test)" -ForegroundColor Cyan
        $results = Invoke-DfVmTest -Name demo -Suite Unit
        $results | Format-Table | Out-Host
        Write-Host '> ... | Where-Object Failed' -ForegroundColor Cyan
        $results | Where-Object Failed | Format-List Package, Test, Result, Output | Out-Host
    }

    Write-Host '> Get-DfVm' -ForegroundColor Cyan
    Get-DfVm | Format-Table | Out-Host

    Write-Host '> Stop-DfVm demo -PassThru   (ACPI power button, clean shutdown)' -ForegroundColor Cyan
    Stop-DfVm demo -PassThru | Format-Table | Out-Host
}
finally {
    Stop-DfVm -Name demo -Force -ErrorAction SilentlyContinue
    Pop-Location
    Remove-Item $project -Recurse -Force -ErrorAction SilentlyContinue
}
