<#
.SYNOPSIS
    Issue 3 benchmark: Sync-DfVmProject vs `rsync -a --delete` over OpenSSH, side by side against
    the same running test guest, with the same excludes (vm/, .git): first sync of a 5,000-file /
    50 MB tree, a resync with no change, after touching one file, after deleting 100 files.
    Appends a table to bench/RESULTS.md.
    Run: pwsh ./build.ps1 -Task Bench   (or this file with -ModulePath and -GuestDirectory)
#>
param(
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $GuestDirectory,
    [int] $Files = 5000,
    [int] $FileBytes = 10000,
    [int] $Repeats = 5,
    [string] $ResultsPath = (Join-Path $PSScriptRoot 'RESULTS.md')
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
if (-not (Get-Command rsync -ErrorAction Ignore)) { throw 'rsync is needed on the host (Debian package rsync)' }
$g = Get-Content (Join-Path $GuestDirectory 'guest.json') -Raw | ConvertFrom-Json
$project = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-syncbench-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $project | Out-Null
Push-Location $project
function Median([double[]] $xs) { $s = $xs | Sort-Object; $s[[int][math]::Floor(($s.Count - 1) / 2)] }
try {
    Set-Content DfVm.config.psd1 "@{ VmName = 'sbench'; GuestProjectPath = '/root/dfvm-side' }"
    New-DfVm -Name sbench -BaseImage $g.disk -Kernel $g.kernel -Initrd $g.initrd -KernelArguments $g.append -DiskInterface virtio-blk -MemoryMB 512 -Confirm:$false | Out-Null
    $vm = Start-DfVm -Name sbench -WarningAction SilentlyContinue
    $knownHosts = Join-Path ([IO.Path]::GetTempPath()) ('kh-' + [guid]::NewGuid().ToString('N'))
    $key = Join-Path $project 'vm/sbench/id_ed25519'
    $e = "ssh -i $key -p $($vm.SshPort) -o UserKnownHostsFile=$knownHosts -o StrictHostKeyChecking=accept-new"
    $rsyncArgs = @('-a', '--delete', '--exclude=/vm/', '--exclude=.git/', '--filter=:- .gitignore', '-e', $e, "$project/", 'root@127.0.0.1:/root/rsync-side/')
    & ssh -i $key -p $vm.SshPort -o "UserKnownHostsFile=$knownHosts" -o StrictHostKeyChecking=accept-new -o LogLevel=ERROR root@127.0.0.1 'rsync --version' | Out-Null
    if ($LASTEXITCODE -ne 0) { throw 'rsync (or ssh) does not work in the guest: rebuild the test guest (tests/guest/build-guest.sh adds rsync)' }

    # 5,000 files of 10 kB (50 MB) in 50 folders, random bytes.
    $rng = [Random]::new(1)
    $buf = [byte[]]::new($FileBytes)
    $perDir = 100
    for ($i = 0; $i -lt $Files; $i++) {
        $dir = Join-Path $project ('src/pkg{0:000}' -f [math]::Floor($i / $perDir))
        if ($i % $perDir -eq 0) { New-Item -ItemType Directory $dir -Force | Out-Null }
        $rng.NextBytes($buf)
        [IO.File]::WriteAllBytes((Join-Path $dir ('file{0:000}.go' -f ($i % $perDir))), $buf)
    }

    function Time-DfVm { $t = [Diagnostics.Stopwatch]::StartNew(); $r = Sync-DfVmProject; [pscustomobject]@{ Seconds = $t.Elapsed.TotalSeconds; Result = $r } }
    function Time-Rsync {
        $t = [Diagnostics.Stopwatch]::StartNew()
        & rsync @rsyncArgs
        if ($LASTEXITCODE -ne 0) { throw "rsync failed ($LASTEXITCODE)" }
        $t.Elapsed.TotalSeconds
    }
    $rows = [ordered]@{}

    # First sync of the whole tree (the guest has neither copy), three rounds with the order
    # alternating, so neither tool always meets a freshly booted guest or a fuller disk.
    $firstD = @(); $firstR = @()
    for ($round = 0; $round -lt 3; $round++) {
        if ($round -gt 0) {
            Invoke-DfVmCommand -Command 'rm -rf /root/dfvm-side /root/rsync-side; sync' | Out-Null
            Remove-Item (Join-Path $project 'vm/sbench/sync-manifest.json') -ErrorAction Ignore
        }
        if ($round % 2 -eq 0) { $d = Time-DfVm; $r = Time-Rsync } else { $r = Time-Rsync; $d = Time-DfVm }
        $firstD += $d.Seconds; $firstR += $r
    }
    $rows['first sync, 5,000 files / 50 MB'] = $firstD, $firstR, "sent $($d.Result.FilesSent) files, $([math]::Round($d.Result.BytesSent / 1MB, 1)) MiB"

    # No change.
    $dd = @(); $rr = @()
    for ($i = 0; $i -lt $Repeats; $i++) { $x = Time-DfVm; if ($x.Result.FilesSent -ne 0) { throw 'no-change resync sent files' }; $dd += $x.Seconds; $rr += Time-Rsync }
    $rows['resync, no change'] = $dd, $rr, 'sent 0 files, 0 guest commands'

    # One file touched (new content and mtime).
    $dd = @(); $rr = @()
    for ($i = 0; $i -lt $Repeats; $i++) {
        $f = Join-Path $project ('src/pkg{0:000}/file{1:000}.go' -f (7 * $i % 50), 42)
        [IO.File]::AppendAllText($f, "// touched $i`n")
        $x = Time-DfVm; if ($x.Result.FilesSent -ne 1) { throw "one-file resync sent $($x.Result.FilesSent) files" }
        $dd += $x.Seconds
        $rr += Time-Rsync
    }
    $rows['resync after touching one file'] = $dd, $rr, 'sent 1 file'

    # 100 files deleted.
    Get-ChildItem (Join-Path $project 'src/pkg049') -File | Select-Object -First 100 | Remove-Item
    $d = Time-DfVm; $r = Time-Rsync
    if ($d.Result.FilesDeleted -ne 100) { throw "deleted $($d.Result.FilesDeleted), not 100" }
    $rows['resync after deleting 100 files'] = @(, $d.Seconds), @(, $r), 'deleted 100 files'

    # Both copies must be the same tree.
    $cmp = Invoke-DfVmCommand -Command 'cd /root && diff -r dfvm-side rsync-side >/dev/null && echo same'
    if ($cmp.Output -ne 'same') { throw "the two guest copies differ: $($cmp.Output) $($cmp.Error)" }

    $cpu = (Get-Content /proc/cpuinfo | Select-String 'model name' | Select-Object -First 1).Line -replace '.*:\s*', ''
    $table = foreach ($k in $rows.Keys) {
        $dm = Median $rows[$k][0]; $rm = Median $rows[$k][1]
        '| {0} | {1:0.000} s | {2:0.000} s | {3:0.0}x | {4} |' -f $k, $dm, $rm, ($rm / $dm), $rows[$k][2]
    }
    $report = @"

## Sync (issue 3) — $(Get-Date -Format 'yyyy-MM-dd HH:mm') UTC

Command: ``pwsh -NoProfile -File bench/sync.bench.ps1 -ModulePath $ModulePath -GuestDirectory $GuestDirectory`` (what ``pwsh ./build.ps1 -Task Bench`` runs).
One pwsh session, one running Linux test guest ($($vm.Accelerator), 512 MiB, 2 vCPU); host: $([Environment]::ProcessorCount) cores, $cpu.
DfVm: ``Sync-DfVmProject`` (warm SSH connection, manifest) into /root/dfvm-side. rsync: ``rsync -a --delete --exclude=/vm/ --exclude=.git/ --filter=':- .gitignore' -e "ssh -i <vm key> -p <port> -o UserKnownHostsFile=<tmp> -o StrictHostKeyChecking=accept-new"``
into /root/rsync-side (a new ssh connection per run, as rsync is used). Wall time per run; the median of $Repeats runs where it says so, else one run.
The two guest copies are checked equal with ``diff -r`` afterwards.

| case | Sync-DfVmProject | rsync | rsync / DfVm | DfVm did |
|---|---|---|---|---|
$($table -join "`n")

Raw first sync DfVm [$(($firstD | ForEach-Object { '{0:0.0}' -f $_ }) -join ', ')] s, rsync [$(($firstR | ForEach-Object { '{0:0.0}' -f $_ }) -join ', ')] s (rounds alternate which goes first).
Raw no-change DfVm [$(($rows['resync, no change'][0] | ForEach-Object { '{0:0.000}' -f $_ }) -join ', ')] s, rsync [$(($rows['resync, no change'][1] | ForEach-Object { '{0:0.000}' -f $_ }) -join ', ')] s; one-file DfVm [$(($rows['resync after touching one file'][0] | ForEach-Object { '{0:0.000}' -f $_ }) -join ', ')] s, rsync [$(($rows['resync after touching one file'][1] | ForEach-Object { '{0:0.000}' -f $_ }) -join ', ')] s.
"@
    Add-Content -Path $ResultsPath -Value $report
    $report
}
finally {
    Stop-DfVm -Name sbench -Force -ErrorAction SilentlyContinue
    Pop-Location
    Remove-Item $project -Recurse -Force -ErrorAction SilentlyContinue
    if ($knownHosts) { Remove-Item $knownHosts -ErrorAction SilentlyContinue }
}
