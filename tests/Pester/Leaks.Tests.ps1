# Invoke-DfVmTest's leak check (issue 23): what each test binary left in the guest, on its package row.
# Unit: the config keys and the parameters. No VM.
# Integration: one Linux test guest VM for the file, the fixture module tests/fixtures/leaks (a test that leaves
# a tmpfs, one that leaves a sleep, one that cleans up, one that unmounts and kills what it did not make, one
# that forges a record), guest and host builds alike. Each test ends the processes the fixture left by pid.

Describe 'Leak check settings' -Tag Unit {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:dir = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-leakcfg-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    }
    AfterAll { Remove-Item $script:dir -Recurse -Force -ErrorAction SilentlyContinue }

    It 'LeakCheck is on and FailOnLeak off by default, in the template, and both are read from the config' {
        $cfg = New-DfVmConfig -Path $script:dir -Confirm:$false
        $cfg.LeakCheck | Should -BeTrue
        $cfg.FailOnLeak | Should -BeFalse
        Get-Content (Join-Path $script:dir 'DfVm.config.psd1') -Raw | Should -Match 'LeakCheck\s+= \$true'
        Set-Content (Join-Path $script:dir 'DfVm.config.psd1') '@{ LeakCheck = $false; FailOnLeak = $true }'
        $read = Get-DfVmConfig -Path $script:dir
        $read.LeakCheck | Should -BeFalse
        $read.FailOnLeak | Should -BeTrue
    }

    It 'Invoke-DfVmTest has -NoLeakCheck, -FailOnLeak and -CleanLeaks, and the row type the leak properties' {
        $p = (Get-Command Invoke-DfVmTest).Parameters
        foreach ($n in 'NoLeakCheck', 'FailOnLeak', 'CleanLeaks') { $p[$n].SwitchParameter | Should -BeTrue }
        foreach ($n in 'Leak', 'Leaked', 'LeftMounts', 'RemovedMounts', 'LeftProcesses', 'EndedProcesses') {
            [DfVm.DfVmTestResult].GetProperty($n) | Should -Not -BeNullOrEmpty
        }
    }
}

