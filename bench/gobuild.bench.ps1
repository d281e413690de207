<#
.SYNOPSIS
    Issue 14 benchmark, side by side in one run on one test guest: Invoke-DfVmTest with the tests
    compiled in the guest (-BuildOn Guest) vs on this machine (-BuildOn Host, test binaries run in
    the guest through dfvm-go-exec), end to end (call to last object), for
      (a) a cold guest build cache right after Restore-DfVmSnapshot clean,
      (b) one edited file (synced by -Sync),
      (c) no change (-Sync finds nothing);
    and the wrapper's per-package overhead (one empty test, binary cached) vs `ssh host true`.
    The workload: a module holding copies of some of Go's standard-library packages with their
    tests (from the installed GOROOT/src; those that import no internal/ package), plus the Go
    fixture's root-only test.
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
$goroot = (& go env GOROOT).Trim()
$project = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-gobench-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
$ctl = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-gobench-ctl-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
New-Item -ItemType Directory $project, $ctl | Out-Null
$env:XDG_RUNTIME_DIR = $ctl
$env:DFVM_GOEXEC_PERSIST = '300'
Push-Location $project
function Median([double[]] $xs) { $s = $xs | Sort-Object; $s[[int][math]::Floor(($s.Count - 1) / 2)] }
function Time-Run([scriptblock] $Run) {
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $rows = @(& $Run)
    Write-Host "  $($sw.Elapsed.TotalSeconds) s, $($rows.Count) rows"
    return [pscustomobject]@{ Seconds = $sw.Elapsed.TotalSeconds; Rows = $rows.Count; Failed = @($rows | Where-Object Failed).Count }
}
try {
    $module = 'example.com/stdcopy'
    Set-Content DfVm.config.psd1 "@{ VmName = 'gb'; MemoryMB = 1024; GuestProjectPath = '/root/gb'; Suites = @{ Bench = @{ Command = 'GOFLAGS=-count=1 GOPROXY=off go test -short -json ./...' } } }"
    Set-Content go.mod "module $module`n`ngo 1.19`n"
    # compile-heavy, quick to run under TCG (-short): the cost measured is building, not the tests' own run time
    $candidates = 'bufio', 'container/list', 'container/ring', 'text/tabwriter', 'encoding/csv', 'encoding/hex',
        'encoding/base32', 'encoding/base64', 'encoding/json', 'html', 'go/scanner', 'text/template/parse',
        'compress/flate', 'image/color', 'mime/quotedprintable', 'net/textproto', 'archive/zip'
    $copied = @($candidates | Where-Object {
            $files = Get-ChildItem (Join-Path $goroot "src/$_") -Filter *.go -File
            -not @($files | Select-String -Pattern '"([a-z0-9/]*/)?internal/|"vendor/' -List).Count
        })
    foreach ($p in $copied) {
        $src = Join-Path $goroot "src/$p"
        $dst = Join-Path $project $p
        New-Item -ItemType Directory -Force $dst | Out-Null
        Get-ChildItem $src -File | Where-Object Name -Match '\.go$' | ForEach-Object {
            $text = Get-Content $_.FullName -Raw
            foreach ($q in $copied) { $text = $text.Replace("`"$q`"", "`"$module/$q`"") }
            Set-Content (Join-Path $dst $_.Name) $text -NoNewline
        }
        if (Test-Path (Join-Path $src 'testdata')) { Copy-Item (Join-Path $src 'testdata') $dst -Recurse }
    }
    New-Item -ItemType Directory rootonly | Out-Null
    Copy-Item (Join-Path $PSScriptRoot '../tests/fixtures/gotest/rootonly/rootonly_test.go') rootonly/
    $edit = Join-Path $project 'container/list/list.go'

    New-DfVm -Name gb -BaseImage $g.disk -Kernel $g.kernel -Initrd $g.initrd -KernelArguments $g.append -DiskInterface virtio-blk -MemoryMB 1024 -Confirm:$false | Out-Null
    $vm = Start-DfVm -Name gb -WarningAction SilentlyContinue
    Sync-DfVmProject -Name gb -Confirm:$false | Out-Null
    Stop-DfVm -Name gb -Confirm:$false | Out-Null
    Checkpoint-DfVm -Name gb -SnapshotName clean -Confirm:$false | Out-Null
    & go test -count=1 -run '^$' ./... *> $null   # the host's build cache holds these packages, as on a developer's machine

    $results = [ordered]@{}
    foreach ($side in 'Guest', 'Host') {
        Restore-DfVmSnapshot -Name gb -SnapshotName clean -Start -Confirm:$false -Force -WarningAction SilentlyContinue | Out-Null
        Write-Host "(a) $side"
        $results["a-$side"] = Time-Run { Invoke-DfVmTest -Name gb -Suite Bench -BuildOn $side -WarningAction SilentlyContinue }
    }
    foreach ($side in 'Guest', 'Host') {
        Add-Content $edit "`n// edited for the $side round"
        Write-Host "(b) $side"
        $results["b-$side"] = Time-Run { Invoke-DfVmTest -Name gb -Suite Bench -BuildOn $side -Sync -WarningAction SilentlyContinue }
    }
    foreach ($side in 'Guest', 'Host') {
        Write-Host "(c) $side"
        $results["c-$side"] = Time-Run { Invoke-DfVmTest -Name gb -Suite Bench -BuildOn $side -Sync -WarningAction SilentlyContinue }
    }

    # per-package overhead: one empty test, its binary cached in the guest, vs a plain ssh round trip
    New-Item -ItemType Directory empty | Out-Null
    Set-Content empty/empty_test.go "package empty`n`nimport `"testing`"`n`nfunc TestEmpty(t *testing.T) {}"
    Sync-DfVmProject -Name gb -Confirm:$false | Out-Null
    & go test -c -o (Join-Path $ctl 'empty.test') ./empty
    $wrapper = Join-Path (Split-Path $ModulePath) 'goexec/dfvm-go-exec'
    Push-Location empty
    & $wrapper (Join-Path $ctl 'empty.test') | Out-Null   # sends it once, makes the shared connection
    $wrap = foreach ($i in 1..7) { $sw = [Diagnostics.Stopwatch]::StartNew(); & $wrapper (Join-Path $ctl 'empty.test') | Out-Null; $sw.Elapsed.TotalSeconds }
    Pop-Location
    $vm = Get-DfVm -Name gb
    $sshArgs = @('-F', '/dev/null', '-i', (Join-Path $vm.Path 'id_ed25519'), '-p', "$($vm.SshPort)", '-o', 'BatchMode=yes',
        '-o', "UserKnownHostsFile=$(Join-Path $vm.Path 'known_hosts')", '-o', 'HostKeyAlias=dfvm-gb', '-o', 'StrictHostKeyChecking=yes', 'root@127.0.0.1', 'true')
    $plain = foreach ($i in 1..7) { $sw = [Diagnostics.Stopwatch]::StartNew(); & ssh @sshArgs; $sw.Elapsed.TotalSeconds }

    $load = (Get-Content /proc/loadavg -Raw).Split(' ')[0..2] -join ' '
    $cpu = ((Get-Content /proc/cpuinfo | Where-Object { $_ -like 'model name*' } | Select-Object -First 1) -split ':\s*')[1]
    $row = {
        param($case, $label)
        $gr = $results["$case-Guest"]; $hr = $results["$case-Host"]
        "| $label | $('{0:0.0}' -f $gr.Seconds) s | $('{0:0.0}' -f $hr.Seconds) s | $('{0:0.0}' -f ($gr.Seconds / $hr.Seconds))x | $($gr.Rows) / $($hr.Rows) rows, $($gr.Failed) / $($hr.Failed) failed |"
    }
    $section = @"

## Go builds on the host (issue 14) — $((Get-Date).ToUniversalTime().ToString('yyyy-MM-dd HH:mm')) UTC

Command: ``pwsh -NoProfile -File bench/gobuild.bench.ps1 -ModulePath $ModulePath -GuestDirectory $GuestDirectory`` (what ``pwsh ./build.ps1 -Task Bench`` runs).
One pwsh session, one Linux test guest (tcg, 1024 MiB, 2 vCPU); host: 2 cores, $cpu; load average at the end: $load.
Workload: module ``$module`` = copies of $($copied.Count) standard-library packages with their tests from $goroot/src ($($copied -join ', ')) + the Go fixture's root-only test.
``Invoke-DfVmTest Bench`` (``go test -short -json ./...``, -count=1) end to end (call to last object), one run each, Guest and Host side by side. (a) right after ``Restore-DfVmSnapshot clean -Start``
(guest Go build cache and the wrapper's binary cache cold; the host's build cache warm, as on a developer's machine); (b) one file edited, ``-Sync``; (c) no change, ``-Sync``.

| case | -BuildOn Guest | -BuildOn Host | Guest / Host | rows (Guest / Host) |
|---|---|---|---|---|
$(& $row 'a' '(a) cold guest cache after restore')
$(& $row 'b' '(b) one edited file')
$(& $row 'c' '(c) no change')

Per-package overhead, one empty test whose binary is cached in the guest: ``dfvm-go-exec`` (shared connection) median $('{0:0.000}' -f (Median $wrap)) s
(raw $(($wrap | ForEach-Object { '{0:0.00}' -f $_ }) -join ', ')) vs ``ssh host true`` (a new connection each) median $('{0:0.000}' -f (Median $plain)) s (raw $(($plain | ForEach-Object { '{0:0.00}' -f $_ }) -join ', ')).
"@
    Add-Content $ResultsPath $section
    Write-Host $section
}
finally {
    Get-ChildItem (Join-Path $ctl "dfvm-goexec-$(& id -u)") -ErrorAction SilentlyContinue | Where-Object Name -NotMatch '\.' | ForEach-Object {
        & ssh -o ControlPath="$($_.FullName)" -O exit 127.0.0.1 2>$null
    }
    Stop-DfVm -Name gb -Force -Confirm:$false -ErrorAction SilentlyContinue | Out-Null
    Pop-Location
    Remove-Item $project, $ctl -Recurse -Force -ErrorAction SilentlyContinue
}
