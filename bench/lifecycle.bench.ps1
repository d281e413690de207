<#
.SYNOPSIS
    Issue 2 benchmark: Start-DfVm to SSH-ready vs the seed's way (launch QEMU, poll `ssh` every
    1 s), Get-DfVm, Import-Module, and Invoke-DfVmCommand on a warm VM vs `ssh host true`.
    Run: pwsh ./build.ps1 -Task Bench   (or this file with -ModulePath and -GuestDirectory)
#>
param(
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $GuestDirectory,
    [int] $Boots = 2,
    [int] $Commands = 20,
    [string] $ResultsPath = (Join-Path $PSScriptRoot 'RESULTS.md')
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$g = Get-Content (Join-Path $GuestDirectory 'guest.json') -Raw | ConvertFrom-Json
$project = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-bench-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $project | Out-Null
Push-Location $project
function Median([double[]] $xs) { $s = $xs | Sort-Object; $s[[int][math]::Floor(($s.Count - 1) / 2)] }
try {
    New-DfVm -Name bench -BaseImage $g.disk -Kernel $g.kernel -Initrd $g.initrd -KernelArguments $g.append -DiskInterface virtio-blk -MemoryMB 512 -Confirm:$false | Out-Null
    $key = Join-Path $project 'vm/bench/id_ed25519'
    $knownHosts = Join-Path $project 'seed_known_hosts'
    $sshOpts = @('-i', $key, '-o', 'BatchMode=yes', '-o', "UserKnownHostsFile=$knownHosts", '-o', 'StrictHostKeyChecking=accept-new', '-o', 'ConnectTimeout=3', '-o', 'LogLevel=ERROR')

    $dfvm = @(); $seed = @()
    for ($i = 0; $i -lt $Boots; $i++) {
        # DfVm: Start-DfVm returns once a real SSH login succeeded.
        $t = [Diagnostics.Stopwatch]::StartNew()
        Start-DfVm -Name bench -WarningAction SilentlyContinue | Out-Null
        $dfvm += $t.Elapsed.TotalSeconds
        Stop-DfVm -Name bench -Force

        # The seed's way: launch QEMU the same way, then `ssh ... true` every second until it works.
        $t = [Diagnostics.Stopwatch]::StartNew()
        $vm = Start-DfVm -Name bench -NoWait -WarningAction SilentlyContinue
        while ($true) {
            & ssh @sshOpts -p $vm.SshPort root@127.0.0.1 true 2>$null
            if ($LASTEXITCODE -eq 0) { break }
            if ($t.Elapsed.TotalSeconds -gt 300) { throw 'seed way: no SSH within 300 s' }
            Start-Sleep -Seconds 1
        }
        $seed += $t.Elapsed.TotalSeconds
        Stop-DfVm -Name bench -Force
        Remove-Item $knownHosts -ErrorAction Ignore
    }

    $vm = Start-DfVm -Name bench -WarningAction SilentlyContinue
    $get = 1..$Commands | ForEach-Object { (Measure-Command { Get-DfVm -Name bench }).TotalMilliseconds }
    Invoke-DfVmCommand -Name bench -Command true | Out-Null   # warm the connection
    $warm = 1..$Commands | ForEach-Object { (Measure-Command { Invoke-DfVmCommand -Name bench -Command true }).TotalMilliseconds }
    $plain = 1..$Commands | ForEach-Object { (Measure-Command { & ssh @sshOpts -p $vm.SshPort root@127.0.0.1 true }).TotalMilliseconds }
    $import = 1..5 | ForEach-Object {
        [double](& pwsh -NoProfile -NonInteractive -Command "(Measure-Command { Import-Module '$ModulePath' }).TotalMilliseconds")
    }
    Stop-DfVm -Name bench

    $cpu = (Get-Content /proc/cpuinfo | Select-String 'model name' | Select-Object -First 1).Line -replace '.*:\s*', ''
    $report = @"

## Lifecycle (issue 2) — $(Get-Date -Format 'yyyy-MM-dd HH:mm') UTC

Command: ``pwsh ./build.ps1 -Task Bench`` (bench/lifecycle.bench.ps1), Linux test guest under TCG
(KVM unusable here), 512 MiB, 2 vCPU; host: $([Environment]::ProcessorCount) cores, $cpu. Medians.

| what | DfVm | the shell way (seed) |
|---|---|---|
| start to SSH-ready ($Boots boots each) | $('{0:0.0}' -f (Median $dfvm)) s (``Start-DfVm``) | $('{0:0.0}' -f (Median $seed)) s (QEMU launch + ``ssh true`` every 1 s) |
| one command on a running VM ($Commands runs) | $('{0:0}' -f (Median $warm)) ms (``Invoke-DfVmCommand`` on the warm connection) | $('{0:0}' -f (Median $plain)) ms (``ssh host true``, new connection each time) |
| ``Get-DfVm`` ($Commands runs) | $('{0:0}' -f (Median $get)) ms | — |
| ``Import-Module DfVm`` (5 fresh pwsh) | $('{0:0}' -f (Median $import)) ms | — |

Raw: start DfVm [$(($dfvm | ForEach-Object { '{0:0.0}' -f $_ }) -join ', ')] s, seed [$(($seed | ForEach-Object { '{0:0.0}' -f $_ }) -join ', ')] s.
"@
    Add-Content -Path $ResultsPath -Value $report
    $report
}
finally {
    Stop-DfVm -Name bench -Force -ErrorAction SilentlyContinue
    Pop-Location
    Remove-Item $project -Recurse -Force -ErrorAction SilentlyContinue
}
