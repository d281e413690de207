<#
.SYNOPSIS
    Issue 22 item 1: the first sync (the guest holds nothing yet, no manifest) by Sync-DfVmProject against
    `rsync -a --delete` over OpenSSH, interleaved (DfVm, rsync, rsync, DfVm, ...) against one running test
    guest, on two trees: a go-synth-like one (the first 950 .go files of the host's GOROOT/src in sorted
    order: 96 folders, 15 MB, the largest 1 MB) and the 5,000-file / 50 MB tree of sync.bench.ps1.
    Then where the time goes: the same tree as a tar through the same warm connection into /dev/null,
    the guest's bsdtar extracting it from a file already in the guest, and the same for gzip -1.
    Appends a section to bench/RESULTS.md.
    Run: pwsh -NoProfile -File bench/firstsync.bench.ps1 -ModulePath out/DfVm/DfVm.psd1 -GuestDirectory <test guest>
#>
param(
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $GuestDirectory,
    [int] $Rounds = 4,
    [string] $ResultsPath = (Join-Path $PSScriptRoot 'RESULTS.md')
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $ModulePath
if (-not (Get-Command rsync -ErrorAction Ignore)) { throw 'rsync is needed on the host (Debian package rsync)' }
$goroot = (& go env GOROOT).Trim()
$g = Get-Content (Join-Path $GuestDirectory 'guest.json') -Raw | ConvertFrom-Json
$base = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-firstsync-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $base | Out-Null
function Median([double[]] $xs) { $s = $xs | Sort-Object; if ($s.Count % 2) { $s[($s.Count - 1) / 2] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 } }
function Fmt([double[]] $xs) { ($xs | ForEach-Object { '{0:0.00}' -f $_ }) -join ', ' }
$loads = @()
function Note-Load { $script:loads += ((Get-Content /proc/loadavg) -split ' ')[0] }

try {
    # The two trees, each a project of its own (same VM: the config of the first is used with -Path).
    $trees = [ordered]@{}
    $synth = Join-Path $base 'gosynth'
    $src = (& realpath (Join-Path $goroot 'src')).Trim()
    # Ordinal order, as `LC_ALL=C sort` gives it: the same 950 files on every run of this Go version.
    [string[]] $files = Get-ChildItem -LiteralPath $src -Recurse -File -Filter *.go | ForEach-Object { $_.FullName.Substring($src.Length + 1) }
    [Array]::Sort($files, [StringComparer]::Ordinal)
    $files = $files[0..949]
    foreach ($f in $files) {
        $to = Join-Path $synth $f
        $dir = Split-Path $to -Parent
        if (-not (Test-Path -LiteralPath $dir)) { New-Item -ItemType Directory $dir -Force | Out-Null }
        [IO.File]::Copy((Join-Path $src $f), $to)
    }
    Set-Content (Join-Path $synth 'go.mod') "module example.com/gosynth`n`ngo 1.19"
    $trees['go-synth-like'] = $synth

    $five = Join-Path $base 'fivek'
    $rng = [Random]::new(1)
    $buf = [byte[]]::new(10000)
    for ($i = 0; $i -lt 5000; $i++) {
        $dir = Join-Path $five ('src/pkg{0:000}' -f [math]::Floor($i / 100))
        if ($i % 100 -eq 0) { New-Item -ItemType Directory $dir -Force | Out-Null }
        $rng.NextBytes($buf)
        [IO.File]::WriteAllBytes((Join-Path $dir ('file{0:000}.go' -f ($i % 100))), $buf)
    }
    $trees['5,000 files'] = $five

    Set-Location $base
    Set-Content DfVm.config.psd1 "@{ VmName = 'fsbench'; VmDirectory = '$base/vm' }"
    New-DfVm -Name fsbench -BaseImage $g.disk -Kernel $g.kernel -Initrd $g.initrd -KernelArguments $g.append -DiskInterface virtio-blk -MemoryMB 1024 -Confirm:$false | Out-Null
    $vm = Start-DfVm -Name fsbench -Timeout 600 -WarningAction SilentlyContinue
    $manifest = Join-Path $base 'vm/fsbench/sync-manifest.json'
    $knownHosts = Join-Path $base 'known_hosts'
    $key = Join-Path $base 'vm/fsbench/id_ed25519'
    $sshE = "ssh -i $key -p $($vm.SshPort) -o UserKnownHostsFile=$knownHosts -o StrictHostKeyChecking=accept-new -o LogLevel=ERROR"
    & ssh -i $key -p $vm.SshPort -o "UserKnownHostsFile=$knownHosts" -o StrictHostKeyChecking=accept-new -o LogLevel=ERROR root@127.0.0.1 'rsync --version' | Out-Null
    if ($LASTEXITCODE -ne 0) { throw 'rsync (or ssh) does not work in the guest' }
    $tarInfo = (Invoke-DfVmCommand -Name fsbench -Command 'tar --version | head -1').Output

    function Reset-Guest { Invoke-DfVmCommand -Name fsbench -Command 'rm -rf /root/dfvm-side /root/rsync-side /root/x; sync' | Out-Null; Remove-Item $manifest -ErrorAction Ignore }
    function Time-DfVm([string] $Tree) {
        $t = [Diagnostics.Stopwatch]::StartNew()
        $r = Sync-DfVmProject -Name fsbench -Path $Tree -Destination /root/dfvm-side
        $s = $t.Elapsed.TotalSeconds
        if ($r.FilesSent -lt 950) { throw "DfVm sent $($r.FilesSent) files" }
        [pscustomobject]@{ Seconds = $s; Result = $r }
    }
    function Time-Rsync([string] $Tree) {
        $t = [Diagnostics.Stopwatch]::StartNew()
        & rsync -a --delete -e $sshE "$Tree/" 'root@127.0.0.1:/root/rsync-side/'
        if ($LASTEXITCODE -ne 0) { throw "rsync failed ($LASTEXITCODE)" }
        $t.Elapsed.TotalSeconds
    }
    function Time-Guest([string] $Command) {
        # A guest command's own time: its Duration less that of `true` on the same connection.
        $null = Invoke-DfVmCommand -Name fsbench -Command 'true'
        $zero = (Invoke-DfVmCommand -Name fsbench -Command 'true').Duration.TotalSeconds
        $r = Invoke-DfVmCommand -Name fsbench -Command $Command
        if ($r.ExitCode -ne 0) { throw "guest: $Command -> $($r.ExitCode) $($r.Error)" }
        [math]::Max(0, $r.Duration.TotalSeconds - $zero)
    }

    $rows = @()
    $phases = @()
    foreach ($name in $trees.Keys) {
        $tree = $trees[$name]
        $d = @(); $r = @(); $last = $null
        for ($round = 0; $round -lt $Rounds; $round++) {
            Reset-Guest
            Note-Load
            # ABBA: DfVm, rsync, rsync, DfVm, ... so neither always meets the emptier disk or a quieter moment.
            if ($round % 2 -eq 0) { $x = Time-DfVm $tree; $y = Time-Rsync $tree } else { $y = Time-Rsync $tree; $x = Time-DfVm $tree }
            $d += $x.Seconds; $r += $y; $last = $x.Result
        }
        $same = Invoke-DfVmCommand -Name fsbench -Command 'cd /root && diff -r dfvm-side rsync-side >/dev/null && echo same'
        if ($same.Output -ne 'same') { throw "the two guest copies differ ($name)" }
        $rows += [pscustomobject]@{ Tree = $name; DfVm = $d; Rsync = $r; Files = $last.FilesSent; MiB = $last.BytesSent / 1MB }

        # Where the time goes, with the tree in the guest now (/root/dfvm-side):
        $null = Invoke-DfVmCommand -Name fsbench -Command 'cd /root && tar -cf /root/t.tar dfvm-side && gzip -1 -c /root/t.tar > /root/t.tgz && sync'
        $sizes = (Invoke-DfVmCommand -Name fsbench -Command 'wc -c < /root/t.tar; wc -c < /root/t.tgz').Output -split "`n"
        $extract = @(); $extractGz = @(); $wire = @(); $rsyncDry = @()
        for ($i = 0; $i -lt 3; $i++) {
            $extract += Time-Guest 'rm -rf /root/x && mkdir /root/x && cd /root/x && tar -xpf /root/t.tar'
            $extractGz += Time-Guest 'rm -rf /root/x && mkdir /root/x && cd /root/x && tar -xpf /root/t.tgz'
            # The bytes through OpenSSH into /dev/null (no extraction): the wire and the guest's sshd under TCG.
            $t = [Diagnostics.Stopwatch]::StartNew()
            & bash -c "tar -C '$tree' -cf - . | $sshE root@127.0.0.1 'cat >/dev/null'"
            $wire += $t.Elapsed.TotalSeconds
        }
        $t = [Diagnostics.Stopwatch]::StartNew(); $null = Sync-DfVmProject -Name fsbench -Path $tree -Destination /root/dfvm-side -WhatIf; $whatIf = $t.Elapsed.TotalSeconds
        $t = [Diagnostics.Stopwatch]::StartNew(); $null = Invoke-DfVmCommand -Name fsbench -Command 'true'; $roundTrip = $t.Elapsed.TotalSeconds
        $t = [Diagnostics.Stopwatch]::StartNew(); & ssh -i $key -p $vm.SshPort -o "UserKnownHostsFile=$knownHosts" -o LogLevel=ERROR root@127.0.0.1 true; $sshNew = $t.Elapsed.TotalSeconds
        $phases += [pscustomobject]@{ Tree = $name; Extract = (Median $extract); ExtractGz = (Median $extractGz); Wire = (Median $wire)
            Tar = [long]$sizes[0]; Tgz = [long]$sizes[1]; WhatIf = $whatIf; RoundTrip = $roundTrip; SshNew = $sshNew }
        Invoke-DfVmCommand -Name fsbench -Command 'rm -rf /root/t.tar /root/t.tgz /root/x' | Out-Null
    }

    $cpu = (Get-Content /proc/cpuinfo | Select-String 'model name' | Select-Object -First 1).Line -replace '.*:\s*', ''
    $table = foreach ($x in $rows) {
        $dm = Median $x.DfVm; $rm = Median $x.Rsync
        '| first sync, {0} ({1} files, {2:0.0} MiB) | {3:0.00} s | {4:0.00} s | {5:0.00}x | DfVm [{6}] s, rsync [{7}] s |' -f $x.Tree, $x.Files, $x.MiB, $dm, $rm, ($rm / $dm), (Fmt $x.DfVm), (Fmt $x.Rsync)
    }
    $ptable = foreach ($p in $phases) {
        '| {0} | {1:0.00} s | {2:0.00} s | {3:0.00} s ({4:0.0} MiB) | {5:0.00} s ({6:0.0} MiB) | {7:0.00} s / {8:0.00} s |' -f $p.Tree, $p.WhatIf, $p.Wire, $p.Extract, ($p.Tar / 1MB), $p.ExtractGz, ($p.Tgz / 1MB), $p.RoundTrip, $p.SshNew
    }
    $report = @"

## First sync against rsync (issue 22, item 1) — $(Get-Date -Format 'yyyy-MM-dd HH:mm') UTC

Command: ``pwsh -NoProfile -File bench/firstsync.bench.ps1 -ModulePath $ModulePath -GuestDirectory $GuestDirectory``.
One pwsh session, one running Linux test guest ($($vm.Accelerator), 1024 MiB, 2 vCPU, guest tar: $tarInfo); host: $([Environment]::ProcessorCount) cores, $cpu.
**The machine was shared with other sessions during this run** (load average 1 min at each round: $($loads -join ', ')): each pair
ran interleaved (DfVm then rsync, then rsync then DfVm, ...), $Rounds rounds per tree, the guest emptied before each round.
DfVm: ``Sync-DfVmProject -Path <tree> -Destination /root/dfvm-side`` with no manifest (warm SSH connection).
rsync: ``rsync -a --delete -e "ssh -i <vm key> -p <port> ..." <tree>/ root@127.0.0.1:/root/rsync-side/`` (a new ssh connection each run, as rsync is used).
Trees: go-synth-like = the first 950 ``.go`` files of ``$goroot/src`` in ordinal path order plus a go.mod (96 folders, 15 MB, the largest 1 MB: cmd/compile/internal/ssa/opGen.go);
5,000 files = 5,000 random 10 kB files in 50 folders (as sync.bench.ps1). The two guest copies are checked equal with ``diff -r``.

| case | Sync-DfVmProject | rsync -a --delete | rsync / DfVm | raw |
|---|---|---|---|---|
$($table -join "`n")

Where the time goes (medians of 3, same guest, after the rounds above): ``-WhatIf`` = host scan + the guest listing round trip;
wire = ``tar -cf - | ssh guest 'cat >/dev/null'`` (OpenSSH, new connection); extract = the guest's ``tar -xpf`` of the same tree from a
file already in the guest (page cache), plain and gzip -1; a round trip on the warm connection; a new OpenSSH connection (what rsync pays first).

| tree | scan + listing (-WhatIf) | wire, tar into /dev/null | guest extract, plain | guest extract, gzip -1 | warm round trip / new ssh login |
|---|---|---|---|---|---|
$($ptable -join "`n")
"@
    Add-Content -Path $ResultsPath -Value $report
    $report
}
finally {
    Set-Location /
    Push-Location $base -ErrorAction SilentlyContinue
    Stop-DfVm -Name fsbench -Force -ErrorAction SilentlyContinue
    Pop-Location
    Remove-Item $base -Recurse -Force -ErrorAction SilentlyContinue
}
