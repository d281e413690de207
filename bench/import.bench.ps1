<#
.SYNOPSIS
    Issue 20 benchmark: from an existing disk image to Invoke-DfVmTest results (Import-DfVm, then the
    suite of a tiny Go project), next to the unattended install road on the same machine (the xunit
    test that drives UnattendedInstaller through every step but the DragonFly boot on the test guest).
    Run: pwsh ./build.ps1 -Task Bench   (or this file with -ModulePath and -GuestDirectory)
#>
param(
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $GuestDirectory,
    [switch] $SkipInstallSide,
    [string] $ResultsPath = (Join-Path $PSScriptRoot 'RESULTS.md')
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$repo = Split-Path $PSScriptRoot -Parent
$g = Get-Content (Join-Path $GuestDirectory 'guest.json') -Raw | ConvertFrom-Json
$project = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-bench-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
$images = "$project-images"
New-Item -ItemType Directory $project, $images | Out-Null
Set-Content (Join-Path $project 'DfVm.config.psd1') @'
@{
    VmName = 'imp'
    MemoryMB = 512
    Cpus = 2
    GuestProjectPath = '/root/tiny'
    Suites = @{ Unit = @{ Command = 'GOFLAGS=-count=1 GOPROXY=off go test -json ./...' } }
}
'@
Set-Content (Join-Path $project 'go.mod') "module example.com/tiny`n`ngo 1.19"
Set-Content (Join-Path $project 'tiny_test.go') "package tiny`n`nimport `"testing`"`n`nfunc TestAdd(t *testing.T) {`n`tif 2+2 != 4 {`n`t`tt.Fatal(`"arithmetic`")`n`t}`n}"
Push-Location $project
$boot = @{ Kernel = $g.kernel; Initrd = $g.initrd; KernelArguments = $g.append; DiskInterface = 'virtio-blk' }
try {
    # The user's image, made once (not timed): like the public CI image, root logs in with the password 'runner'.
    $t = [Diagnostics.Stopwatch]::StartNew()
    New-DfVm -Name prep -BaseImage $g.disk @boot -MemoryMB 512 -Confirm:$false | Out-Null
    Start-DfVm -Name prep -Timeout 600 -WarningAction SilentlyContinue | Out-Null
    $r = Invoke-DfVmCommand -Name prep @'
set -e
sed 's|^root:[^:]*:|root:$6$dfvmtest$CcVQtZXDpJZov46DcE7ReDVuu6v8CR2IwgPNJgB4rUcTjeFkIkjQUK1NXdp8P6RPPUYVUIrqTGJoSZF2ZQCOk.:|' /etc/shadow > /tmp/shadow
cat /tmp/shadow > /etc/shadow
sed -e 's/^PasswordAuthentication no/PasswordAuthentication yes/' -e 's/^PermitRootLogin .*/PermitRootLogin yes/' /etc/ssh/sshd_config > /tmp/sshd_config
cat /tmp/sshd_config > /etc/ssh/sshd_config
rm -f /root/.ssh/authorized_keys /home/dfuser/.ssh/authorized_keys
'@
    if ($r.ExitCode -ne 0) { throw "preparing the image failed: $($r.Error)" }
    Stop-DfVm -Name prep -Confirm:$false | Out-Null
    $image = Join-Path $images 'public.qcow2'
    & qemu-img convert -O qcow2 (Get-DfVm -Name prep).DiskPath $image
    Remove-DfVm -Name prep -Confirm:$false
    $prepSeconds = $t.Elapsed.TotalSeconds

    # Timed: the existing image to test results.
    $cred = [pscredential]::new('root', (ConvertTo-SecureString 'runner' -AsPlainText -Force))
    $t = [Diagnostics.Stopwatch]::StartNew()
    $imported = Import-DfVm $image -Name imp -Credential $cred @boot -WarningAction SilentlyContinue -InformationAction SilentlyContinue
    $importSeconds = $t.Elapsed.TotalSeconds
    $rows = @(Invoke-DfVmTest -Name imp -Suite Unit -Sync -InformationAction SilentlyContinue)
    $totalSeconds = $t.Elapsed.TotalSeconds
    $passed = @($rows | Where-Object { $_.Test -eq 'TestAdd' -and $_.Passed }).Count -eq 1
    Stop-DfVm -Name imp -Force -Confirm:$false
    $load = (Get-Content /proc/loadavg -Raw).Split(' ')[0..2] -join ' '

    # The other road: the unattended install's xunit test on the same test guest (built first, not timed).
    $installSeconds = $null
    if (-not $SkipInstallSide) {
        & dotnet build (Join-Path $repo 'tests/DfVm.Core.Tests') -c Release -v q -nologo | Out-Null
        $t = [Diagnostics.Stopwatch]::StartNew()
        & dotnet test (Join-Path $repo 'tests/DfVm.Core.Tests') -c Release --no-build -v q -nologo --filter 'FullyQualifiedName~Runs_the_phases_then_boots_pins_provisions_and_snapshots' | Out-Null
        $ok = $LASTEXITCODE -eq 0
        $installSeconds = $t.Elapsed.TotalSeconds
        if (-not $ok) { $installSeconds = $null; Write-Warning 'the unattended install test failed: no figure for that side' }
    }
}
finally {
    Pop-Location
    Push-Location $project
    Get-DfVm -ErrorAction SilentlyContinue | Where-Object ProcessId | ForEach-Object { Stop-DfVm -Name $_.Name -Force -Confirm:$false -ErrorAction SilentlyContinue }
    Pop-Location
    Get-ChildItem $project -Recurse -Directory -ErrorAction SilentlyContinue | ForEach-Object { & chmod u+w $_.FullName 2>$null }
    Remove-Item $project, $images -Recurse -Force -ErrorAction SilentlyContinue
}

$cpu = ((Get-Content /proc/cpuinfo | Where-Object { $_ -like 'model name*' } | Select-Object -First 1) -split ':\s*', 2)[1]
$stamp = [DateTime]::UtcNow.ToString('yyyy-MM-dd HH:mm')
$installCell = if ($installSeconds) { '{0:0.0} s' -f $installSeconds } else { 'not measured' }
$section = @"

## Import of an existing image (issue 20) — $stamp UTC

Command: ``pwsh -NoProfile -File bench/import.bench.ps1 -ModulePath <out/DfVm/DfVm.psd1> -GuestDirectory <test guest>`` (what ``pwsh ./build.ps1 -Task Bench`` runs).
Linux test guest under TCG, 512 MiB, 2 vCPU; host: 2 cores, $cpu; load average at the end $load (other sessions shared the machine). One run each.
The image: a flattened test-guest disk set up like the public prebuilt image (root's password, password logins on, no DfVm key), made in $('{0:0}' -f $prepSeconds) s before the timing.

| road | from | to | time |
|---|---|---|---|
| ``Import-DfVm <image> -Credential root`` then ``Invoke-DfVmTest`` | an existing image | test results of a tiny Go module (passed: $passed) | $('{0:0.0}' -f $totalSeconds) s (import $('{0:0.0}' -f $importSeconds) s: boot, first login, key, provisioning, self-check, live ``clean`` snapshot) |
| unattended install (``UnattendedInstaller`` xunit test, ``dotnet test --no-build``) | an empty disk | provisioned VM, ``clean`` checkpoint step | $installCell |

The install side is the existing install test on the same test guest: two short stand-in PFI phases instead of
DragonFly's real install and package phases (10-15 min with KVM by public reports, several times that under TCG),
so it is a lower bound of that road; it does not run a suite.
"@
Add-Content -Path $ResultsPath -Value $section
Write-Host $section
