# ConvertFrom-GoTestJson, Export-DfVmTestReport, Invoke-DfVmTest, Build-DfVmProject.
# Unit: the recorded go test -json streams of tests/fixtures/gotest, no VM.
# Integration: one Linux test guest VM for the whole file, the fixture module copied into it.

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
