# Issue 12 §3 without a VM: test results that survive serialization into Export-DfVmTestReport, and
# -CI failing a run that did not complete. The rows are a recorded real `go test -json` stream
# (tests/fixtures/gotest/recorded); the runs in the guest are in ConventionsGuest.Tests.ps1.

Describe 'Test results survive serialization into Export-DfVmTestReport' -Tag Unit {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:project = New-TestProject -VmName ser
        Push-Location $script:project
        $script:jsonl = (Resolve-Path (Join-Path $PSScriptRoot '../fixtures/gotest/recorded/go1.19-all.jsonl')).Path
        $script:rows = @(ConvertFrom-GoTestJson -Path $script:jsonl -Suite Fixture)
        $script:live = Join-Path $script:project 'live.xml'
        $script:rows | Export-DfVmTestReport -Path $script:live | Out-Null
        function script:Report([string] $Name) { [IO.File]::ReadAllText((Join-Path $script:project $Name)) }
    }
    AfterAll { Pop-Location; Remove-TestProject -Path $script:project }

    It 'the recorded stream gives rows with failures, skips, reasons and start times' {
        $script:rows.Count | Should -Be 23
        @($script:rows | Where-Object Failed).Count | Should -BeGreaterThan 0
        @($script:rows | Where-Object StartTime).Count | Should -BeGreaterThan 0
        (Report live.xml) | Should -Match '<failure'
    }

    It 'Export-Clixml / Import-Clixml: the same report as the live objects' {
        $xml = Join-Path $script:project 'rows.xml'
        $script:rows | Export-Clixml $xml
        $back = Import-Clixml $xml
        $back[0].PSObject.TypeNames[0] | Should -Be 'Deserialized.DfVm.DfVmTestResult'
        $back | Export-DfVmTestReport -Path (Join-Path $script:project 'clixml.xml') | Out-Null
        Report clixml.xml | Should -BeExactly (Report live.xml)
    }

    It 'Start-Job / Receive-Job: the same report as the live objects' {
        $job = Start-Job -ScriptBlock {
            Import-Module $using:env:DFVM_MODULE_PATH
            ConvertFrom-GoTestJson -Path $using:jsonl -Suite Fixture
        }
        try {
            $job | Receive-Job -Wait | Export-DfVmTestReport -Path (Join-Path $script:project 'job.xml') | Out-Null
        }
        finally { $job | Remove-Job -Force }
        Report job.xml | Should -BeExactly (Report live.xml)
    }

    It 'ConvertTo-Json / ConvertFrom-Json: the same report as the live objects' {
        $json = $script:rows | ConvertTo-Json -Depth 3
        $json | ConvertFrom-Json | Export-DfVmTestReport -Path (Join-Path $script:project 'json.xml') | Out-Null
        Report json.xml | Should -BeExactly (Report live.xml)
    }

    It 'something that is not a test row is still a binding error' {
        { [pscustomobject]@{ Name = 'x' } | Export-DfVmTestReport -Path (Join-Path $script:project 'bad.xml') -ErrorAction Stop } |
            Should -Throw -ErrorId 'InputObjectNotBound,DfVm.PowerShell.Commands.ExportDfVmTestReportCommand'
    }
}

Describe 'Invoke-DfVmTest -CI when the run cannot complete' -Tag Unit {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:project = New-TestProject -VmName cold
        Push-Location $script:project
        New-DfVm -Name cold -DiskSizeGB 1 | Out-Null
    }
    AfterAll { Pop-Location; Remove-TestProject -Path $script:project }

    It 'a stopped VM: the VmNotRunning error, the summary says incomplete, then TestsFailed' {
        $err = $null
        $info = $null
        $e = $null
        try { Invoke-DfVmTest Unit -CI -ErrorVariable err -InformationVariable info -ErrorAction SilentlyContinue } catch { $e = $_ }
        $e.FullyQualifiedErrorId | Should -Be 'TestsFailed,DfVm.PowerShell.Commands.InvokeDfVmTestCommand'
        $err[0].FullyQualifiedErrorId | Should -Be 'VmNotRunning,DfVm.PowerShell.Commands.InvokeDfVmTestCommand'
        "$info" | Should -Match '^0 tests: 0 passed, 0 failed, 0 skipped in 0 packages, [0-9.]+ s \(incomplete: cold\)$'
    }

    It 'a VM that does not exist fails a -CI run too, with the VM as target' {
        $e = $null
        try { Invoke-DfVmTest Unit -Name nosuch -CI -ErrorAction SilentlyContinue -InformationAction SilentlyContinue } catch { $e = $_ }
        $e.FullyQualifiedErrorId | Should -Be 'TestsFailed,DfVm.PowerShell.Commands.InvokeDfVmTestCommand'
        $e.CategoryInfo.Category | Should -Be 'InvalidResult'
        $e.TargetObject | Should -Be 'nosuch'
        $e.Exception.Message | Should -Match 'did not complete on nosuch'
        $e.ErrorDetails.RecommendedAction | Should -Match 'Result is Failed'
    }

    It 'without -CI the same run writes its errors and the summary, and terminates nothing' {
        $err = $null
        $info = $null
        Invoke-DfVmTest Unit -ErrorVariable err -InformationVariable info -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        "$info" | Should -Match 'incomplete: cold'
    }
}
