<#
.SYNOPSIS
    Issue 5 benchmark, side by side in one run: Checkpoint-DfVm vs the seed's `cp disk snapshot`
    at 1 GiB and 4 GiB of written data; Restore-DfVmSnapshot (disk, then live) to SSH-ready vs the
    seed's restore (`cp snapshot disk`) + cold boot to SSH-ready.
    Run: pwsh ./build.ps1 -Task Bench   (or this file with -ModulePath and -GuestDirectory)
#>
param(
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $GuestDirectory,
    [string] $ResultsPath = (Join-Path $PSScriptRoot 'RESULTS.md')
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$g = Get-Content (Join-Path $GuestDirectory 'guest.json') -Raw | ConvertFrom-Json
$project = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-snapbench-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $project | Out-Null
Push-Location $project
function Median([double[]] $xs) { $s = $xs | Sort-Object; $s[[int][math]::Floor(($s.Count - 1) / 2)] }
function Fill([string] $disk, [int] $gib) {
    $cmds = foreach ($i in 0..($gib - 1)) { '-c'; "write -P 0x5a ${i}G 1G" }
    & qemu-io -f qcow2 @cmds $disk | Out-Null
    if ($LASTEXITCODE -ne 0) { throw "qemu-io failed on $disk" }
}
try {
    $rows = @()
    foreach ($gib in 1, 4) {
        $name = "d$gib"
        New-DfVm -Name $name -DiskSizeGB 8 -Confirm:$false | Out-Null
        $disk = Join-Path $project "vm/$name/disk.qcow2"
        Fill $disk $gib
        & sync
        $seed = (Measure-Command { & cp $disk (Join-Path $project "seed-$name-clean.qcow2"); & sync }).TotalSeconds
        $dfvm = (Measure-Command { Checkpoint-DfVm -Name $name -SnapshotName clean | Out-Null }).TotalSeconds
        $restore = (Measure-Command { Restore-DfVmSnapshot clean -Name $name -Force }).TotalSeconds
        $seedRestore = (Measure-Command { & cp (Join-Path $project "seed-$name-clean.qcow2") $disk; & sync }).TotalSeconds
        $rows += [pscustomobject]@{ GiB = $gib; Checkpoint = $dfvm; Cp = $seed; Restore = $restore; CpBack = $seedRestore }
        Remove-DfVm -Name $name -Force
        Remove-Item (Join-Path $project "seed-$name-clean.qcow2") -Force
    }

    # Restore to a working guest: DfVm disk restore + boot, DfVm live restore, seed cp + cold boot.
    New-DfVm -Name live -BaseImage $g.disk -Kernel $g.kernel -Initrd $g.initrd -KernelArguments $g.append -DiskInterface virtio-blk -MemoryMB 512 -Confirm:$false | Out-Null
    $disk = Join-Path $project 'vm/live/disk.qcow2'
    Start-DfVm -Name live -WarningAction SilentlyContinue | Out-Null
    Checkpoint-DfVm -Name live -SnapshotName warm | Out-Null          # live: memory + disk
    Stop-DfVm -Name live
    Checkpoint-DfVm -Name live -SnapshotName cold | Out-Null          # disk only
    # The seed keeps a whole standalone copy of the disk (its vm-snapshot copied the qcow2 file).
    & qemu-img convert -O qcow2 $disk (Join-Path $project 'seed-clean.qcow2')
    $live = @(); $diskBoot = @(); $seedBoot = @()
    foreach ($i in 1..3) {
        Start-DfVm -Name live -WarningAction SilentlyContinue | Out-Null
        $live += (Measure-Command { Restore-DfVmSnapshot warm -Name live -Force | Out-Null }).TotalSeconds   # comes back running and Ready
        Stop-DfVm -Name live -Force
        $diskBoot += (Measure-Command { Restore-DfVmSnapshot cold -Name live -Force -Start -WarningAction SilentlyContinue | Out-Null }).TotalSeconds
        Stop-DfVm -Name live -Force
        $seedBoot += (Measure-Command {
                & cp --sparse=always (Join-Path $project 'seed-clean.qcow2') $disk
                Start-DfVm -Name live -WarningAction SilentlyContinue | Out-Null
            }).TotalSeconds
        Stop-DfVm -Name live -Force
    }

    $table = ($rows | ForEach-Object {
            "| $($_.GiB) GiB written | $('{0:0.000}' -f $_.Checkpoint) s | $('{0:0.000}' -f $_.Cp) s | $('{0:0.000}' -f $_.Restore) s | $('{0:0.000}' -f $_.CpBack) s |"
        }) -join "`n"
    $report = @"

## Snapshots (issue 5) — $(Get-Date -Format 'yyyy-MM-dd HH:mm') UTC

Command: ``pwsh ./build.ps1 -Task Bench`` (bench/snapshot.bench.ps1), same machine and run for both columns.

| disk | ``Checkpoint-DfVm`` (stopped) | seed ``cp disk snapshot`` | ``Restore-DfVmSnapshot`` (disk) | seed ``cp snapshot disk`` |
|---|---|---|---|---|
$table

Restore to a working guest (SSH login answers), Linux test guest under TCG, medians of 3:

| way | time |
|---|---|
| ``Restore-DfVmSnapshot`` of a live snapshot (memory + disk) | $('{0:0.00}' -f (Median $live)) s |
| ``Restore-DfVmSnapshot -Start`` of a disk snapshot (cold boot) | $('{0:0.00}' -f (Median $diskBoot)) s |
| seed: ``cp`` the clean disk back + cold boot | $('{0:0.00}' -f (Median $seedBoot)) s |

Live restore is $('{0:0.0}' -f ((Median $seedBoot) / (Median $live)))x faster than the seed's restore + cold boot.
"@
    Add-Content -Path $ResultsPath -Value $report
    $report
}
finally {
    Get-DfVm -ErrorAction SilentlyContinue | Where-Object ProcessId | ForEach-Object { Stop-DfVm -Name $_.Name -Force -ErrorAction SilentlyContinue }
    Pop-Location
    Get-ChildItem $project -Recurse -Directory | ForEach-Object { & chmod u+w $_.FullName }
    Remove-Item $project -Recurse -Force -ErrorAction SilentlyContinue
}