Describe 'What a test binary left in the test guest' -Tag Integration {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $fixture = (Resolve-Path (Join-Path $PSScriptRoot '../fixtures/leaks')).Path
        $script:module = 'example.com/dfvmleaks'
        $script:project = New-TestProject -VmName leaks -ExtraConfig @'
    GuestProjectPath = '/root/leaks'
    Suites = @{
        Leaks  = @{ Command = 'GOFLAGS=-count=1 GOPROXY=off go test -json ./...'; Elevate = $true }
        Cached = @{ Command = 'GOPROXY=off go test -json ./tidy'; Elevate = $true }
    }
'@
        Copy-Item (Join-Path $fixture '*') $script:project -Recurse
        Push-Location $script:project
        New-TestGuestVm -Name leaks | Out-Null
        Start-TestGuestVm -Name leaks -Timeout 900
        Sync-DfVmProject -Name leaks -Confirm:$false | Out-Null

        function Invoke-Guest([string] $Command) { (Invoke-DfVmCommand -Name leaks -Command $Command).Output }
        function Get-MountTable { @(Invoke-Guest 'mount' -split "`n" | Where-Object { $_ } | Sort-Object) }
        function Set-Stage {
            # what the unmounter package undoes: a tmpfs and a sleep (parent init) it did not make
            Invoke-Guest 'mkdir -p /tmp/dfvm-leak-fixture-premount && mount -t tmpfs tmpfs /tmp/dfvm-leak-fixture-premount && sh -c "sleep 600 >/dev/null 2>&1 & echo \$! >/tmp/dfvm-leak-fixture-victim.pid"' | Out-Null
        }
        function Reset-Guest($Rows) {
            # ends the processes the fixture left, by the pids its rows name, and unmounts what it left
            foreach ($p in @($Rows | ForEach-Object { $_.LeftProcesses } | Where-Object { $_ })) { Invoke-Guest "kill -KILL $($p.ProcessId) 2>/dev/null; true" | Out-Null }
            Invoke-Guest 'umount /tmp/dfvm-leak-fixture-mount 2>/dev/null; umount /tmp/dfvm-leak-fixture-premount 2>/dev/null; true' | Out-Null
        }
        function Get-Package($Rows, [string] $Name) {
            $r = @($Rows | Where-Object { $_.Kind -eq 'Package' -and $_.Package -eq "$script:module/$Name" })
            $r.Count | Should -Be 1 -Because "one package row for $Name"
            $r[0]
        }
    }
    AfterAll {
        Pop-Location
        Remove-TestProject -Path $script:project
    }

    It 'reports a left tmpfs, a left sleep, nothing for a tidy test, and the unmount and kill of others (-BuildOn <BuildOn>)' -ForEach @(
        @{ BuildOn = 'Guest' }, @{ BuildOn = 'Host' }
    ) {
        Set-Stage
        $rows = @()
        try {
            $rows = @(Invoke-DfVmTest Leaks -Name leaks -BuildOn $BuildOn -InformationVariable info -Package ./leakmount, ./leakproc, ./tidy, ./unmounter)
            $mount = Get-Package $rows leakmount
            $mount.Leaked | Should -BeTrue
            $mount.Passed | Should -BeTrue -Because 'a leak is not a failure by default'
            $m = @($mount.LeftMounts)
            $m.Count | Should -Be 1
            $m[0].MountPoint | Should -Be '/tmp/dfvm-leak-fixture-mount'
            $m[0].Type | Should -Be 'tmpfs'
            $m[0].GetType().FullName | Should -Be 'DfVm.DfVmMount'
            @($mount.LeftProcesses).Count | Should -Be 0

            $proc = Get-Package $rows leakproc
            $p = @($proc.LeftProcesses)
            $p.Count | Should -Be 1
            $p[0].Command | Should -Be 'sleep 313'
            ($rows | Where-Object Test -EQ 'TestLeavesProcess').Output | Should -Match "pid $($p[0].ProcessId)\b" -Because 'the test says which pid it started'
            $p[0].ParentProcessId | Should -Be 1
            @($proc.LeftMounts).Count | Should -Be 0

            $tidy = Get-Package $rows tidy
            $tidy.Leaked | Should -BeFalse
            $tidy.Leak | Should -Not -BeNullOrEmpty -Because 'it was checked'

            $undo = Get-Package $rows unmounter
            @($undo.RemovedMounts).MountPoint | Should -Be '/tmp/dfvm-leak-fixture-premount'
            @($undo.EndedProcesses).Command | Should -Be 'sleep 600'
            @($undo.LeftMounts).Count | Should -Be 0

            ($rows | Where-Object Kind -EQ 'Package' | Where-Object Leaked).Count | Should -Be 3
            "$info" | Should -Match '3 packages leaked'
            @($rows | ForEach-Object Output) -join "`n" | Should -Not -MatchExactly 'DFVM-LEAK'
            $files = Invoke-Guest 'ls -a /var/tmp'
            $files | Should -Not -Match '\.dfvm-leak-[0-9a-f]+\.' -Because 'the run removes its own guest files (lock, last record)'
            $files | Should -Match '\.dfvm-leakcheck-[0-9a-f]{16}\.sh' -Because 'the script stays: its path is in the -exec text, which go test keys cached results on'
        }
        finally { Reset-Guest $rows }
    }

    It '-CleanLeaks leaves the mount table as it was and ends the left process (-BuildOn <BuildOn>)' -ForEach @(
        @{ BuildOn = 'Guest' }, @{ BuildOn = 'Host' }
    ) {
        $before = Get-MountTable
        $rows = @()
        try {
            $rows = @(Invoke-DfVmTest Leaks -Name leaks -BuildOn $BuildOn -CleanLeaks -Package ./leakmount, ./leakproc, ./tidy)
            (Get-Package $rows leakmount).Leak.CleanFailures | Should -Be 0
            @((Get-Package $rows leakmount).LeftMounts).Count | Should -Be 1 -Because 'the row still reports what was left'
            $left = @((Get-Package $rows leakproc).LeftProcesses)[0].ProcessId
            Get-MountTable | Should -Be $before
            Invoke-Guest "ps -ax -o pid= | grep -w $left || echo gone" | Should -Match 'gone'
        }
        finally { Reset-Guest $rows }
    }

    It '-FailOnLeak makes a leaked package Failed (Reason leaked), and -CI stops on it' {
        # -CI's TestsFailed is terminating (what a CI step fails on): the rows come first, through the pipeline.
        $rows = [System.Collections.Generic.List[object]]::new()
        try {
            $e = $null
            try {
                Invoke-DfVmTest Leaks -Name leaks -Package ./leakmount -FailOnLeak -CleanLeaks -CI -InformationAction SilentlyContinue |
                    ForEach-Object { $rows.Add($_) }
            }
            catch { $e = $_ }
            $e.FullyQualifiedErrorId | Should -Be 'TestsFailed,DfVm.PowerShell.Commands.InvokeDfVmTestCommand'
            $e.Exception.Message | Should -Match '1 package leaked'
            $pkg = Get-Package $rows leakmount
            $pkg.Failed | Should -BeTrue
            $pkg.Reason | Should -Be 'leaked'
            @($rows | Where-Object Kind -EQ 'Test' | Where-Object Failed).Count | Should -Be 0 -Because 'the test itself passed: only the leak fails the package'
        }
        finally { Reset-Guest $rows }
    }

    It '-NoLeakCheck runs without a record; the guest build keeps go test''s (cached) results under the check' {
        $rows = @(Invoke-DfVmTest Leaks -Name leaks -Package ./tidy -NoLeakCheck)
        (Get-Package $rows tidy).Leak | Should -BeNullOrEmpty
        Invoke-Guest 'cd /root/leaks && go clean -testcache' | Out-Null
        $first = Get-Package @(Invoke-DfVmTest Cached -Name leaks) tidy
        $first.Cached | Should -BeFalse -Because 'the test cache was just cleaned: this run ran the binary'
        $first.Leak | Should -Not -BeNullOrEmpty -Because 'the binary ran under the check'
        $again = Get-Package @(Invoke-DfVmTest Cached -Name leaks) tidy
        $again.Cached | Should -BeTrue -Because 'the -exec text is the same from run to run and the wrapper gives go test its test log'
        $again.Leak | Should -BeNullOrEmpty -Because 'a cached result ran no binary: nothing was checked'
        $again.Output | Should -Not -MatchExactly 'DFVM-LEAK' -Because 'the replayed record of the run that saved the result is dropped'
        $again.Passed | Should -BeTrue
    }

    It 'JUnit carries the leak as properties and system-out of the package' {
        $rows = @()
        try {
            $rows = @(Invoke-DfVmTest Leaks -Name leaks -Package ./leakmount)
            $path = Join-Path $script:project 'junit.xml'
            $rows | Export-DfVmTestReport -Path $path -Confirm:$false | Out-Null
            [xml] $x = Get-Content $path -Raw
            $suite = @($x.testsuites.testsuite | Where-Object name -Like '*leakmount')[0]
            ($suite.properties.property | Where-Object name -EQ 'leak.leftMounts').value | Should -Be '1'
            $suite.'system-out' | Should -Match 'left mounted: tmpfs tmpfs on /tmp/dfvm-leak-fixture-mount'
        }
        finally { Reset-Guest $rows }
    }

    It 'a forged record from a hostile test is refused: LeakRecordInvalid after the rows' {
        Invoke-Guest 'touch /tmp/dfvm-leak-forge' | Out-Null
        try {
            $err = $null
            $rows = @(Invoke-DfVmTest Leaks -Name leaks -Package ./forger -ErrorVariable err -ErrorAction SilentlyContinue)
            (Get-Package $rows forger).Leak | Should -BeNullOrEmpty
            $err[0].FullyQualifiedErrorId | Should -Be 'LeakRecordInvalid,DfVm.PowerShell.Commands.InvokeDfVmTestCommand'
            "$($err[0])" | Should -Match 'forger'
        }
        finally { Invoke-Guest 'rm -f /tmp/dfvm-leak-forge' | Out-Null }
    }

    It 'a guest where the script cannot be written: LeakCheckUnavailable, nothing run' {
        Invoke-Guest 'mount -t tmpfs -o ro tmpfs /var/tmp' | Out-Null
        try {
            { Invoke-DfVmTest Leaks -Name leaks -Package ./tidy -ErrorAction Stop } |
                Should -Throw -ErrorId 'LeakCheckUnavailable,DfVm.PowerShell.Commands.InvokeDfVmTestCommand'
        }
        finally { Invoke-Guest 'umount /var/tmp' | Out-Null }
    }
}
