# Issue 12 §5: `Get-ChildItem *.jsonl | ConvertFrom-GoTestJson` reads the files (FileInfo binds
# -LiteralPath by its PSPath), and -Path takes wildcards, as Select-String does.
Describe 'ConvertFrom-GoTestJson and files from the pipeline' -Tag Unit {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:dir = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-jsonl-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        New-Item -ItemType Directory $script:dir | Out-Null
        $recorded = (Resolve-Path (Join-Path $PSScriptRoot '../fixtures/gotest/recorded')).Path
        Copy-Item (Join-Path $recorded 'go1.19-all.jsonl'), (Join-Path $recorded 'go1.19-bench.jsonl') $script:dir
        Copy-Item (Join-Path $recorded 'go1.19-all.jsonl') (Join-Path $script:dir 'odd [1].jsonl')   # wildcard characters in a real name
        $script:all = @(Get-Content (Join-Path $recorded 'go1.19-all.jsonl') | ConvertFrom-GoTestJson).Count
        $script:bench = @(Get-Content (Join-Path $recorded 'go1.19-bench.jsonl') | ConvertFrom-GoTestJson).Count
        Push-Location $script:dir
    }
    AfterAll { Pop-Location; Remove-Item $script:dir -Recurse -Force }

    It 'Get-ChildItem | ConvertFrom-GoTestJson reads each file as its own stream' {
        $script:all | Should -BeGreaterThan 10
        $rows = @(Get-ChildItem go1.19-*.jsonl | ConvertFrom-GoTestJson)
        $rows.Count | Should -Be ($script:all + $script:bench)
        @($rows | Where-Object Kind -EQ Benchmark).Count | Should -BeGreaterThan 0
    }

    It '-Path expands wildcards; a pattern that matches nothing is FileNotFound' {
        @(ConvertFrom-GoTestJson -Path 'go1.19-*.jsonl').Count | Should -Be ($script:all + $script:bench)
        $err = $null
        ConvertFrom-GoTestJson -Path 'nomatch-*.jsonl' -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'FileNotFound,DfVm.PowerShell.Commands.ConvertFromGoTestJsonCommand'
    }

    It '-LiteralPath and piped files take brackets literally' {
        @(ConvertFrom-GoTestJson -LiteralPath 'odd [1].jsonl').Count | Should -Be $script:all
        @(Get-Item -LiteralPath 'odd [1].jsonl' | ConvertFrom-GoTestJson).Count | Should -Be $script:all
        @([pscustomobject]@{ PSPath = (Join-Path $script:dir 'odd [1].jsonl') } | ConvertFrom-GoTestJson).Count | Should -Be $script:all
    }

    It 'plain strings from the pipeline are still lines of a stream' {
        @(Get-Content go1.19-bench.jsonl | ConvertFrom-GoTestJson).Count | Should -Be $script:bench
    }
}
