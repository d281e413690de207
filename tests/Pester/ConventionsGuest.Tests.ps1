# Issue 12 on the Linux test guest, one VM for the whole file: -WhatIf (inherited and through a
# wrapper) for the cmdlets that need a running guest, the test summary, -CI, the VM and guest
# release on every row, -Suite All showing its suites, and docs/ci/run-tests.ps1 as CI runs it.

Describe 'PowerShell conventions on the test guest' -Tag Integration {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $config = @'
    GuestProjectPath = '/root/cimod'
    Suites = @{
        Green = @{ Command = 'GOFLAGS=-count=1 GOPROXY=off go test -json ./ok/' }
        Red   = @{ Command = 'GOFLAGS=-count=1 GOPROXY=off go test -json ./bad/' }
        All   = @{ Include = 'Green', 'Red' }
    }
'@
        $script:project = New-TestProject -VmName conv -ExtraConfig $config
        Set-Content (Join-Path $script:project 'go.mod') "module example.com/cimod`n`ngo 1.19"
        New-Item -ItemType Directory (Join-Path $script:project 'ok'), (Join-Path $script:project 'bad') | Out-Null
        Set-Content (Join-Path $script:project 'ok/ok_test.go') @'
package ok

import "testing"

func TestOK(t *testing.T)   { t.Log("fine") }
func TestSkip(t *testing.T) { t.Skip("not here") }
'@
        Set-Content (Join-Path $script:project 'bad/bad_test.go') @'
package bad

import "testing"

func TestGood(t *testing.T) {}
func TestBad(t *testing.T)  { t.Fatal("red on purpose") }
'@
        Push-Location $script:project
        New-TestGuestVm -Name conv | Out-Null
        Start-TestGuestVm -Name conv -Timeout 240
        Sync-DfVmProject | Out-Null
        $script:release = (Invoke-DfVmCommand 'uname -r').Output.Trim()
        Checkpoint-DfVm clean | Out-Null   # live: docs/ci/run-tests.ps1 restores it running, no boot
        function script:Invoke-Inherited { [CmdletBinding()] param([scriptblock] $Action) $WhatIfPreference = $true; & $Action }
        function script:Invoke-Wrapper { [CmdletBinding(SupportsShouldProcess)] param([scriptblock] $Action) & $Action }
    }
    AfterAll {
        Pop-Location
        Remove-TestProject -Path $script:project
    }

    It 'every row carries the VM and the release the guest reports; the summary line follows the run' {
        $info = $null
        $rows = @(Invoke-DfVmTest Green -CI -InformationVariable info)   # green: -CI ends normally
        $rows.Count | Should -Be 3
        $script:release | Should -Not -BeNullOrEmpty
        $rows | ForEach-Object { $_.VmName | Should -Be 'conv'; $_.DragonFlyVersion | Should -Be $script:release }
        @($info).Count | Should -Be 1
        "$($info[0])" | Should -Match '^2 tests: 1 passed, 0 failed, 1 skipped in 1 package, [0-9.]+ s$'
        $info[0].Tags | Should -Contain 'PSHOST'
    }

    It '-Suite All -CI: every row, the suite of each shown in the table, then TestsFailed' {
        $out = [System.Collections.Generic.List[object]]::new()
        $e = $null
        try { Invoke-DfVmTest All -CI -InformationAction SilentlyContinue | ForEach-Object { $out.Add($_) } } catch { $e = $_ }
        $e.FullyQualifiedErrorId | Should -Be 'TestsFailed,DfVm.PowerShell.Commands.InvokeDfVmTestCommand'
        $e.Exception.Message | Should -Match "Suite 'All' on conv: 1 test failed\. 4 tests: 2 passed, 1 failed, 1 skipped in 2 packages"
        $e.TargetObject | Should -Be 'conv'
        ($out | ForEach-Object { "$($_.Suite)|$($_.Test)|$($_.Result)" } | Sort-Object) | Should -Be @(
            'Green||Passed', 'Green|TestOK|Passed', 'Green|TestSkip|Skipped', 'Red||Failed', 'Red|TestBad|Failed', 'Red|TestGood|Passed')
        $table = $out | Out-String -Width 200
        $table | Should -Match '(?m)^Suite\s+Result'
        $table | Should -Match '(?m)^Red\s+Failed'
        $table | Should -Match "example.com/cimod/bad on conv \($([regex]::Escape($script:release))\)"
    }

    It '<How>: Stop-DfVm, Sync-DfVmProject -Full and Copy-DfVmItem -ToGuest under -WhatIf change nothing' -ForEach @(
        @{ How = 'inherited' }, @{ How = 'wrapper' }
    ) {
        Set-Content (Join-Path $script:project 'ok/new.txt') 'not yet'
        try {
            $action = { Stop-DfVm -Force; Sync-DfVmProject -Full | Out-Null; Copy-DfVmItem -ToGuest (Join-Path $script:project 'ok') -Destination /root/wi }
            if ($How -eq 'inherited') { Invoke-Inherited $action } else { Invoke-Wrapper $action -WhatIf }
            (Get-DfVm conv).State | Should -Be 'Running'
            (Invoke-DfVmCommand 'test -e /root/cimod/ok/new.txt && echo there || echo absent').Output | Should -Be 'absent'
            (Invoke-DfVmCommand 'test -e /root/wi && echo there || echo absent').Output | Should -Be 'absent'
        }
        finally { Remove-Item (Join-Path $script:project 'ok/new.txt') }
    }

    It 'Copy-DfVmItem -FromGuest: wildcards, folders recursively, modes and times kept (the fixture capture in one line)' {
        Invoke-DfVmCommand 'mkdir -p /root/fx/sub && printf a > /root/fx/a.json && printf bb > /root/fx/b.json && printf c > /root/fx/sub/c.json && printf n > /root/fx/note.txt && chmod 640 /root/fx/a.json && chmod 750 /root/fx/sub && touch -t 202001020304.05 /root/fx/a.json /root/fx/sub/c.json' | Out-Null
        $dest = Join-Path $script:project 'stats/testdata/fixtures'
        Copy-DfVmItem -FromGuest '/root/fx/*.json' -Destination $dest -WhatIf
        Test-Path $dest | Should -BeFalse
        $items = Copy-DfVmItem -FromGuest '/root/fx/*.json' -Destination $dest
        ($items.Name | Sort-Object) | Should -Be @('a.json', 'b.json')
        $items | ForEach-Object { $_ | Should -BeOfType ([IO.FileInfo]) }
        Get-Content (Join-Path $dest 'b.json') -Raw | Should -Be 'bb'
        (& stat -c '%a' (Join-Path $dest 'a.json')) | Should -Be '640'
        $guestTime = [DateTimeOffset]::FromUnixTimeSeconds([long](Invoke-DfVmCommand 'stat -f %m /root/fx/a.json').Output).UtcDateTime
        (Get-Item (Join-Path $dest 'a.json')).LastWriteTimeUtc | Should -Be $guestTime
        Test-Path (Join-Path $dest 'note.txt') | Should -BeFalse
        $dir = Copy-DfVmItem -FromGuest /root/fx/sub -Destination $dest
        $dir | Should -BeOfType ([IO.DirectoryInfo])
        (& stat -c '%a' $dir.FullName) | Should -Be '750'
        Get-Content (Join-Path $dest 'sub/c.json') -Raw | Should -Be 'c'
        $err = $null
        $nowhere = Join-Path $script:project 'nowhere'
        Copy-DfVmItem -FromGuest '/root/nope/*.json' -Destination $nowhere -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'GuestPathNotFound,DfVm.PowerShell.Commands.CopyDfVmItemCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        Test-Path $nowhere | Should -BeFalse -Because 'nothing is made on the host when nothing matched'
    }

    It 'Copy-DfVmItem -ToGuest: a folder recursively, modes and times kept; a missing host path and a bad destination are errors' {
        $src = Join-Path $script:project 'up'
        New-Item -ItemType Directory (Join-Path $src 'deep') -Force | Out-Null
        $file = Join-Path $src 'deep/x.sh'
        Set-Content $file 'echo hi'
        & chmod 754 $file
        (Get-Item $file).LastWriteTimeUtc = [datetime]::new(2021, 3, 4, 5, 6, 7, [DateTimeKind]::Utc)
        Copy-DfVmItem -ToGuest $src -Destination /root/in | Should -BeNullOrEmpty
        (Invoke-DfVmCommand 'stat -f "%Lp %m" /root/in/up/deep/x.sh; cat /root/in/up/deep/x.sh').Output -split "`n" |
            Should -Be @("754 $([DateTimeOffset]::new(2021, 3, 4, 5, 6, 7, [TimeSpan]::Zero).ToUnixTimeSeconds())", 'echo hi')
        $err = $null
        Copy-DfVmItem -ToGuest (Join-Path $src 'missing') -Destination /root/in -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'HostPathNotFound,DfVm.PowerShell.Commands.CopyDfVmItemCommand'
        $err = $null
        Copy-DfVmItem -ToGuest $file -Destination /root/fx/a.json -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'CopyFailed,DfVm.PowerShell.Commands.CopyDfVmItemCommand'
        $err[0].TargetObject | Should -Be '/root/fx/a.json'
    }

    It 'Restart-DfVm -Force -NoWait boots the guest again; Wait-DfVm waits for its SSH login' {
        $old = Get-DfVm conv
        $bootId = (Invoke-DfVmCommand 'cat /proc/sys/kernel/random/boot_id').Output
        $r = Restart-DfVm -Force -NoWait -WarningAction SilentlyContinue
        $r.ProcessId | Should -Not -Be $old.ProcessId
        $r.Ready | Should -BeFalse
        $vm = Wait-DfVm -Timeout 240
        $vm.Ready | Should -BeTrue
        $vm.State | Should -Be 'Running'
        (Invoke-DfVmCommand 'cat /proc/sys/kernel/random/boot_id').Output | Should -Not -Be $bootId
    }

    It 'Wait-DfVm -For Stopped returns when the guest powers itself off' {
        Invoke-DfVmCommand '(sleep 2; poweroff) >/dev/null 2>&1 &' | Out-Null
        $vm = Wait-DfVm conv -For Stopped -Timeout 120
        $vm.State | Should -Be 'Stopped'
        $vm.ProcessId | Should -BeNullOrEmpty
    }

    It 'Set-DfVm refuses memory and CPUs while the live snapshot exists, and changes nothing' {
        $def = Join-Path $script:project 'vm/conv/instance.json'
        $before = Get-Content $def -Raw
        (Get-DfVmSnapshot clean).Live | Should -BeTrue
        $err = $null
        Set-DfVm -MemoryMB 768 -ErrorVariable err -ErrorAction SilentlyContinue
        Set-DfVm -Cpus 2 -ErrorVariable +err -ErrorAction SilentlyContinue   # the test project has 1
        $err.Count | Should -Be 2
        $err | ForEach-Object { $_.FullyQualifiedErrorId | Should -Be 'LiveSnapshotWouldNotLoad,DfVm.PowerShell.Commands.SetDfVmCommand' }
        $err[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        $err[0].TargetObject | Should -Be 'conv'
        # 'booted' first when Start-TestGuestVm restored the VM from the run's booted template.
        $err[0].Exception.Message | Should -Match "live snapshots \((booted, )?clean\)"
        Get-Content $def -Raw | Should -Be $before
    }

    It 'docs/ci/run-tests.ps1 under pwsh -File: the JUnit report of every suite, and exit code 1 on a red suite' {
        $script = (Resolve-Path (Join-Path $PSScriptRoot '../../docs/ci/run-tests.ps1')).Path
        $report = Join-Path $script:project 'junit.xml'
        $out = & pwsh -NoProfile -NonInteractive -File $script -Suite All -Module $env:DFVM_MODULE_PATH -Report $report 2>&1
        $LASTEXITCODE | Should -Be 1 -Because ($out | Out-String)
        ($out | Out-String) | Should -Match 'TestsFailed|1 test failed'
        [xml] $junit = Get-Content $report -Raw
        $junit.testsuites.tests | Should -Be 4
        $junit.testsuites.failures | Should -Be 1
        @($junit.testsuites.testsuite | ForEach-Object hostname | Sort-Object -Unique) | Should -Be 'conv'
        (Get-DfVm conv).State | Should -Be 'Stopped' -Because 'the script stops the VM whatever happened'
    }
}

Describe 'The CI examples call the tested script' -Tag Unit {
    It '<File> runs docs/ci/run-tests.ps1 with -Suite All and publishes junit.xml' -ForEach @(
        @{ File = 'github-actions.yml' }, @{ File = 'gitlab-ci.yml' }
    ) {
        $text = Get-Content (Join-Path $PSScriptRoot "../../docs/ci/$File") -Raw
        $text | Should -Match 'docs/ci/run-tests\.ps1" -Suite All|docs/ci/run-tests\.ps1 -Suite All'
        $text | Should -Match 'junit\.xml'
        $text | Should -Match 'kvm'
        $text | Should -Match 'vm/images'
        $text | Should -Match 'DRAGONFLY_VERSION'
    }
}
