#Requires -Version 7.2
<#
.SYNOPSIS
    Builds, tests and demonstrates the DfVm module.
.DESCRIPTION
    Each task is a short function below. A fresh machine needs only the .NET SDK and pwsh:
    the build restores NuGet packages (Pester included) and, for the tests, builds the Linux
    test guest from Debian packages (installing what is missing when run as root).
.EXAMPLE
    pwsh ./build.ps1 -Task Test
.EXAMPLE
    pwsh ./build.ps1 -Task Demo
#>
[CmdletBinding()]
param(
    [ValidateSet('Bootstrap', 'Build', 'Docs', 'Guest', 'Test', 'UnitTest', 'Demo', 'Bench', 'Package', 'Clean')]
    [string[]] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Pester tags to run (Unit, Integration). Default: all.
    [string[]] $Tag,

    # Test jobs run at once by -Task Test (the xunit run and each Pester container are jobs). Default:
    # $env:DFVM_TEST_WORKERS, else 2: most of a job's time is waiting on a guest under TCG.
    [ValidateRange(1, 16)]
    [int] $Workers = $(if ($env:DFVM_TEST_WORKERS) { [int]$env:DFVM_TEST_WORKERS } else { 2 })
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'DfVm'
$ResultsDir = Join-Path $Out 'test-results'
$PesterVersion = '5.7.1'
# QEMU, the guest's packages and every program a test runs: the one list is .ci/run's DEBIAN_PACKAGES line.
$GuestPackages = @(((Select-String -Path (Join-Path $PSScriptRoot '.ci/run') -Pattern '^DEBIAN_PACKAGES="([^"]*)"').Matches[0].Groups[1].Value -split ' ') | Where-Object { $_ })

# The engine's dependencies, loaded into their own load context from dependencies/ (STYLE.md #11).
# System.* assemblies are not shipped: the runtime pwsh runs on provides newer ones.
$Dependencies = @('DfVm.Core', 'Renci.SshNet', 'BouncyCastle.Cryptography', 'Microsoft.Extensions.Logging.Abstractions',
    'Microsoft.Extensions.DependencyInjection.Abstractions', 'Microsoft.Bcl.AsyncInterfaces', 'ICSharpCode.SharpZipLib')

function Invoke-Native {
    # Runs a program and stops the build when it fails.
    param([Parameter(Mandatory)][string] $FilePath, [string[]] $ArgumentList = @())
    Write-Verbose "> $FilePath $($ArgumentList -join ' ')"
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) { throw "$FilePath $($ArgumentList -join ' ') failed with exit code $LASTEXITCODE" }
}

function Invoke-Bootstrap {
    if (-not (Get-Command dotnet -ErrorAction Ignore)) { throw 'The .NET SDK (dotnet) is required: https://dot.net' }
    $missing = @($GuestPackages | Where-Object { -not (Test-DebianPackage $_) })
    if ($missing.Count -gt 0) {
        if ((id -u) -eq '0' -and (Get-Command apt-get -ErrorAction Ignore)) {
            Write-Host "Installing Debian packages: $($missing -join ' ')"
            $env:DEBIAN_FRONTEND = 'noninteractive'
            Invoke-Native apt-get @('update', '-qq')
            Invoke-Native apt-get (@('install', '-y', '-qq', '--no-install-recommends') + $missing)
        }
        else {
            Write-Warning "Missing Debian packages (install them as root): $($missing -join ' ')"
        }
    }
    Invoke-Native dotnet @('restore', (Join-Path $Root 'tools/restore/Pester.csproj'), '-v', 'q')
}

function Test-DebianPackage([string] $Name) {
    $status = dpkg-query -W -f '${Status}' $Name 2>$null
    return $LASTEXITCODE -eq 0 -and "$status" -match 'install ok installed'
}

function Get-PesterPath {
    $home_ = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
    $path = Join-Path $home_ "pester/$PesterVersion/tools/Pester.psd1"
    if (-not (Test-Path $path)) {
        Invoke-Native dotnet @('restore', (Join-Path $Root 'tools/restore/Pester.csproj'), '-v', 'q')
    }
    return $path
}

