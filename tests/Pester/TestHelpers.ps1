# Shared by every *.Tests.ps1: imports the built module and makes throwaway projects and VMs.
# Tests end only the QEMU processes they started, by pid, and remove their VMs even when they fail.

$modulePath = if ($env:DFVM_MODULE_PATH) { $env:DFVM_MODULE_PATH } else { Join-Path $PSScriptRoot '../../out/DfVm/DfVm.psd1' }
Import-Module $modulePath -Force -ErrorAction Stop

function New-TestProject {
    # Test VMs run one vCPU unless a test asks for more: on the 2-core machine two test jobs run at once,
    # and two VMs of two TCG vCPUs each there stall on each other (a whole run's 14 longest jobs took 21 %
    # longer at -smp 2 than at -smp 1 on the same machine, an hour apart; see git log of this line).
    param([string] $VmName = 'dfly', [string] $ExtraConfig = '', [int] $Cpus = 1)
    $dir = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-test-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $dir | Out-Null
    Set-Content -Path (Join-Path $dir 'DfVm.config.psd1') -Value @"
@{
    VmName = '$VmName'
    MemoryMB = 512
    Cpus = $Cpus
$ExtraConfig
}
"@
    return $dir
}

function Get-TestGuest {
    # The Linux test guest built by build.ps1 (tests/guest/build-guest.sh); its folder holds guest.json.
    $dir = $env:DFVM_TEST_GUEST
    if (-not $dir -or -not (Test-Path (Join-Path $dir 'guest.json'))) {
        $lines = & bash (Join-Path $PSScriptRoot '../guest/build-guest.sh')
        if ($LASTEXITCODE -ne 0) { throw 'could not build the test guest' }
        $dir = @($lines)[-1].Trim()
        $env:DFVM_TEST_GUEST = $dir
    }
    return Get-Content (Join-Path $dir 'guest.json') -Raw | ConvertFrom-Json
}

function New-TestGuestVm {
    # A VM of the Linux test guest: an overlay of the cached image, booted with its kernel and initrd.
    param([Parameter(Mandatory)][string] $Name, [int] $SshPort = 0, [int] $MemoryMB = 512)
    $g = Get-TestGuest
    New-DfVm -Name $Name -BaseImage $g.disk -Kernel $g.kernel -Initrd $g.initrd -KernelArguments $g.append `
        -DiskInterface virtio-blk -SshPort $SshPort -MemoryMB $MemoryMB -Confirm:$false
}

function Start-TestGuestVm {
    # Brings a VM made by New-TestGuestVm to a running guest that answers SSH, as Start-DfVm does. In a whole run
    # (build.ps1 sets DFVM_TEST_TEMPLATES) it restores a live snapshot of a guest booted once per memory size instead:
    # the run is CPU-bound on its 2 cores, and a TCG cold boot costs about 6.5 CPU-seconds against about 1.6 for a
    # restore. The VM takes the template's key (the saved guest authorizes it), and its disk keeps the snapshot
    # 'booted' as its base. A file that tests booting itself uses Start-DfVm.
    param([Parameter(Mandatory)][string] $Name, [int] $Timeout = 300)
    $vm = Get-DfVm -Name $Name -ErrorAction Stop
    if (-not $env:DFVM_TEST_TEMPLATES -or $vm.Cpus -ne 1 -or $vm.State -ne 'Stopped' -or $vm.Snapshots) {
        Start-DfVm -Name $Name -Timeout $Timeout -WarningAction SilentlyContinue -ErrorAction Stop | Out-Null
        return
    }
    $template = Get-BootedTemplate -MemoryMB $vm.MemoryMB -Timeout $Timeout
    $dir = $vm.Path
    # The saved guest authorizes the template's key; its host key (the template's too) is pinned on first contact.
    foreach ($f in 'id_ed25519', 'id_ed25519.pub') { Copy-Item -LiteralPath (Join-Path $template $f) -Destination $dir -Force }
    $snapshots = New-Item -ItemType Directory -Force -Path (Join-Path $dir 'snapshots')
    foreach ($f in 'booted.qcow2', 'booted.vmstate') { Copy-Item -LiteralPath (Join-Path $template "snapshots/$f") -Destination $snapshots.FullName }
    $record = Get-Content -LiteralPath (Join-Path $template 'snapshots/booted.json') -Raw | ConvertFrom-Json
    $record.VmName = $Name
    $record | ConvertTo-Json | Set-Content -LiteralPath (Join-Path $snapshots.FullName 'booted.json')
    Restore-DfVmSnapshot -Name $Name -SnapshotName booted -Timeout $Timeout -Confirm:$false -InformationAction SilentlyContinue `
        -WarningAction SilentlyContinue -ErrorAction Stop | Out-Null
}

