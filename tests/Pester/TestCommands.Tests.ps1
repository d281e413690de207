# ConvertFrom-GoTestJson, Export-DfVmTestReport, Invoke-DfVmTest, Build-DfVmProject.
# Unit: the recorded go test -json streams of tests/fixtures/gotest, no VM.
# Integration: one Linux test guest VM for the whole file, the fixture module synced into it.

BeforeAll {
    $script:fixture = (Resolve-Path (Join-Path $PSScriptRoot '../fixtures/gotest')).Path
    $script:recorded = Join-Path $script:fixture 'recorded'
    $script:module = 'example.com/dfvmfixture'
    function Get-Row($Rows, [string] $Package, [string] $Test) {
        $found = @($Rows | Where-Object { $_.Package -eq "$script:module/$Package" -and $_.Test -eq $(if ($Test) { $Test } else { $null }) })
        $found.Count | Should -Be 1 -Because "one row for $Package $Test"
        return $found[0]
    }
    function Assert-FixtureRows($Rows, [string] $Suite, [switch] $RootOnlyPasses) {
        # The rows `go test -json ./...` gives on the whole fixture (tests/fixtures/gotest/README.md).
        $Rows.Count | Should -Be 23
        @($Rows | Where-Object Kind -EQ 'Package').Count | Should -Be 7
        @($Rows | Where-Object Passed).Count | Should -Be $(if ($RootOnlyPasses) { 11 } else { 9 })
        @($Rows | Where-Object Failed).Count | Should -Be $(if ($RootOnlyPasses) { 11 } else { 13 })
        @($Rows | Where-Object Skipped).Count | Should -Be 1
        $Rows | ForEach-Object { $_.Suite | Should -Be $Suite }
        (Get-Row $Rows setupfail).Reason | Should -Be 'setup failed'
        (Get-Row $Rows broken).Reason | Should -Be 'build failed'
        (Get-Row $Rows broken).Output | Should -Match '\[build failed\]'
        (Get-Row $Rows panics TestPanics).Reason | Should -Be 'panic'
        (Get-Row $Rows panics TestPanics).Output | Should -Match 'assignment to entry in nil map'
        (Get-Row $Rows panics TestStillRunning).Reason | Should -Be 'panic'
        # it ran beside TestPanics (a one-vCPU guest runs parallel tests one at a time unless the fixture asks for two)
        (Get-Row $Rows panics TestStillRunning).Output | Should -Match 'still running before the panic'
        (Get-Row $Rows panics).Reason | Should -Be 'panic'
        (Get-Row $Rows exits TestExits).Reason | Should -Be 'exited without ending: os.Exit or panic'
        (Get-Row $Rows exits TestExits).Output | Should -Match 'about to exit with code 3'
        (Get-Row $Rows exits TestBeforeExit).Passed | Should -BeTrue
        (Get-Row $Rows pass TestSkipped).Skipped | Should -BeTrue
        (Get-Row $Rows pass 'TestNested/child_bad/leaf_bad').Output | Should -Match 'grandchild failed: got 1 want 2'
        (Get-Row $Rows pass 'TestNested/child_ok/leaf').Passed | Should -BeTrue
        (Get-Row $Rows pass TestParallelA).Output | Should -Not -Match 'parallel B'
        (Get-Row $Rows pass).Failed | Should -BeTrue
        (Get-Row $Rows bench TestSum).Passed | Should -BeTrue
        (Get-Row $Rows rootonly TestRequiresRoot).Passed | Should -Be ([bool]$RootOnlyPasses)
    }
}

