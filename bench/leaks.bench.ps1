<#
.SYNOPSIS
    Issue 23 benchmark: the cost of the leak check per test binary. One warm test guest, eight packages of
    one trivial test each; Invoke-DfVmTest with the check and with -NoLeakCheck, guest build and host build,
    alternated; then, inside the guest, a test binary run 20 times plainly and 20 times through leakcheck.sh
    in one command each (no go test: the wrapper's own cost; timed from the host, the SSH round trip cancels out). Appends its section, with the load average, to bench/RESULTS.md (-ResultsPath) and prints it.
    Run: pwsh ./build.ps1 -Task Bench   (or this file with -ModulePath and -GuestDirectory)
#>
param(
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $GuestDirectory,
    [int] $Runs = 3,
    [int] $Packages = 8,
    [string] $ResultsPath = (Join-Path $PSScriptRoot 'RESULTS.md')
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$g = Get-Content (Join-Path $GuestDirectory 'guest.json') -Raw | ConvertFrom-Json
$project = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-leakbench-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
New-Item -ItemType Directory $project | Out-Null
Push-Location $project
function Median([double[]] $xs) { $s = $xs | Sort-Object; $s[[int][math]::Floor(($s.Count - 1) / 2)] }
function Load { ((Get-Content /proc/loadavg) -split ' ')[0..2] -join ' ' }
try {
    Set-Content DfVm.config.psd1 "@{ VmName = 'lb'; MemoryMB = 512; GuestProjectPath = '/root/lb'; Suites = @{ B = @{ Command = 'GOFLAGS=-count=1 go test -json ./...'; Elevate = `$true } } }"
    Set-Content go.mod "module example.com/lb`n`ngo 1.19`n"
    foreach ($i in 1..$Packages) {
        New-Item -ItemType Directory "p$i" | Out-Null
        Set-Content "p$i/p_test.go" "package p$i`n`nimport `"testing`"`n`nfunc TestOne(t *testing.T) {}`n"
    }
    New-DfVm -Name lb -BaseImage $g.disk -Kernel $g.kernel -Initrd $g.initrd -KernelArguments $g.append -DiskInterface virtio-blk -MemoryMB 512 -Confirm:$false | Out-Null
    Start-DfVm -Name lb -Timeout 900 -WarningAction SilentlyContinue | Out-Null
    Sync-DfVmProject -Name lb | Out-Null
    $null = Invoke-DfVmTest B -Name lb; $null = Invoke-DfVmTest B -Name lb -BuildOn Host   # warm both build caches
    $t = @{}
    foreach ($k in 'Guest check', 'Guest none', 'Host check', 'Host none') { $t[$k] = [Collections.Generic.List[double]]::new() }
    $loads = @(Load)
    foreach ($r in 1..$Runs) {
        foreach ($where in 'Guest', 'Host') {
            $w = [Diagnostics.Stopwatch]::StartNew(); $null = Invoke-DfVmTest B -Name lb -BuildOn $where; $t["$where check"].Add($w.Elapsed.TotalSeconds)
            $w = [Diagnostics.Stopwatch]::StartNew(); $null = Invoke-DfVmTest B -Name lb -BuildOn $where -NoLeakCheck; $t["$where none"].Add($w.Elapsed.TotalSeconds)
        }
        $loads += Load
    }
    # inside the guest: the wrapper's own cost per binary, without go test. Each side is one guest command of 20
    # runs, timed here (the guest's date has whole seconds only); the SSH round trip is in both and cancels out.
    $script = [IO.File]::ReadAllText((Join-Path $PSScriptRoot '../src/DfVm.Core/Testing/leakcheck.sh'))
    $null = Invoke-DfVmCommand -Name lb -Command 'cd /root/lb/p1 && go test -c -o /root/lb-p1.test .'
    Set-Content (Join-Path $project 'lb-leak.sh') -NoNewline -Value $script
    Copy-DfVmItem -Name lb -Path (Join-Path $project 'lb-leak.sh') -Destination /var/tmp -ToGuest | Out-Null
    $plain = 'cd /tmp && i=0 && while [ $i -lt 20 ]; do /root/lb-p1.test >/dev/null; i=$((i+1)); done'
    $check = 'cd /tmp && export DFVM_LEAK=00aa DFVM_LEAK_MOUNT= && rm -f /var/tmp/.dfvm-leak-00aa.* && i=0 && while [ $i -lt 20 ]; do /bin/sh /var/tmp/lb-leak.sh /root/lb-p1.test >/dev/null; i=$((i+1)); done; rm -f /var/tmp/.dfvm-leak-00aa.*'
    # and what the wrapper's programs cost one by one (each 20 times in one command; the empty loop is subtracted)
    $parts = [ordered]@{
        loop  = 'i=0 && while [ $i -lt 20 ]; do :; i=$((i+1)); done'
        sh    = 'i=0 && while [ $i -lt 20 ]; do /bin/sh -c :; i=$((i+1)); done'
        mount = 'i=0 && while [ $i -lt 20 ]; do mount >/dev/null; i=$((i+1)); done'
        ps    = 'i=0 && while [ $i -lt 20 ]; do ps -ax -ww -o pid= -o ppid= -o state= -o command= >/dev/null; i=$((i+1)); done'
        rm    = 'i=0 && while [ $i -lt 20 ]; do rm -f /var/tmp/lb-none; i=$((i+1)); done'
        # the test guest's ps is two starts: the DragonFly stand-in (a Go program) in front of procps's ps; this is procps alone
        procps = 'p=/usr/libexec/dfvm/procps-ps; [ -x $p ] || p=ps; i=0 && while [ $i -lt 20 ]; do $p -ax -ww -o pid= -o ppid= -o state= -o command= >/dev/null; i=$((i+1)); done'
    }
    $inner = @{ plain = [Collections.Generic.List[double]]::new(); check = [Collections.Generic.List[double]]::new() }
    foreach ($k in $parts.Keys) { $inner[$k] = [Collections.Generic.List[double]]::new() }
    foreach ($r in 1..$Runs) {
        $w = [Diagnostics.Stopwatch]::StartNew(); $null = Invoke-DfVmCommand -Name lb -Command $plain; $inner.plain.Add($w.Elapsed.TotalSeconds)
        $w = [Diagnostics.Stopwatch]::StartNew(); $null = Invoke-DfVmCommand -Name lb -Command $check; $inner.check.Add($w.Elapsed.TotalSeconds)
        foreach ($k in $parts.Keys) {
            $w = [Diagnostics.Stopwatch]::StartNew(); $null = Invoke-DfVmCommand -Name lb -Command $parts[$k]; $inner[$k].Add($w.Elapsed.TotalSeconds)
        }
    }
    $null = Invoke-DfVmCommand -Name lb -Command 'rm -f /var/tmp/lb-leak.sh /root/lb-p1.test'
    $loads += Load
    $report = @(
    ''
    "## Leak check per test binary (issue 23) — $((Get-Date).ToUniversalTime().ToString('yyyy-MM-dd HH:mm')) UTC"
    ''
    "Command: ``pwsh bench/leaks.bench.ps1 -ModulePath out/DfVm/DfVm.psd1 -GuestDirectory <test guest>`` ($Packages packages of one empty test, ``GOFLAGS=-count=1 go test -json ./...`` elevated, median of $Runs alternated runs). Host load average (1/5/15 min) during the runs: $($loads -join '; ') on 2 cores."
    ''
    '| build | with the check | -NoLeakCheck | difference per binary |'
    '|---|---|---|---|'
    foreach ($where in 'Guest', 'Host') {
        "| $where | {0:0.0} s | {1:0.0} s | {2:0} ms |" -f (Median $t["$where check"]), (Median $t["$where none"]), (((Median $t["$where check"]) - (Median $t["$where none"])) * 1000 / $Packages)
    }
    ''
    "In the guest, one command of 20 runs of one test binary (median of $Runs, timed from the host): plainly {0:0.00} s, through leakcheck.sh {1:0.00} s: {2:0} ms per binary for the wrapper itself (sh, one mount, one ps; the first binary of a run also takes the before-record: one more mount and ps)." -f (Median $inner.plain), (Median $inner.check), (((Median $inner.check) - (Median $inner.plain)) * 1000 / 20)
    ''
    'One start of each program the wrapper runs, in the guest (median of the runs, 20 starts in one command, less the empty loop): ' +
        (@('sh', 'mount', 'ps', 'procps', 'rm' | ForEach-Object { '{0} {1:0} ms' -f $_, (((Median $inner[$_]) - (Median $inner.loop)) * 1000 / 20) }) -join ', ') + ' (procps: the test guest''s procps ps alone, without the DragonFly stand-in in front of it; rm: no longer started by the check).'
    )
    Add-Content -Path $ResultsPath -Value $report
    $report
}
finally {
    Pop-Location
    Push-Location $project
    try { Stop-DfVm -Name lb -Force -Confirm:$false -ErrorAction SilentlyContinue } finally { Pop-Location }
    Remove-Item $project -Recurse -Force -ErrorAction SilentlyContinue
}