function Get-BootedTemplate {
    # The folder of a stopped VM whose live snapshot 'booted' holds a freshly booted test guest of MemoryMB and one
    # vCPU; made by the first container that asks, under a lock (two jobs run at once). Under DFVM_TEST_TEMPLATES,
    # which build.ps1 removes after the run; its QEMU is stopped here before the lock is let go.
    param([int] $MemoryMB, [int] $Timeout)
    $root = Join-Path $env:DFVM_TEST_TEMPLATES "m$MemoryMB"
    New-Item -ItemType Directory -Force -Path $root | Out-Null
    $vmDir = Join-Path $root 'vm/tmpl'
    $lockPath = Join-Path $root 'lock'
    $lock = Wait-Until -Seconds $Timeout -IntervalMs 500 { try { [IO.File]::Open($lockPath, 'OpenOrCreate', 'ReadWrite', 'None') } catch [IO.IOException] { $null } }
    if (-not $lock) { throw "the booted template $root stayed locked for $Timeout s" }
    try {
        if (Test-Path -LiteralPath (Join-Path $root 'ready')) { return $vmDir }
        Set-Content -LiteralPath (Join-Path $root 'DfVm.config.psd1') -Value "@{ VmName = 'tmpl'; MemoryMB = $MemoryMB; Cpus = 1 }"
        Push-Location $root
        try {
            if (Test-Path -LiteralPath $vmDir) { Remove-DfVm -Name tmpl -Force -Confirm:$false -ErrorAction Stop }
            New-TestGuestVm -Name tmpl -MemoryMB $MemoryMB | Out-Null
            try {
                Start-DfVm -Name tmpl -Timeout $Timeout -WarningAction SilentlyContinue -ErrorAction Stop | Out-Null
                Checkpoint-DfVm -Name tmpl -SnapshotName booted -Confirm:$false -ErrorAction Stop | Out-Null
            }
            finally { Stop-DfVm -Name tmpl -Force -Confirm:$false -WarningAction SilentlyContinue -ErrorAction SilentlyContinue }
        }
        finally { Pop-Location }
        New-Item -ItemType File -Path (Join-Path $root 'ready') | Out-Null
        return $vmDir
    }
    finally { $lock.Dispose() }
}

function Remove-TestProject {
    # Stops every VM of the project (QEMU processes we started, by pid via the module) and deletes it.
    param([Parameter(Mandatory)][string] $Path)
    Push-Location $Path
    try {
        Get-DfVm -ErrorAction SilentlyContinue | ForEach-Object {
            if ($_.ProcessId) { Stop-DfVm -Name $_.Name -Force -Confirm:$false -ErrorAction SilentlyContinue }
            if ($_.ProcessId -and (Test-Path "/proc/$($_.ProcessId)")) { Stop-Process -Id $_.ProcessId -Force -ErrorAction SilentlyContinue }
        }
    }
    finally { Pop-Location }
    Get-ChildItem $Path -Recurse -Directory -ErrorAction SilentlyContinue | ForEach-Object { & chmod u+w $_.FullName 2>$null }
    Remove-Item $Path -Recurse -Force -ErrorAction SilentlyContinue
}

function Get-SerialText([string] $Name) {
    $vm = Get-DfVm -Name $Name
    return [IO.File]::ReadAllText($vm.SerialLogPath)
}

function Test-ProcessRunning([int] $Id) {
    # A zombie (exited, not yet reaped by a parent that may never reap it) does not count.
    $stat = "/proc/$Id/stat"
    if (-not (Test-Path $stat)) { return $false }
    $text = Get-Content $stat -Raw -ErrorAction SilentlyContinue
    if (-not $text) { return $false }
    return ($text.Substring($text.LastIndexOf(')') + 2, 1) -ne 'Z')
}

function New-PwshStartInfo {
    # A ProcessStartInfo for a child pwsh whose pid is pwsh itself, with $Arguments after it. `pwsh` on PATH
    # may be a launcher that runs pwsh as its own child (the .NET global tool's shim does): a test that kills
    # that pid would leave pwsh running on, and the fault would not happen. So start what runs this pwsh.
    param([string[]] $Arguments = @())
    $exe = [Environment]::ProcessPath
    $psi = [Diagnostics.ProcessStartInfo]::new($exe)
    if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { $psi.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
    foreach ($a in $Arguments) { $psi.ArgumentList.Add($a) }
    $psi.UseShellExecute = $false
    return $psi
}

function Wait-Until([scriptblock] $Condition, [int] $Seconds = 30, [int] $IntervalMs = 200, [int] $MaxIntervalMs = 0) {
    # Polls until the condition returns something true, or the deadline passes; returns that value ($null at the deadline).
    # -MaxIntervalMs: each wait half as long again as the last, up to that. For a condition that asks the guest (one
    # ps over SSH costs a one-vCPU TCG guest about 0.4 s of CPU) while the guest works towards it (a compile).
    $deadline = [Diagnostics.Stopwatch]::StartNew()
    $wait = $IntervalMs
    while ($deadline.Elapsed.TotalSeconds -lt $Seconds) {
        $v = & $Condition
        if ($v) { return $v }
        Start-Sleep -Milliseconds $wait
        if ($MaxIntervalMs -gt $wait) { $wait = [Math]::Min($MaxIntervalMs, [int]($wait * 1.5)) }
    }
    return $null
}