Describe 'ConvertFrom-GoTestJson' -Tag Unit {
    BeforeAll { . $PSScriptRoot/TestHelpers.ps1 }

    It 'reads the recorded go 1.19 run of the whole fixture into its exact rows' {
        $rows = @(ConvertFrom-GoTestJson -Path (Join-Path $script:recorded 'go1.19-all.jsonl') -Suite Fixture)
        Assert-FixtureRows $rows -Suite Fixture -RootOnlyPasses
        $rows[0].GetType().FullName | Should -Be 'DfVm.DfVmTestResult'
        $rows[0].pstypenames | Should -Contain 'DfVm.DfVmTestResult'
    }

    It 'takes lines from the pipeline: Get-Content | ConvertFrom-GoTestJson | Where-Object Failed' {
        $failed = @(Get-Content (Join-Path $script:recorded 'go1.19-all.jsonl') | ConvertFrom-GoTestJson | Where-Object Failed)
        $failed.Count | Should -Be 11
        ($failed | ForEach-Object { "$($_.Package -replace '^.*/')|$($_.Test)" } | Sort-Object) | Should -Be (@(
            'broken|', 'exits|', 'exits|TestExits', 'panics|', 'panics|TestPanics', 'panics|TestStillRunning',
            'pass|', 'pass|TestNested', 'pass|TestNested/child_bad', 'pass|TestNested/child_bad/leaf_bad', 'setupfail|') | Sort-Object)
        $failed | ForEach-Object { $_.Suite | Should -BeNullOrEmpty }
    }

    It 'splits a whole file read with -Raw, and gives the same rows as -Path' {
        $file = Join-Path $script:recorded 'go1.19-cached.jsonl'
        $raw = @(Get-Content $file -Raw | ConvertFrom-GoTestJson)
        $byPath = @(ConvertFrom-GoTestJson -Path $file)
        $raw.Count | Should -Be 23
        ($raw | ForEach-Object { "$($_.Package)|$($_.Test)|$($_.Result)|$($_.Reason)" }) | Should -Be ($byPath | ForEach-Object { "$($_.Package)|$($_.Test)|$($_.Result)|$($_.Reason)" })
        @($raw | Where-Object Cached).Count | Should -BeGreaterThan 0
        (Get-Row $raw bench).Reason | Should -Be 'cached'
    }

    It 'writes each row as its test ends, not after the whole stream' {
        $log = [Collections.Generic.List[string]]::new()
        $lines = Get-Content (Join-Path $script:recorded 'go1.19-all.jsonl')
        $lines | ForEach-Object { $log.Add('line'); $_ } | ConvertFrom-GoTestJson | ForEach-Object { $log.Add('row') }
        $log.IndexOf('row') | Should -BeLessThan ($log.LastIndexOf('line') - 100)
        @($log | Where-Object { $_ -eq 'row' }).Count | Should -Be 23
    }

    It 'reads compiler text from a merged stderr+stdout log into the build-failed row' {
        $rows = @(Get-Content (Join-Path $script:recorded 'go1.19-all.stderr'), (Join-Path $script:recorded 'go1.19-all.jsonl') | ConvertFrom-GoTestJson)
        $rows.Count | Should -Be 23
        (Get-Row $rows broken).Output | Should -Match 'cannot use Answer\(\)'
    }

    It 'reads <File> into <Count> rows' -ForEach @(
        @{ File = 'go1.19-bench.jsonl'; Count = 3; Passed = 3; Failed = 0; Skipped = 0 }
        @{ File = 'go1.19-rootonly-nonroot.jsonl'; Count = 2; Passed = 0; Failed = 2; Skipped = 0 }
        @{ File = 'go1.20-build-text.jsonl'; Count = 3; Passed = 0; Failed = 3; Skipped = 0 }
        @{ File = 'go1.24-build-events.jsonl'; Count = 9; Passed = 4; Failed = 4; Skipped = 1 }
        @{ File = 'go1.25-attr.jsonl'; Count = 4; Passed = 1; Failed = 3; Skipped = 0 }
    ) {
        $rows = @(ConvertFrom-GoTestJson -Path (Join-Path $script:recorded $File))
        $rows.Count | Should -Be $Count
        @($rows | Where-Object Passed).Count | Should -Be $Passed
        @($rows | Where-Object Failed).Count | Should -Be $Failed
        @($rows | Where-Object Skipped).Count | Should -Be $Skipped
    }

    It 'gives build-failed and setup-failed package rows from go 1.24 build events, and Benchmark rows' {
        $rows = @(ConvertFrom-GoTestJson -Path (Join-Path $script:recorded 'go1.24-build-events.jsonl'))
        (Get-Row $rows broken).Reason | Should -Be 'build failed'
        (Get-Row $rows broken).Output | Should -Match 'cannot use Answer\(\)'
        (Get-Row $rows setupfail).Reason | Should -Be 'setup failed'
        (Get-Row $rows nofiles).Skipped | Should -BeTrue
        $bench = @(ConvertFrom-GoTestJson -Path (Join-Path $script:recorded 'go1.19-bench.jsonl'))
        @($bench | Where-Object Kind -EQ 'Benchmark').Test | Sort-Object | Should -Be @('BenchmarkSum', 'BenchmarkSumLogs')
    }

    It 'a file that does not exist is a FileNotFound error, and the other files still convert' {
        $err = $null
        $rows = @(ConvertFrom-GoTestJson -Path '/nonexistent/x.jsonl', (Join-Path $script:recorded 'go1.25-attr.jsonl') -ErrorVariable err -ErrorAction SilentlyContinue)
        $rows.Count | Should -Be 4
        $err[0].FullyQualifiedErrorId | Should -Be 'FileNotFound,DfVm.PowerShell.Commands.ConvertFromGoTestJsonCommand'
    }
}

