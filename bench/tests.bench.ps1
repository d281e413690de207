<#
.SYNOPSIS
    Issue 4 benchmark, in one run on one warm test guest: Invoke-DfVmTest vs plain
    `ssh host 'cd proj && go test -json ...'`; how long after the guest's go test reports a test's
    end its object reaches the pipeline; and ConvertFrom-GoTestJson on a 200,000-event stream vs
    `wc -l` (the floor: reading the lines at all).
    Run: pwsh ./build.ps1 -Task Bench   (or this file with -ModulePath and -GuestDirectory)
#>
param(
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $GuestDirectory,
    [int] $Runs = 3,
    [string] $ResultsPath = (Join-Path $PSScriptRoot 'RESULTS.md')
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$g = Get-Content (Join-Path $GuestDirectory 'guest.json') -Raw | ConvertFrom-Json
$project = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-testbench-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $project | Out-Null
Push-Location $project
function Median([double[]] $xs) { $s = $xs | Sort-Object; $s[[int][math]::Floor(($s.Count - 1) / 2)] }
try {
    Set-Content DfVm.config.psd1 "@{ VmName = 'tb'; MemoryMB = 512; GuestProjectPath = '/root/tb'; Suites = @{ Stream = @{ Command = 'go test -json -count=1 ./...' } } }"
    Set-Content go.mod "module example.com/tb`n`ngo 1.19`n"
    # Ten tests, each ending 0.5 s after the one before: the stream has something to stream.
    $tests = (1..10 | ForEach-Object { "func TestStep$_(t *testing.T) { time.Sleep(500 * time.Millisecond) }" }) -join "`n"
    Set-Content tb_test.go "package tb`n`nimport (`n`t`"testing`"`n`t`"time`"`n)`n`n$tests`n"
    # The guest's busybox date has no %N: a two-line Go program tells the guest time in ns.
    New-Item -ItemType Directory cmd/now -Force | Out-Null
    Set-Content cmd/now/main.go "package main`n`nimport (`n`t`"fmt`"`n`t`"time`"`n)`n`nfunc main() { fmt.Println(time.Now().UnixNano()) }`n"

    New-DfVm -Name tb -BaseImage $g.disk -Kernel $g.kernel -Initrd $g.initrd -KernelArguments $g.append -DiskInterface virtio-blk -MemoryMB 512 -Confirm:$false | Out-Null
    $vm = Start-DfVm -Name tb -WarningAction SilentlyContinue
    Sync-DfVmProject -Name tb | Out-Null
    Invoke-DfVmTest -Name tb -Suite Stream | Out-Null       # warms the Go build cache
    $built = Invoke-DfVmCommand -Name tb -Command 'cd /root/tb && go build -o /root/now ./cmd/now'
    if (-not $built.Succeeded) { throw "go build of the clock helper failed: $($built.Error)" }
    $key = Join-Path $project 'vm/tb/id_ed25519'
    $kh = Join-Path $project 'bench_known_hosts'
    $ssh = @('-i', $key, '-o', 'BatchMode=yes', '-o', "UserKnownHostsFile=$kh", '-o', 'StrictHostKeyChecking=accept-new', '-o', 'LogLevel=ERROR', '-p', $vm.SshPort, 'root@127.0.0.1')

    $dfvm = @(); $plain = @(); $lat = @()
    for ($i = 0; $i -lt $Runs; $i++) {
        # Clock offset guest - host, by a round trip (the guest's clock is not the host's).
        $h0 = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds()
        $gms = [long](Invoke-DfVmCommand -Name tb -Command '/root/now').Output / 1000000
        $h1 = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds()
        $offset = $gms - ($h0 + $h1) / 2

        $sw = [Diagnostics.Stopwatch]::StartNew()
        Invoke-DfVmTest -Name tb -Suite Stream | Where-Object Test | ForEach-Object {
            $arrived = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds()
            if ($_.StartTime) {
                $endedGuest = $_.StartTime.ToUnixTimeMilliseconds() + $_.Duration.TotalMilliseconds
                $lat += $arrived - ($endedGuest - $offset)
            }
        }
        $dfvm += $sw.Elapsed.TotalSeconds
        $sw.Restart()
        & ssh @ssh "cd /root/tb && go test -json -count=1 ./..." | Out-Null
        $plain += $sw.Elapsed.TotalSeconds
    }

    # Parser throughput: a 200,000-event stream through ConvertFrom-GoTestJson vs wc -l.
    $file = Join-Path $project 'stream.jsonl'
    $w = [IO.StreamWriter]::new($file)
    $n = 0; $pkg = 0
    while ($n -lt 200000) {
        $p = "example.com/p$pkg"; $pkg++
        for ($t = 0; $t -lt 10 -and $n -lt 200000; $t++) {
            $w.WriteLine("{`"Time`":`"2026-11-26T10:00:00Z`",`"Action`":`"run`",`"Package`":`"$p`",`"Test`":`"T$t`"}")
            $w.WriteLine("{`"Time`":`"2026-11-26T10:00:00Z`",`"Action`":`"output`",`"Package`":`"$p`",`"Test`":`"T$t`",`"Output`":`"=== RUN   T$t\n`"}")
            $w.WriteLine("{`"Time`":`"2026-11-26T10:00:00Z`",`"Action`":`"output`",`"Package`":`"$p`",`"Test`":`"T$t`",`"Output`":`"    x_test.go:9: working\n`"}")
            $w.WriteLine("{`"Time`":`"2026-11-26T10:00:00Z`",`"Action`":`"pass`",`"Package`":`"$p`",`"Test`":`"T$t`",`"Elapsed`":0.01}")
            $n += 4
        }
        $w.WriteLine("{`"Time`":`"2026-11-26T10:00:00Z`",`"Action`":`"pass`",`"Package`":`"$p`",`"Elapsed`":0.1}"); $n++
    }
    $w.Dispose()
    [GC]::Collect()
    $before = [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64
    $parse = (Measure-Command { $rows = (ConvertFrom-GoTestJson -Path $file | Measure-Object).Count }).TotalSeconds
    $peak = [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64
    $wc = (Measure-Command { & wc -l $file | Out-Null }).TotalSeconds
    # gotestsum (Debian package) reading the same stream: the tool people use to parse go test -json.
    if (-not (Get-Command gotestsum -ErrorAction Ignore) -and (id -u) -eq '0') { & apt-get install -y -qq gotestsum *> $null }
    $gts = if (Get-Command gotestsum -ErrorAction Ignore) {
        (Measure-Command { & gotestsum --format dots --raw-command -- cat $file *> $null }).TotalSeconds
    } else { $null }

    $report = @"

## Test runs (issue 4) — $(Get-Date -Format 'yyyy-MM-dd HH:mm') UTC

Command: ``pwsh ./build.ps1 -Task Bench`` (bench/tests.bench.ps1); one warm Linux test guest (TCG), a package of ten
tests each ending 0.5 s after the previous, Go build cache warm; medians of $Runs.

| what | DfVm | the shell way |
|---|---|---|
| whole run | $('{0:0.00}' -f (Median $dfvm)) s (``Invoke-DfVmTest -Suite Stream``, objects) | $('{0:0.00}' -f (Median $plain)) s (``ssh host 'cd proj && go test -json ./...'``, text) |
| guest reports a test's end -> its object in the pipeline | $('{0:0}' -f (Median $lat)) ms (median over $($lat.Count) tests; guest clock offset measured by round trip) | — (ssh shows text, no objects) |
| parse 200,000 events | $('{0:0.00}' -f $parse) s, $('{0:0}' -f (200000 / $parse)) events/s, $rows rows, peak working set $('{0:0}' -f ($peak / 1MB)) MiB (whole pwsh) | gotestsum 1.8 (``--raw-command -- cat``): $(if ($gts) { '{0:0.00} s' -f $gts } else { 'not installed' }); ``wc -l``: $('{0:0.000}' -f $wc) s (the floor) |
"@
    Add-Content -Path $ResultsPath -Value $report
    $report
}
finally {
    Stop-DfVm -Name tb -Force -ErrorAction SilentlyContinue
    Pop-Location
    Remove-Item $project -Recurse -Force -ErrorAction SilentlyContinue
}