function Invoke-Build {
    $publish = Join-Path $Out 'publish'
    Invoke-Native dotnet @('publish', (Join-Path $Root 'src/DfVm.PowerShell/DfVm.PowerShell.csproj'), '-c', $Configuration, '-o', $publish, '-v', 'q', '--nologo')
    if (Test-Path $ModuleOut) { Remove-Item $ModuleOut -Recurse -Force }
    $deps = New-Item -ItemType Directory -Force (Join-Path $ModuleOut 'dependencies')
    Copy-Item (Join-Path $publish 'DfVm.dll'), (Join-Path $publish 'DfVm.pdb'), (Join-Path $publish 'DfVm.Models.dll') $ModuleOut
    foreach ($name in $Dependencies) {
        $dll = Join-Path $publish "$name.dll"
        if (Test-Path $dll) { Copy-Item $dll $deps }
    }
    Copy-Item (Join-Path $Root 'DfVm.psd1'), (Join-Path $Root 'src/DfVm.PowerShell/DfVm.format.ps1xml') $ModuleOut
    $goexec = New-Item -ItemType Directory -Force (Join-Path $ModuleOut 'goexec')
    Copy-Item (Join-Path $Root 'src/DfVm.Core/GoExec/dfvm-go-exec.sh') (Join-Path $goexec 'dfvm-go-exec')
    Invoke-Native chmod @('0755', (Join-Path $goexec 'dfvm-go-exec'))
    Invoke-Docs
    Write-Host "Module laid out in $ModuleOut"
}

function Invoke-Docs {
    $script = Join-Path $Root 'tools/ConvertTo-Maml.ps1'
    if (Test-Path $script) {
        & $script -DocsPath (Join-Path $Root 'docs/cmdlets') -ModulePath $ModuleOut -OutputPath (Join-Path $ModuleOut 'en-US')
    }
}

function Invoke-Guest {
    # Builds the Linux test guest (or finds it in the cache keyed by the hash of its inputs).
    $script = Join-Path $Root 'tests/guest/build-guest.sh'
    $lines = & bash $script
    if ($LASTEXITCODE -ne 0) { throw "building the test guest failed (exit $LASTEXITCODE)" }
    $dir = @($lines)[-1].Trim()
    $env:DFVM_TEST_GUEST = $dir
    Write-Host "Test guest: $dir"
    return $dir
}

