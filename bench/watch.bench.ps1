<#
.SYNOPSIS
    Issue 22 items 2 and 3, side by side in one run on one test guest:
    (2) edit-to-result: `Invoke-DfVmTest -Watch -BuildOn Host -Sync` running in a second pwsh; one file of one
        package edited (a comment appended); the time from the save to that package's Package row, against
        `go test` of the same package on this machine (the same edit in a copy of the module), interleaved
        (ours, theirs, ours, theirs, ...). The watcher's verbose stream, time-stamped, shows where the time goes.
    (3) restore to first result: `Restore-DfVmSnapshot clean -Start` then `Invoke-DfVmTest -BuildOn Host` of the
        suite, against the same suite built and run on the host without a VM (`go test -c` of each package, then
        each binary run locally in its package folder), interleaved.
    Workload: copies of standard-library packages with their tests (as gobuild.bench.ps1).
    Appends a section to bench/RESULTS.md.
    Run: pwsh -NoProfile -File bench/watch.bench.ps1 -ModulePath out/DfVm/DfVm.psd1 -GuestDirectory <test guest>
#>
param(
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $GuestDirectory,
    [int] $Edits = 4,
    [int] $Restores = 2,
    [string] $ResultsPath = (Join-Path $PSScriptRoot 'RESULTS.md')
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$ModulePath = (Resolve-Path $ModulePath).ProviderPath
Import-Module $ModulePath
$g = Get-Content (Join-Path $GuestDirectory 'guest.json') -Raw | ConvertFrom-Json
$goroot = (& go env GOROOT).Trim()
$base = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-watchbench-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
$project = Join-Path $base 'proj'
$hostCopy = Join-Path $base 'hostcopy'
$ctl = Join-Path $base 'ctl'
New-Item -ItemType Directory $project, $ctl | Out-Null
$env:XDG_RUNTIME_DIR = $ctl
function Median([double[]] $xs) { $s = $xs | Sort-Object; if ($s.Count % 2) { $s[($s.Count - 1) / 2] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 } }
function Fmt([double[]] $xs) { ($xs | ForEach-Object { '{0:0.00}' -f $_ }) -join ', ' }
$loads = [Collections.Generic.List[string]]::new()
function Note-Load { $loads.Add(((Get-Content /proc/loadavg) -split ' ')[0]) }
$child = $null
Push-Location $project
try {
    $module = 'example.com/stdcopy'
    Set-Content DfVm.config.psd1 "@{ VmName = 'wb'; MemoryMB = 1024; GuestProjectPath = '/root/wb'; Suites = @{ Bench = @{ Command = 'GOFLAGS=-count=1 GOPROXY=off go test -short -json ./...' } } }"
    Set-Content go.mod "module $module`n`ngo 1.19`n"
    $candidates = 'bufio', 'container/list', 'container/ring', 'text/tabwriter', 'encoding/csv', 'encoding/hex',
        'encoding/base32', 'encoding/base64', 'html', 'go/scanner', 'text/template/parse', 'image/color', 'mime/quotedprintable'
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
    $pkgDir = 'container/list'
    $pkg = "$module/$pkgDir"
    Add-Content (Join-Path $project "$pkgDir/list.go") "`nvar benchEdit int   // each edit of the bench adds an init that sets it"
    Copy-Item $project $hostCopy -Recurse
    & go test -count=1 -run '^$' ./... *> $null   # the host's build cache holds these packages, as on a developer's machine
    Push-Location $hostCopy; & go test -count=1 -run '^$' ./... *> $null; Pop-Location

    New-DfVm -Name wb -BaseImage $g.disk -Kernel $g.kernel -Initrd $g.initrd -KernelArguments $g.append -DiskInterface virtio-blk -MemoryMB 1024 -Confirm:$false | Out-Null
    $null = Start-DfVm -Name wb -Timeout 600 -WarningAction SilentlyContinue
    Sync-DfVmProject -Name wb | Out-Null
    Stop-DfVm -Name wb | Out-Null
    Checkpoint-DfVm -Name wb -SnapshotName clean | Out-Null

    # ---- (3) restore to first result, interleaved with the host-only build and run ----
    $restoreD = @(); $restoreH = @(); $rowsD = 0; $rowsH = 0
    function Invoke-HostOnly {
        # go test -c of each package, then each binary run in its folder (as go test runs it), on the host.
        $t = [Diagnostics.Stopwatch]::StartNew()
        $bin = Join-Path $base 'hostbin'
        Remove-Item $bin -Recurse -Force -ErrorAction Ignore
        New-Item -ItemType Directory $bin | Out-Null
        Push-Location $hostCopy
        try {
            $n = 0
            foreach ($p in $copied) {
                $exe = Join-Path $bin (($p -replace '/', '_') + '.test')
                & go test -c -o $exe "./$p"
                if ($LASTEXITCODE -ne 0) { throw "go test -c ./$p failed" }
                Push-Location (Join-Path $hostCopy $p)
                $out = & $exe '-test.short' '-test.v'
                if ($LASTEXITCODE -ne 0) { throw "$p failed on the host" }
                Pop-Location
                $n += @($out | Where-Object { $_ -match '^\s*--- (PASS|FAIL|SKIP)' }).Count
            }
        }
        finally { Pop-Location }
        [pscustomobject]@{ Seconds = $t.Elapsed.TotalSeconds; Rows = $n }
    }
    function Invoke-Restore {
        $t = [Diagnostics.Stopwatch]::StartNew()
        Restore-DfVmSnapshot -Name wb -SnapshotName clean -Start -Force -WarningAction SilentlyContinue | Out-Null
        $rows = @(Invoke-DfVmTest Bench -Name wb -BuildOn Host -WarningAction SilentlyContinue -InformationAction SilentlyContinue)
        [pscustomobject]@{ Seconds = $t.Elapsed.TotalSeconds; Rows = @($rows | Where-Object Kind -ne 'Package').Count; Failed = @($rows | Where-Object Failed).Count }
    }
    for ($i = 0; $i -lt $Restores; $i++) {
        Note-Load
        if ($i % 2 -eq 0) { $d = Invoke-Restore; $h = Invoke-HostOnly } else { $h = Invoke-HostOnly; $d = Invoke-Restore }
        if ($d.Failed) { throw "$($d.Failed) rows failed after the restore" }
        $restoreD += $d.Seconds; $restoreH += $h.Seconds; $rowsD = $d.Rows; $rowsH = $h.Rows
        Write-Host "restore: DfVm $($d.Seconds) s ($($d.Rows) rows), host only $($h.Seconds) s ($($h.Rows) tests)"
    }

    # ---- (2) edit-to-result with -Watch ----
    $rowsFile = Join-Path $base 'rows.txt'
    $text = "`$ProgressPreference = 'SilentlyContinue'; Import-Module '$ModulePath'; Set-Location -LiteralPath '$project'; " +
        "Invoke-DfVmTest Bench -Name wb -BuildOn Host -Sync -Watch -Verbose -WarningAction SilentlyContinue -InformationAction SilentlyContinue 4>&1 | ForEach-Object { " +
        "  `$now = [DateTime]::UtcNow.Ticks; " +
        "  `$line = if (`$_ -is [Management.Automation.VerboseRecord]) { ""`$now|V|`$(`$_.Message -replace '[\r\n|]', ' ')"" } else { ""`$now|R|`$(`$_.Kind)|`$(`$_.Package)|`$(`$_.Test)|`$(`$_.Result)"" }; " +
        "  [IO.File]::AppendAllText('$rowsFile', `$line + [Environment]::NewLine) }"
    $psi = [Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
    if ([IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') { $psi.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll')) }
    foreach ($a in '-NoProfile', '-NonInteractive', '-EncodedCommand', [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($text))) { $psi.ArgumentList.Add($a) }
    $psi.UseShellExecute = $false
    $psi.Environment['XDG_RUNTIME_DIR'] = $ctl
    $sentLog = Join-Path $base 'goexec.log'   # the wrapper's "sent <hash> <bytes>" / "cached <hash>" per run
    $psi.Environment['DFVM_GOEXEC_LOG'] = $sentLog
    $child = [Diagnostics.Process]::Start($psi)

    function Read-Rows { if (Test-Path $rowsFile) { @(Get-Content $rowsFile) } else { @() } }
    function Read-Sent { if (Test-Path $sentLog) { @(Get-Content $sentLog) } else { @() } }
    $script:sentSeen = 0; $script:sentAt = 0L
    function Wait-PackageRow([long] $AfterTicks, [int] $Seconds = 600) {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        while ($sw.Elapsed.TotalSeconds -lt $Seconds) {
            # the first new "sent" line of the wrapper: the edited package's binary is in the guest (polled every 50 ms)
            $n = @(Read-Sent | Where-Object { $_ -like 'sent *' }).Count
            if ($n -gt $script:sentSeen) { if ($script:sentAt -le $AfterTicks) { $script:sentAt = [DateTime]::UtcNow.Ticks }; $script:sentSeen = $n }
            foreach ($l in Read-Rows) {
                $f = $l -split '\|'
                if ($f[1] -eq 'R' -and $f[2] -eq 'Package' -and $f[3] -eq $pkg -and [long]$f[0] -gt $AfterTicks) { return [long]$f[0] }
            }
            if ($child.HasExited) { throw "the -Watch pwsh ended (exit $($child.ExitCode))" }
            Start-Sleep -Milliseconds 50
        }
        throw "no $pkg row within $Seconds s"
    }
    # The first round: every package's row.
    $first = Wait-PackageRow 0
    $sw = [Diagnostics.Stopwatch]::StartNew()
    while ($sw.Elapsed.TotalSeconds -lt 600) {
        $pk = @(Read-Rows | Where-Object { ($_ -split '\|')[2] -eq 'Package' }).Count
        if ($pk -ge $copied.Count) { break }
        Start-Sleep -Milliseconds 200
    }
    Start-Sleep -Seconds 3   # the watcher is armed before the first run; let its first round end wholly

    $ours = @(); $theirs = @(); $timelines = @(); $phases = @()
    $script:sentSeen = @(Read-Sent | Where-Object { $_ -like 'sent *' }).Count
    $editFile = Join-Path $project "$pkgDir/list.go"
    $hostEdit = Join-Path $hostCopy "$pkgDir/list.go"
    for ($i = 0; $i -lt $Edits; $i++) {
        Note-Load
        $doOurs = {
            $t0 = [DateTime]::UtcNow.Ticks
            # a change of code, not a comment: a comment leaves the test binary as it was (the wrapper's cached path)
            [IO.File]::AppendAllText($editFile, "`nfunc init() { benchEdit = $i }`n")
            $t1 = Wait-PackageRow $t0
            $script:ours += ($t1 - $t0) / 1e7
            $mine = @(Read-Rows | Where-Object { $f = $_ -split '\|'; [long]$f[0] -gt $t0 -and [long]$f[0] -le $t1 })
            $script:timelines += , @($mine | ForEach-Object { $f = $_ -split '\|', 3; '+{0:0.00} s {1}' -f (([long]$f[0] - $t0) / 1e7), $f[2] })
            # where the time went: the watcher's verbose lines, the wrapper's upload, the row
            function At([string] $Pattern) { $l = $mine | Where-Object { ($_ -split '\|', 2)[1] -match $Pattern } | Select-Object -First 1; if ($l) { ([long](($l -split '\|')[0]) - $t0) / 1e7 } else { [double]::NaN } }
            $round = At '^V\|Round \d+: \d+ changed'
            $synced = At '^V\|Synced '
            $running = At '^V\|Round \d+: running'
            $sent = if ($script:sentAt -gt $t0) { ($script:sentAt - $t0) / 1e7 } else { [double]::NaN }
            $script:phases += [pscustomobject]@{ Round = $round; Synced = $synced; Running = $running; Sent = $sent; Row = ($t1 - $t0) / 1e7 }
            Start-Sleep -Seconds 2   # the rest of the round (importers of the package) ends before the next edit
        }
        $doTheirs = {
            $t = [Diagnostics.Stopwatch]::StartNew()
            [IO.File]::AppendAllText($hostEdit, "`nfunc init() { benchEdit = $i }`n")
            Push-Location $hostCopy
            & go test -count=1 -short "./$pkgDir" | Out-Null
            Pop-Location
            if ($LASTEXITCODE -ne 0) { throw 'go test on the host failed' }
            $script:theirs += $t.Elapsed.TotalSeconds
        }
        if ($i % 2 -eq 0) { & $doOurs; & $doTheirs } else { & $doTheirs; & $doOurs }
        Write-Host ("edit {0}: watch {1:0.00} s, host go test {2:0.00} s" -f $i, $ours[-1], $theirs[-1])
    }

    $cpu = (Get-Content /proc/cpuinfo | Select-String 'model name' | Select-Object -First 1).Line -replace '.*:\s*', ''
    $om = Median $ours; $tm = Median $theirs; $dm = Median $restoreD; $hm = Median $restoreH
    $timeline = ($timelines[-1] | Select-Object -First 40 | ForEach-Object { "    $_" }) -join "`n"
    function PM([scriptblock] $Of) { $xs = @($phases | ForEach-Object $Of | Where-Object { -not [double]::IsNaN($_) }); if ($xs.Count) { '{0:0.00} s' -f (Median $xs) } else { 'n/a' } }
    $phaseRow = '| {0} | {1} | {2} | {3} | {4} | {5} |' -f (PM { $_.Round }), (PM { $_.Synced - $_.Round }), (PM { $_.Running - $_.Round }),
        (PM { $_.Sent - $_.Running }), (PM { $_.Row - $_.Sent }), (PM { $_.Row })
    $report = @"

## Edit-to-result and restore-to-first-result (issue 22, items 2 and 3) — $(Get-Date -Format 'yyyy-MM-dd HH:mm') UTC

Command: ``pwsh -NoProfile -File bench/watch.bench.ps1 -ModulePath $ModulePath -GuestDirectory $GuestDirectory``.
One Linux test guest (tcg, 1024 MiB, 2 vCPU); host: $([Environment]::ProcessorCount) cores, $cpu.
**The machine was shared with other sessions during this run** (load average 1 min at each pair: $($loads -join ', ')); each pair ran interleaved, the order alternating.
Workload: module ``$module`` = copies of $($copied.Count) standard-library packages with their tests ($($copied -join ', ')), suite ``GOFLAGS=-count=1 GOPROXY=off go test -short -json ./...``.

| what | DfVm | the other way, same run | DfVm − other | raw |
|---|---|---|---|---|
| edit one file of ``$pkgDir`` → its rows out | $('{0:0.00}' -f $om) s (``Invoke-DfVmTest Bench -BuildOn Host -Sync -Watch``, save to Package row) | $('{0:0.00}' -f $tm) s (``go test -count=1 -short ./$pkgDir`` on the host after the same edit) | $('{0:+0.00;-0.00}' -f ($om - $tm)) s | watch [$(Fmt $ours)] s, go test [$(Fmt $theirs)] s |
| restore to first result | $('{0:0.00}' -f $dm) s (``Restore-DfVmSnapshot clean -Start`` + ``Invoke-DfVmTest Bench -BuildOn Host``, $rowsD rows) | $('{0:0.00}' -f $hm) s (``go test -c`` + run each of the $($copied.Count) packages on the host, no VM, $rowsH tests) | $('{0:+0.00;-0.00}' -f ($dm - $hm)) s | DfVm [$(Fmt $restoreD)] s, host [$(Fmt $restoreH)] s |

Where the edit-to-result time goes (medians over the $Edits edits, seconds after the save; the wrapper's upload is seen by polling its
``DFVM_GOEXEC_LOG`` every 50 ms): debounce = until the watcher's ``Round N: ... changed`` line (its quiet time, 150 ms since the module of 2026-12-07, 300 ms before and the file event);
sync = until ``Synced``; sync ‖ go list = until ``Round N: running`` (go list runs on the host while the sync sends); compile + upload =
until the wrapper logs ``sent`` (the host's go test compiles and links, about the host's own go test time, then the gzip'ed binary goes to
the guest); guest run + row = the binary's start under TCG, its run, go test's report and the row.

| debounce | sync | sync ‖ go list | compile + upload | guest run + row | total |
|---|---|---|---|---|---|
$phaseRow

The last edit's timeline as the watching pwsh saw it (time after the save; V = its verbose stream, R = a row):

``````
$timeline
``````
"@
    Add-Content -Path $ResultsPath -Value $report
    $report
}
finally {
    if ($child -and -not $child.HasExited) { $child.Kill(); $child.WaitForExit() }
    Get-ChildItem (Join-Path $ctl "dfvm-goexec-$(& id -u)") -ErrorAction SilentlyContinue | Where-Object Name -NotMatch '\.' | ForEach-Object {
        & ssh -o ControlPath="$($_.FullName)" -O exit 127.0.0.1 2>$null
    }
    Stop-DfVm -Name wb -Force -ErrorAction SilentlyContinue | Out-Null
    Pop-Location
    Remove-Item $base -Recurse -Force -ErrorAction SilentlyContinue
}