Describe 'Export-DfVmTestReport' -Tag Unit {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:out = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-junit-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        New-Item -ItemType Directory $script:out | Out-Null
        $script:rows = @(ConvertFrom-GoTestJson -Path (Join-Path $script:recorded 'go1.19-all.jsonl') -Suite Fixture)
    }
    AfterAll { Remove-Item $script:out -Recurse -Force -ErrorAction SilentlyContinue }

    It 'writes JUnit XML whose every count matches the rows, and outputs the FileInfo' {
        $path = Join-Path $script:out 'junit.xml'
        $file = $script:rows | Export-DfVmTestReport -Path $path -Confirm:$false
        $file | Should -BeOfType ([IO.FileInfo])
        $file.FullName | Should -Be $path
        [xml] $x = Get-Content $path -Raw
        $root = $x.testsuites
        $root.name | Should -Be 'Fixture'
        # 16 test rows + a [package] case for each package failure no test explains: setupfail, broken (errors), exits, panics
        [int]$root.tests | Should -Be 20
        [int]$root.failures | Should -Be 8
        [int]$root.errors | Should -Be 2
        [int]$root.skipped | Should -Be 1
        @($root.testsuite).Count | Should -Be 7
        $cases = @($root.testsuite.testcase)
        $cases.Count | Should -Be 20
        @($cases | Where-Object { $_.failure }).Count | Should -Be 8
        @($cases | Where-Object { $_.error }).Count | Should -Be 2
        @($cases | Where-Object { $_.skipped }).Count | Should -Be 1
        foreach ($suite in $root.testsuite) {
            $own = @($script:rows | Where-Object Package -EQ $suite.name)
            $mine = @($suite.testcase)
            [int]$suite.tests | Should -Be $mine.Count -Because $suite.name
            [int]$suite.failures | Should -Be @($mine | Where-Object { $_.failure }).Count
            [int]$suite.errors | Should -Be @($mine | Where-Object { $_.error }).Count
            [int]$suite.skipped | Should -Be @($mine | Where-Object { $_.skipped }).Count
            @($mine | Where-Object name -NE '[package]').Count | Should -Be @($own | Where-Object Kind -NE 'Package').Count
            @($mine | Where-Object { $_.failure -and $_.name -ne '[package]' }).Count | Should -Be @($own | Where-Object { $_.Failed -and $_.Kind -ne 'Package' }).Count
        }
        $leaf = $cases | Where-Object name -EQ 'TestNested/child_bad/leaf_bad'
        $leaf.failure.'#text' | Should -Match 'grandchild failed'
        ($cases | Where-Object { $_.classname -eq "$script:module/broken" }).error.type | Should -Be 'build failed'
    }

    It '-PassThru passes the rows on as they come and still writes the report' {
        $path = Join-Path $script:out 'passthru.xml'
        $failed = @($script:rows | Export-DfVmTestReport -Path $path -PassThru -Confirm:$false | Where-Object Failed)
        $failed.Count | Should -Be 11
        ([xml](Get-Content $path -Raw)).testsuites.tests | Should -Be '20'
    }

    It '-WhatIf writes nothing and outputs nothing' {
        $path = Join-Path $script:out 'whatif.xml'
        $out = $script:rows | Export-DfVmTestReport -Path $path -WhatIf
        $out | Should -BeNullOrEmpty
        Test-Path $path | Should -BeFalse
    }

    It 'replaces an existing report whole, leaving no temporary file' {
        $path = Join-Path $script:out 'replace.xml'
        Set-Content $path 'old'
        $script:rows | Where-Object Package -Like '*/rootonly' | Export-DfVmTestReport $path -Confirm:$false | Out-Null
        [int]([xml](Get-Content $path -Raw)).testsuites.tests | Should -Be 1
        Get-ChildItem $script:out -Force | Where-Object Name -Like '.*' | Should -BeNullOrEmpty
    }

    It 'an empty pipeline gives an empty but valid report' {
        $path = Join-Path $script:out 'empty.xml'
        @() | Export-DfVmTestReport -Path $path -Confirm:$false | Out-Null
        [int]([xml](Get-Content $path -Raw)).testsuites.tests | Should -Be 0   # CI still gets a report when nothing ran
        Remove-Item $path
        Export-DfVmTestReport -Path $path -InputObject $null -Confirm:$false | Out-Null
        [int]([xml](Get-Content $path -Raw)).testsuites.failures | Should -Be 0
    }
}