function Read-XunitResults {
    param([string] $Trx, [int] $ExitCode)
    if (-not (Test-Path $Trx)) {
        return [pscustomobject]@{ Runner = 'xunit'; Passed = 0; Failed = 1; Skipped = 0; Failures = @([pscustomobject]@{ Name = 'xunit'; Message = "xunit produced no results (exit $ExitCode)" }) }
    }
    [xml] $doc = Get-Content $Trx -Raw
    $c = $doc.TestRun.ResultSummary.Counters
    $failures = @($doc.SelectNodes("//*[local-name()='UnitTestResult'][@outcome!='Passed' and @outcome!='NotExecuted']") | ForEach-Object {
        $info = $_.SelectSingleNode("*[local-name()='Output']/*[local-name()='ErrorInfo']")
        $text = if ($info) { ($info.ChildNodes | ForEach-Object InnerText) -join "`n" } else { "outcome $($_.GetAttribute('outcome'))" }
        [pscustomobject]@{ Name = $_.GetAttribute('testName'); Message = $text }
    })
    return [pscustomobject]@{ Runner = 'xunit'; Passed = [int]$c.passed; Failed = [int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted; Skipped = [int]$c.notExecuted; Failures = $failures }
}

function Write-FailureRecap {
    # The failed tests again, right above the counts: a CI log is often read from its end only.
    param([object[]] $Failures)
    if (-not $Failures) { return }
    Write-Host ''
    Write-Host "Failed ($(@($Failures).Count)):"
    foreach ($f in $Failures) {
        Write-Host "  [-] $($f.Name)"
        # The test's own lines, not the runners' frames (Pester.psm1, System.Reflection, xunit).
        $lines = @("$($f.Message)" -split "`r?`n" | Where-Object { $_.Trim() -and $_ -notmatch 'Pester\.psm?1|<No file>|^\s*at (System|Xunit)\.' })
        foreach ($l in $lines | Select-Object -First 12) { Write-Host "      $l" }
        if ($lines.Count -gt 12) { Write-Host "      ($($lines.Count - 12) more lines in out/test-results)" }
    }
    Write-Host ''
}

# Seconds each job took in a whole run on the 2-core machine (xunit and the Pester containers; a fresh clone's
# .ci/run, 2026-12-07; xunit, Snapshots and GoExec after their waits were cut that day): only the order jobs start
# in (longest first, so the last to start are short). A container not listed counts 60 s.
$JobSeconds = @{
    xunit = 310; Snapshots = 150; GoExec = 205; 'Faults.Runtime' = 219; Import = 176; SelfCheck = 151; Sync = 149; TestCommands = 133
    Leaks = 111; ConventionsGuest = 101; Lifecycle = 80; 'Faults.HostileGoExec' = 79; 'Faults.HostileCopy' = 77; 'Faults.HostileSync' = 74
    'Faults.Paths' = 74; GuestStrictness = 52; Help = 40; Enter = 38; Errors = 28; Conventions = 24; Install = 23
    Module = 14; VmCmdlets = 13; TestResults = 9; Config = 6; GoTestJsonPipeline = 5; WhatIf = 5
}

function New-PesterJob {
    # One Pester container run in a child pwsh against the built module folder (STYLE.md #14); its results
    # go to out/test-results/pester/<name>.*: the NUnit XML, the failures as JSON, the counts.
    param([Parameter(Mandatory)][IO.FileInfo] $Container)
    $name = $Container.Name -replace '\.Tests\.ps1$', ''
    $dir = Join-Path $ResultsDir 'pester'
    $base = Join-Path $dir $name
    $tagList = if ($Tag) { ($Tag | ForEach-Object { "'$_'" }) -join ',' } else { '' }
    $runner = @"
`$ErrorActionPreference = 'Stop'
# Plain text: ANSI colour codes in failure messages are invalid in the XML test report.
`$PSStyle.OutputRendering = 'PlainText'
Import-Module '$(Get-PesterPath)' -Force
`$c = New-PesterConfiguration
`$c.Run.Path = '$($Container.FullName)'
`$c.Run.PassThru = `$true
`$c.Output.Verbosity = 'Detailed'
`$c.TestResult.Enabled = `$true
`$c.TestResult.OutputPath = '$base.xml'
$(if ($tagList) { "`$c.Filter.Tag = @($tagList)" })
`$r = Invoke-Pester -Configuration `$c
# What failed, with where and why, for the recap above the counts (Write-FailureRecap).
`$failed = @(`$r.Failed | ForEach-Object { @{ Name = `$_.ExpandedPath; Message = "`$(`$_.ErrorRecord | Select-Object -First 1)``n`$((`$_.ErrorRecord | Select-Object -First 1).ScriptStackTrace)" } }) +
    @(`$r.FailedBlocks | ForEach-Object { @{ Name = "block: `$(`$_.ExpandedPath)"; Message = "`$(`$_.ErrorRecord | Select-Object -First 1)" } }) +
    @(`$r.FailedContainers | ForEach-Object { @{ Name = "container: `$(`$_.Item)"; Message = "`$(`$_.ErrorRecord | Select-Object -First 1)" } })
ConvertTo-Json -InputObject `$failed -Depth 3 | Set-Content -LiteralPath '$base-failed.json'
"`$(`$r.PassedCount) `$(`$r.FailedCount + `$r.FailedBlocksCount + `$r.FailedContainersCount) `$(`$r.SkippedCount + `$r.NotRunCount)" | Set-Content -LiteralPath '$base.counts'
"@
    Set-Content -LiteralPath "$base.runner.ps1" -Value $runner
    [pscustomobject]@{
        # Tier-0 code stays (no call counting, no tier-1 rejit) in the container's pwsh and the processes it starts: the
        # Help container took 18 % less CPU (23.7 against 29.0 CPU-s, two runs each), Sync and the 100 MB flood of
        # Faults.HostileGoExec no more (2026-12-07). env execs pwsh: the job's process is still pwsh.
        Name = $name; Runner = 'Pester'; FilePath = 'env'
        ArgumentList = @('DOTNET_TC_CallCounting=0', 'pwsh', '-NoProfile', '-NonInteractive', '-File', "$base.runner.ps1")
        Log = "$base.log"
        Seconds = if ($JobSeconds.ContainsKey($name)) { $JobSeconds[$name] } else { 60 }
        Read = {
            param($job)
            $b = $job.Log -replace '\.log$', ''
            if (-not (Test-Path -LiteralPath "$b.counts")) {
                return [pscustomobject]@{ Runner = 'Pester'; Passed = 0; Failed = 1; Skipped = 0; Failures = @([pscustomobject]@{ Name = "container: $($job.Name)"; Message = "the container's pwsh ended (exit $($job.ExitCode)) without reporting its counts; its output is in $($job.Log)" }) }
            }
            $n = (Get-Content -LiteralPath "$b.counts" -Raw).Trim() -split ' '
            $failures = if (Test-Path -LiteralPath "$b-failed.json") { @(Get-Content -LiteralPath "$b-failed.json" -Raw | ConvertFrom-Json) } else { @() }
            [pscustomobject]@{ Runner = 'Pester'; Passed = [int]$n[0]; Failed = [int]$n[1]; Skipped = [int]$n[2]; Failures = $failures }
        }
    }
}

function New-XunitJob {
    $trx = Join-Path $ResultsDir 'xunit.trx'
    Remove-Item -LiteralPath $trx -ErrorAction Ignore
    [pscustomobject]@{
        Name = 'xunit'; Runner = 'xunit'; FilePath = 'dotnet'
        ArgumentList = @('test', (Join-Path $Root 'tests/DfVm.Core.Tests/DfVm.Core.Tests.csproj'), '-c', $Configuration, '--nologo', '-v', 'q',
            '--logger', "trx;LogFileName=$trx", '--logger', 'console;verbosity=minimal')
        Log = Join-Path $ResultsDir 'xunit.log'
        Seconds = $JobSeconds['xunit']
        Read = { param($job) Read-XunitResults -Trx (Join-Path $ResultsDir 'xunit.trx') -ExitCode $job.ExitCode }
    }
}

function Invoke-TestJobs {
    # Runs the jobs $Workers at a time, longest first. A job's output is shown whole when it ends (the
    # log of a job never interleaves with another's), with its time.
    param([Parameter(Mandatory)][object[]] $Jobs)
    $queue = [Collections.Generic.Queue[object]]::new([object[]]@($Jobs | Sort-Object Seconds -Descending))
    $running = [Collections.Generic.List[object]]::new()
    $results = [Collections.Generic.List[object]]::new()
    Write-Host "Test jobs: $($Jobs.Count), $Workers at a time."
    try {
        while ($queue.Count -gt 0 -or $running.Count -gt 0) {
            while ($queue.Count -gt 0 -and $running.Count -lt $Workers) {
                $job = $queue.Dequeue()
                $job | Add-Member -Force -NotePropertyName Watch -NotePropertyValue ([Diagnostics.Stopwatch]::StartNew())
                $job | Add-Member -Force -NotePropertyName Process -NotePropertyValue (Start-Process -FilePath $job.FilePath -ArgumentList $job.ArgumentList `
                    -RedirectStandardOutput $job.Log -RedirectStandardError "$($job.Log).err" -NoNewWindow -PassThru)
                $running.Add($job)
            }
            # A job that hangs (a test waiting for good) is ended at 4 times its usual time, 10 minutes at least,
            # and fails: the run ends instead of waiting until CI's own limit.
            foreach ($job in @($running | Where-Object { -not $_.Process.HasExited })) {
                $limit = [Math]::Max(600, 4 * $job.Seconds)
                if ($job.Watch.Elapsed.TotalSeconds -gt $limit) {
                    $job | Add-Member -Force -NotePropertyName TimedOut -NotePropertyValue $limit
                    $job.Process.Kill($true)
                }
            }
            $done = @($running | Where-Object { $_.Process.HasExited })
            if ($done.Count -eq 0) { Start-Sleep -Milliseconds 500; continue }
            foreach ($job in $done) {
                $null = $running.Remove($job)
                $job.Process.WaitForExit()
                $job | Add-Member -Force -NotePropertyName ExitCode -NotePropertyValue $job.Process.ExitCode
                Write-Host ''
                Write-Host "===== $($job.Name): $([int]$job.Watch.Elapsed.TotalSeconds) s (exit $($job.ExitCode)) ====="
                Get-Content -LiteralPath $job.Log, "$($job.Log).err" -ErrorAction Ignore | Out-Host
                $r = & $job.Read $job
                if ($job.PSObject.Properties['TimedOut']) {
                    $r.Failed = [int]$r.Failed + 1
                    $r.Failures = @($r.Failures) + @([pscustomobject]@{ Name = "job: $($job.Name)"; Message = "ended after $($job.TimedOut) s (4 times its usual $($job.Seconds) s, 10 minutes at least): a test in it hung; its log is $($job.Log)" })
                }
                $r | Add-Member -Force -NotePropertyName Job -NotePropertyValue $job.Name
                $r | Add-Member -Force -NotePropertyName Seconds -NotePropertyValue ([int]$job.Watch.Elapsed.TotalSeconds)
                $results.Add($r)
            }
        }
    }
    finally {
        # Ctrl+C or a throw: the jobs still running end with the build (by their pid, children too).
        foreach ($job in $running) { if (-not $job.Process.HasExited) { $job.Process.Kill($true) } }
    }
    return $results.ToArray()
}

function Get-PesterJobs {
    # One job per container under tests/Pester, with out/test-results/pester/ made anew.
    $dir = Join-Path $ResultsDir 'pester'
    if (Test-Path $dir) { Remove-Item -LiteralPath $dir -Recurse -Force }
    New-Item -ItemType Directory -Force $dir | Out-Null
    $env:DFVM_MODULE_PATH = Join-Path $ModuleOut 'DfVm.psd1'
    Get-ChildItem (Join-Path $Root 'tests/Pester') -Filter '*.Tests.ps1' | ForEach-Object { New-PesterJob -Container $_ }
}

function Invoke-PesterTests {
    Merge-Results -Runner 'Pester' -Results (Invoke-TestJobs -Jobs @(Get-PesterJobs))
}

function Merge-Results {
    param([string] $Runner, [object[]] $Results)
    [pscustomobject]@{
        Runner = $Runner
        Passed = [int]($Results | Measure-Object Passed -Sum).Sum
        Failed = [int]($Results | Measure-Object Failed -Sum).Sum
        Skipped = [int]($Results | Measure-Object Skipped -Sum).Sum
        Failures = @($Results | ForEach-Object { $_.Failures } | Where-Object { $_ })
    }
}

function Invoke-Test {
    Invoke-Bootstrap
    Invoke-Build
    New-Item -ItemType Directory -Force $ResultsDir | Out-Null
    Remove-Item (Join-Path $ResultsDir 'faults*.jsonl') -ErrorAction Ignore
    $null = Invoke-Guest
    $watch = [Diagnostics.Stopwatch]::StartNew()
    # The go exec wrapper's control sockets and lists go under $XDG_RUNTIME_DIR: a folder of this run's (short:
    # unix socket paths), removed after it, so the tests leave nothing in the machine's /tmp.
    $runtime = Join-Path ([IO.Path]::GetTempPath()) "dfvm-ci-$PID"
    $savedRuntime = $env:XDG_RUNTIME_DIR
    New-Item -ItemType Directory -Force $runtime | Out-Null
    & chmod 700 $runtime
    $env:XDG_RUNTIME_DIR = $runtime
    # Booted guests the containers restore instead of booting their own (TestHelpers' Start-TestGuestVm), removed with it.
    $savedTemplates = $env:DFVM_TEST_TEMPLATES
    $env:DFVM_TEST_TEMPLATES = Join-Path $runtime 'templates'
    # The test processes (each container's pwsh, the pwsh sessions tests start, xunit's host) are short-lived:
    # .NET's profile-guided tiering instruments code it will never run long enough to gain from. Without it the
    # Help container took 8 % less CPU (27.1 against 29.7 user-seconds, two runs each, 2026-12-07); .NET is about
    # a quarter of a whole run's CPU on this 2-core machine, QEMU the rest.
    $savedPgo = $env:DOTNET_TieredPGO
    $env:DOTNET_TieredPGO = '0'
    try {
        # xunit and the Pester containers share the workers: each is one job.
        $all = Invoke-TestJobs -Jobs (@(New-XunitJob) + @(Get-PesterJobs))
    }
    finally {
        $env:DOTNET_TieredPGO = $savedPgo
        $env:XDG_RUNTIME_DIR = $savedRuntime
        $env:DFVM_TEST_TEMPLATES = $savedTemplates
        Remove-Item -LiteralPath $runtime -Recurse -Force -ErrorAction SilentlyContinue
    }
    $results = @(
        Merge-Results -Runner 'xunit' -Results @($all | Where-Object Runner -EQ 'xunit')
        Merge-Results -Runner 'Pester' -Results @($all | Where-Object Runner -EQ 'Pester')
    )
    Write-Host ''
    Write-Host "Jobs by time ($Workers at a time, $([int]$watch.Elapsed.TotalSeconds) s in all):"
    $all | Sort-Object Seconds -Descending | Format-Table -AutoSize Job, Seconds, Passed, Failed, Skipped | Out-Host
    # The Faults containers' records, as the table docs/FAULTS.md is made from (tools/Write-FaultTable.ps1).
    if (Test-Path (Join-Path $ResultsDir 'faults*.jsonl')) {
        & (Join-Path $Root 'tools/Write-FaultTable.ps1') -OutputPath (Join-Path $ResultsDir 'FAULTS.md')
    }
    Write-FailureRecap -Failures @($results | ForEach-Object { $_.Failures } | Where-Object { $_ })
    $results | Format-Table -AutoSize Runner, Passed, Failed, Skipped | Out-Host
    $passed = ($results | Measure-Object Passed -Sum).Sum
    $failed = ($results | Measure-Object Failed -Sum).Sum
    $skipped = ($results | Measure-Object Skipped -Sum).Sum
    if ($env:CI -eq 'true' -and $skipped -gt 0) {
        Write-Host "CI=true: $skipped skipped test(s) count as failures (every test must run in CI)."
        $failed += $skipped
    }
    if ($skipped -gt 0) { "$passed passed, $failed failed, $skipped skipped" } else { "$passed passed, $failed failed" }
    if ($failed -gt 0) { exit 1 }
}

function Invoke-Demo {
    Invoke-Bootstrap
    Invoke-Build
    $guest = Invoke-Guest
    & pwsh -NoProfile -File (Join-Path $Root 'tools/Demo.ps1') -ModulePath (Join-Path $ModuleOut 'DfVm.psd1') -GuestDirectory $guest
    if ($LASTEXITCODE -ne 0) { throw "the demo failed (exit $LASTEXITCODE)" }
}

function Invoke-Bench {
    Invoke-Build
    $guest = Invoke-Guest
    Get-ChildItem (Join-Path $Root 'bench') -Filter '*.bench.ps1' | ForEach-Object {
        & pwsh -NoProfile -File $_.FullName -ModulePath (Join-Path $ModuleOut 'DfVm.psd1') -GuestDirectory $guest
    }
}

function Invoke-Package {
    Invoke-Build
    $zip = Join-Path $Out 'DfVm.zip'
    if (Test-Path $zip) { Remove-Item $zip }
    Compress-Archive -Path $ModuleOut -DestinationPath $zip
    Write-Host "Package: $zip"
}

function Invoke-Clean {
    foreach ($d in @($Out) + (Get-ChildItem $Root -Recurse -Directory -Include bin, obj | ForEach-Object FullName)) {
        if (Test-Path $d) { Remove-Item $d -Recurse -Force }
    }
}

foreach ($t in $Task) {
    switch ($t) {
        'Bootstrap' { Invoke-Bootstrap }
        'Build' { Invoke-Build }
        'Docs' { Invoke-Docs }
        'Guest' { $null = Invoke-Guest }
        'Test' { Invoke-Test }
        'UnitTest' { $Tag = @('Unit'); Invoke-Build; New-Item -ItemType Directory -Force $ResultsDir | Out-Null; $r = Invoke-PesterTests; Write-FailureRecap -Failures $r.Failures; $r | Format-Table Runner, Passed, Failed, Skipped | Out-Host; if ($r.Failed -gt 0) { exit 1 } }
        'Demo' { Invoke-Demo }
        'Bench' { Invoke-Bench }
        'Package' { Invoke-Package }
        'Clean' { Invoke-Clean }
    }
}