Describe 'Invoke-DfVmTest without a VM' -Tag Unit {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:project = New-TestProject -VmName nothere -ExtraConfig "    Suites = @{ Fixture = @{ Command = 'go test -json ./...' }; Fast = @{ Command = 'go test -json -short ./...' }; Both = @{ Include = 'Fixture', 'Fast' } }"
        Push-Location $script:project
    }
    AfterAll { Pop-Location; Remove-TestProject -Path $script:project }

    It 'an unknown suite is SuiteNotFound, naming the suites there are' {
        $e = { Invoke-DfVmTest -Suite Nope -ErrorAction Stop } | Should -Throw -ErrorId 'SuiteNotFound,DfVm.PowerShell.Commands.InvokeDfVmTestCommand' -PassThru
        $e.Exception.Message | Should -Match 'Both, Fast, Fixture'
        $e.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'a VM that does not exist is VmNotFound' {
        { Invoke-DfVmTest -Suite Fixture -ErrorAction Stop } | Should -Throw -ErrorId 'VmNotFound,DfVm.PowerShell.Commands.InvokeDfVmTestCommand'
    }

    It 'completes suite names from the config on Tab' {
        $r = TabExpansion2 -inputScript 'Invoke-DfVmTest -Suite F' -cursorColumn 24
        $r.CompletionMatches.CompletionText | Should -Be @('Fast', 'Fixture')
        $r.CompletionMatches[1].ToolTip | Should -Be 'Fixture: go test -json ./...'
        (TabExpansion2 -inputScript 'Invoke-DfVmTest -Suite b' -cursorColumn 24).CompletionMatches.CompletionText | Should -Be @('Both')
    }

    It 'completes the default suites where there is no config, and from -Path' {
        $empty = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-noconfig-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        $sub = New-Item -ItemType Directory (Join-Path $empty 'sub')
        Set-Content (Join-Path $empty 'DfVm.config.psd1') "@{ Suites = @{ Mine = @{ Command = 'go test -json .' } } }"
        $line = "Invoke-DfVmTest -Path '$($sub.FullName)' -Suite "
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('Mine')
        Remove-Item (Join-Path $empty 'DfVm.config.psd1')
        Push-Location $sub
        try { $r = TabExpansion2 -inputScript 'Invoke-DfVmTest -Suite ' -cursorColumn 23 } finally { Pop-Location; Remove-Item $empty -Recurse -Force }
        $r.CompletionMatches.CompletionText | Should -Be @('All', 'E2E', 'Integration', 'Phase4', 'Unit')
    }
}

Describe 'Invoke-DfVmTest and Build-DfVmProject in the test guest' -Tag Integration {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $config = @'
    GuestProjectPath = '/root/fixture'
    BuildCommand = 'go vet ./pass/ && echo built-ok'
    Suites = @{
        Fixture = @{ Command = 'GOFLAGS=-count=1 GOPROXY=off go test -json ./...' }
        Slow    = @{ Command = 'cd slowmod && GOFLAGS=-count=1 GOPROXY=off go test -json ./...' }
    }
'@
        $script:project = New-TestProject -VmName gotest -ExtraConfig $config
        # the fixture module, and beside it (its own module, so ./... of the fixture leaves it out) a test that sleeps
        foreach ($file in Get-ChildItem $script:fixture -Recurse -File -Include '*.go', 'go.mod') {
            $rel = [IO.Path]::GetRelativePath($script:fixture, $file.FullName)
            $dest = Join-Path $script:project $rel
            New-Item -ItemType Directory -Force (Split-Path $dest) | Out-Null
            Copy-Item $file.FullName $dest
        }
        New-Item -ItemType Directory (Join-Path $script:project 'slowmod/slow') | Out-Null
        Set-Content (Join-Path $script:project 'slowmod/go.mod') "module example.com/slowmod`n`ngo 1.19"
        Set-Content (Join-Path $script:project 'slowmod/slow/slow_test.go') @'
package slow

import (
	"testing"
	"time"
)

func TestQuick(t *testing.T) { t.Log("quick") }

func TestSleep(t *testing.T) { time.Sleep(300 * time.Second) }
'@
        function Send-Project {
            $r = Sync-DfVmProject -Name gotest -Confirm:$false
            $r.Destination | Should -Be '/root/fixture'
        }
        function Get-GoProcesses {
            # go test, the go tool's children and test binaries still alive in the guest
            (Invoke-DfVmCommand -Name gotest -Command 'ps -axww -o command | grep -E "[g]o test|[s]low\.test|[g]o-build" || true').Output
        }
        Push-Location $script:project
        New-TestGuestVm -Name gotest -MemoryMB 1024 | Out-Null
        Start-TestGuestVm -Name gotest -Timeout 240
        Send-Project
    }
    AfterAll {
        Pop-Location
        Remove-TestProject -Path $script:project
    }

    It 'runs the Fixture suite: every row exact, the root-only test passes as root, rows stream as tests end' {
        $arrivals = [Collections.Generic.List[datetime]]::new()
        $start = Get-Date
        $rows = @(Invoke-DfVmTest -Suite Fixture | ForEach-Object { $arrivals.Add((Get-Date)); $_ })
        $end = Get-Date
        Write-Host "Fixture suite in the guest: $([int]($end - $start).TotalSeconds) s, first row after $([int]($arrivals[0] - $start).TotalSeconds) s"
        Assert-FixtureRows $rows -Suite Fixture -RootOnlyPasses
        (Get-Row $rows rootonly TestRequiresRoot).Output | Should -Match 'running as root'
        (Get-Row $rows broken).Output | Should -Match 'cannot use Answer\(\)'
        ($end - $arrivals[0]).TotalSeconds | Should -BeGreaterThan 1 -Because 'the first rows come while go still compiles and runs the rest'
    }

    It '-Path names the project from anywhere, and -Name wildcards match that project''s VMs' {
        # From a folder that is no project at all: the VM, its suite and the wildcard all come from -Path.
        Push-Location ([IO.Path]::GetTempPath())
        try { $rows = @(Invoke-DfVmTest -Path $script:project -Name 'gotes*' -Suite Fixture -Run '^TestNested$/child_bad' -Package ./pass) }
        finally { Pop-Location }
        $rows.Count | Should -Be 5
        $rows | ForEach-Object { $_.VmName | Should -Be 'gotest' }
    }

    It '-Run and -Package narrow the suite, and the test rows come back exact' {
        $rows = @(Invoke-DfVmTest -Suite Fixture -Run '^TestNested$/child_bad' -Package ./pass)
        ($rows | ForEach-Object { "$($_.Test)|$($_.Result)" }) | Should -Be @(
            'TestNested/child_bad/leaf_ok|Passed', 'TestNested/child_bad/leaf_bad|Failed', 'TestNested/child_bad|Failed', 'TestNested|Failed', '|Failed')
        $rows | ForEach-Object { $_.Package | Should -Be "$script:module/pass" }
    }

    It 'Select-Object -First 1 returns the first row at once and ends go test in the guest' {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $first = Invoke-DfVmTest -Suite Slow | Select-Object -First 1
        $watch.Stop()
        $first.Test | Should -Be 'TestQuick'
        $first.Passed | Should -BeTrue
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 200 -Because 'TestSleep sleeps 300 s'
        Wait-Until -Seconds 20 { -not (Get-GoProcesses) } | Out-Null
        Get-GoProcesses | Should -BeNullOrEmpty
    }

    It 'Ctrl+C (StopProcessing) ends go test and the test binary in the guest' {
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$env:DFVM_MODULE_PATH'; Set-Location '$($script:project)'; Invoke-DfVmTest -Suite Slow")
        $async = $ps.BeginInvoke()
        $seen = Wait-Until -Seconds 180 -IntervalMs 1000 { [int](Invoke-DfVmCommand -Name gotest -Command 'ps -axww -o command | grep -c "[s]low\.test"').Output -ge 1 }
        $seen | Should -BeTrue -Because 'the test binary was running'
        $ps.Stop()
        $ps.Dispose()
        Wait-Until -Seconds 20 { -not (Get-GoProcesses) } | Out-Null
        Get-GoProcesses | Should -BeNullOrEmpty
    }

    It 'the edit loop with -Sync: a test broken on the host fails in the guest, fixed it passes' {
        $source = Join-Path $script:project 'pass/pass.go'
        $good = Get-Content $source -Raw
        try {
            Set-Content $source $good.Replace('return a + b', 'return a - b') -NoNewline
            $broken = @(Invoke-DfVmTest -Suite Fixture -Sync -Package ./pass -Run '^TestAdd$' -Verbose 4>&1)
            $synced = @($broken | Where-Object { $_ -is [Management.Automation.VerboseRecord] -and $_.Message -like 'Synced *' })
            $synced.Count | Should -Be 1
            $synced[0].Message | Should -Match ': 1 file\(s\) sent, 0 deleted'
            $rows = @($broken | Where-Object { $_ -isnot [Management.Automation.VerboseRecord] })
            ($rows | ForEach-Object { "$($_.Test)|$($_.Result)" }) | Should -Be @('TestAdd|Failed', '|Failed')
            $rows[0].Output | Should -Match 'Add is broken'
        }
        finally { Set-Content $source $good -NoNewline }
        $fixed = @(Invoke-DfVmTest -Suite Fixture -Sync -Package ./pass -Run '^TestAdd$')
        ($fixed | ForEach-Object { "$($_.Test)|$($_.Result)" }) | Should -Be @('TestAdd|Passed', '|Passed')
    }

    It '-Sync: the sync''s progress shows nested under the test run''s activity, which is shown first and completed last' {
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$((Get-Module DfVm).Path)'; Set-Location '$($script:project)'; Invoke-DfVmTest -Suite Fixture -Sync -Package ./pass -Run '^TestAdd$'")
        try {
            $rows = @($ps.Invoke())
            $ps.Streams.Error | Should -BeNullOrEmpty
            $records = @($ps.Streams.Progress)
        }
        finally { $ps.Dispose() }
        ($rows | ForEach-Object { "$($_.Test)|$($_.Result)" }) | Should -Be @('TestAdd|Passed', '|Passed')
        $run = @($records | Where-Object ActivityId -EQ 71)
        $sync = @($records | Where-Object ActivityId -EQ 43)
        $sync.Count | Should -BeGreaterThan 0
        $sync | ForEach-Object { $_.ParentActivityId | Should -Be 71 }
        $run | ForEach-Object { $_.ParentActivityId | Should -Be -1 }
        [array]::IndexOf($records, $run[0]) | Should -BeLessThan ([array]::IndexOf($records, $sync[0])) -Because 'the parent is there when its child appears'
        $sync[-1].RecordType | Should -Be 'Completed'
        $run[-1].RecordType | Should -Be 'Completed'
        [array]::IndexOf($records, $run[-1]) | Should -Be ($records.Count - 1)
    }

    It 'pipes into Export-DfVmTestReport for CI' {
        $xml = Join-Path $script:project 'junit.xml'
        $file = Invoke-DfVmTest -Suite Fixture -Package ./exits, ./rootonly | Export-DfVmTestReport -Path $xml -Confirm:$false
        $file.FullName | Should -Be $xml
        [xml] $x = Get-Content $xml -Raw
        [int]$x.testsuites.tests | Should -Be 4      # TestBeforeExit, TestExits, [package] of exits, TestRequiresRoot
        [int]$x.testsuites.failures | Should -Be 2
    }

    It 'a project missing in the guest is GuestProjectNotFound' {
        Invoke-DfVmCommand -Name gotest -Command 'mv /root/fixture /root/fixture.away' | Out-Null
        try {
            { Invoke-DfVmTest -Suite Fixture -ErrorAction Stop } | Should -Throw -ErrorId 'GuestProjectNotFound,DfVm.PowerShell.Commands.InvokeDfVmTestCommand'
        }
        finally { Invoke-DfVmCommand -Name gotest -Command 'mv /root/fixture.away /root/fixture' | Out-Null }
    }

    It 'Build-DfVmProject runs BuildCommand in the guest project, lines on the verbose stream' {
        $r = Build-DfVmProject -Verbose 4>&1
        $result = @($r | Where-Object { $_ -isnot [Management.Automation.VerboseRecord] })
        $verbose = @($r | Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message)
        $result.Count | Should -Be 1
        $result[0].ExitCode | Should -Be 0
        $result[0].Output | Should -Be 'built-ok'
        $result[0].Command | Should -Be "cd '/root/fixture' && go vet ./pass/ && echo built-ok"
        $verbose | Should -Contain 'built-ok'
    }

    It 'Build-DfVmProject -Command runs that instead, in the same folder' {
        $r = Build-DfVmProject 'pwd; echo to-stderr >&2' -Name gotest
        $r.ExitCode | Should -Be 0
        $r.Output | Should -Be '/root/fixture'
        $r.Error | Should -Be 'to-stderr'
    }

    It 'Build-DfVmProject returns a failed build as data' {
        $cfg = Join-Path $script:project 'DfVm.config.psd1'
        $text = Get-Content $cfg -Raw
        try {
            Set-Content $cfg $text.Replace("'go vet ./pass/ && echo built-ok'", "'go vet ./broken/'")
            $r = Build-DfVmProject -Name gotest
            $r.ExitCode | Should -Not -Be 0
            $r.Succeeded | Should -BeFalse
            $r.Error | Should -Match 'cannot use Answer\(\)'
        }
        finally { Set-Content $cfg $text -NoNewline }
    }
}
