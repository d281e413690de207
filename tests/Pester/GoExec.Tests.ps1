# The go test exec wrapper (dfvm-go-exec), Install-DfVmGoExec, Invoke-DfVmTest -BuildOn Host and -Watch.
# Unit: installing the wrapper, the BuildOn config key, the wrapper's own errors. No VM.
# Integration: one Linux test guest VM for the file; the Go fixture plus a testdata package and a
# slow module; real go test on this machine, real OpenSSH, real processes killed by pid.

Describe 'Install-DfVmGoExec and the BuildOn key' -Tag Unit {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:root = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-goexec-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        New-Item -ItemType Directory $script:root | Out-Null
        $script:shipped = Join-Path (Split-Path $env:DFVM_MODULE_PATH) 'goexec/dfvm-go-exec'
    }
    AfterAll { Remove-Item $script:root -Recurse -Force -ErrorAction SilentlyContinue }

    It 'installs dfvm-go-exec and go_dragonfly_amd64_exec, executable copies of the shipped wrapper' {
        $bin = Join-Path $script:root 'bin'
        $files = @(Install-DfVmGoExec -Destination $bin -WarningVariable w -WarningAction SilentlyContinue)
        ($files | ForEach-Object Name) | Should -Be @('dfvm-go-exec', 'go_dragonfly_amd64_exec')
        $files[0].GetType().FullName | Should -Be 'System.IO.FileInfo'
        foreach ($f in $files) {
            (Get-FileHash $f.FullName).Hash | Should -Be (Get-FileHash $script:shipped).Hash
            $f.UnixFileMode.ToString() | Should -Match 'UserExecute'
        }
        "$w" | Should -Match 'is not on PATH'
        # again: DfVm's own files are replaced; -GoOS/-GoArch name the cross wrapper
        $again = @(Install-DfVmGoExec -Destination $bin -GoOS linux -GoArch 386 -WarningAction SilentlyContinue)
        $again[1].Name | Should -Be 'go_linux_386_exec'
    }

    It 'writes nothing with -WhatIf, and no warning when the folder is on PATH' {
        $bin = Join-Path $script:root 'whatif'
        $old = $env:PATH
        try {
            $env:PATH = "$bin$([IO.Path]::PathSeparator)$old"
            Install-DfVmGoExec -Destination $bin -WhatIf -WarningVariable w
            Test-Path (Join-Path $bin 'dfvm-go-exec') | Should -BeFalse
            $w.Count | Should -Be 0
        }
        finally { $env:PATH = $old }
    }

    It 'never replaces a file DfVm did not write: GoExecDestinationOccupied, nothing written' {
        $bin = Join-Path $script:root 'occupied'
        New-Item -ItemType Directory $bin | Out-Null
        Set-Content (Join-Path $bin 'go_dragonfly_amd64_exec') "#!/bin/sh`necho mine"
        { Install-DfVmGoExec -Destination $bin -WarningAction SilentlyContinue } |
            Should -Throw -ErrorId 'GoExecDestinationOccupied,DfVm.PowerShell.Commands.InstallDfVmGoExecCommand'
        Get-Content (Join-Path $bin 'go_dragonfly_amd64_exec') -Raw | Should -Match 'echo mine'
        Test-Path (Join-Path $bin 'dfvm-go-exec') | Should -BeFalse
    }

    It 'refuses a GOOS that is not a plain word: GoExecTargetInvalid' {
        $err = { Install-DfVmGoExec -Destination (Join-Path $script:root 'bad') -GoOS '../x' } |
            Should -Throw -ErrorId 'GoExecTargetInvalid,DfVm.PowerShell.Commands.InstallDfVmGoExecCommand' -PassThru
        $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
    }

    It 'reads BuildOn from the config (Guest by default, in the template), and rejects other values' {
        $dir = Join-Path $script:root 'cfg'
        $cfg = New-DfVmConfig -Path $dir -Confirm:$false
        $cfg.BuildOn | Should -Be 'Guest'
        Get-Content (Join-Path $dir 'DfVm.config.psd1') -Raw | Should -Match "BuildOn\s+= 'Guest'"
        Set-Content (Join-Path $dir 'DfVm.config.psd1') "@{ BuildOn = 'host' }"
        (Get-DfVmConfig -Path $dir).BuildOn | Should -Be 'Host'
        Set-Content (Join-Path $dir 'DfVm.config.psd1') "@{ BuildOn = 'Cloud' }"
        $e = { Get-DfVmConfig -Path $dir -ErrorAction Stop } | Should -Throw -PassThru
        $e.FullyQualifiedErrorId | Should -Match '^ConfigInvalid'
        $e.Exception.Message | Should -Match "BuildOn must be 'Guest' or 'Host'"
    }

    It 'the wrapper is plain POSIX sh: shellcheck -s sh finds nothing' {
        $out = & shellcheck -s sh $script:shipped 2>&1
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
    }

    It 'the wrapper finds the VM name in a one-line config, from a package folder below the project' {
        $dir = Join-Path $script:root 'oneline'
        New-Item -ItemType Directory (Join-Path $dir 'pkg/sub') | Out-Null
        Set-Content (Join-Path $dir 'DfVm.config.psd1') "@{ MemoryMB = 512; VmName = 'oneliner'; VmDirectory = 'state' }"
        $out = & sh -c "cd '$dir/pkg/sub' && DFVM_PROJECT= DFVM_VM= '$($script:shipped)' /bin/true 2>&1; echo rc=`$?"
        $out | Should -Contain 'rc=2'
        "$out" | Should -Match "VM 'oneliner' does not exist in $([regex]::Escape("$dir/state"))"
    }

    It 'the wrapper outside a project says so and exits 2' {
        $dir = Join-Path $script:root 'noproject'
        New-Item -ItemType Directory $dir | Out-Null
        $out = & sh -c "cd '$dir' && DFVM_PROJECT= '$($script:shipped)' /bin/true 2>&1; echo rc=`$?"
        $out | Should -Contain 'rc=2'
        "$out" | Should -Match 'no DfVm.config.psd1'
    }
}

Describe 'go test through the exec wrapper, Invoke-DfVmTest -BuildOn Host and -Watch, in the test guest' -Tag Integration {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $fixture = (Resolve-Path (Join-Path $PSScriptRoot '../fixtures/gotest')).Path
        $script:module = 'example.com/dfvmfixture'
        $config = @'
    GuestProjectPath = '/root/goexec'
    Suites = @{
        Fixture = @{ Command = 'GOFLAGS=-count=1 GOPROXY=off go test -json ./...' }
        Slow    = @{ Command = 'cd slowmod && GOFLAGS=-count=1 GOPROXY=off go test -json ./...' }
    }
'@
        $script:project = New-TestProject -VmName goexec -ExtraConfig $config
        foreach ($file in Get-ChildItem $fixture -Recurse -File -Include '*.go', 'go.mod') {
            $dest = Join-Path $script:project ([IO.Path]::GetRelativePath($fixture, $file.FullName))
            New-Item -ItemType Directory -Force (Split-Path $dest) | Out-Null
            Copy-Item $file.FullName $dest
        }
        # a package that reads testdata/ relative to its folder, and one that imports it (for -Watch)
        New-Item -ItemType Directory (Join-Path $script:project 'tdata/testdata'), (Join-Path $script:project 'tuser') | Out-Null
        Set-Content (Join-Path $script:project 'tdata/testdata/hello.txt') 'hello from testdata'
        Set-Content (Join-Path $script:project 'tdata/tdata.go') "package tdata`n`nfunc Name() string { return `"tdata`" }"
        Set-Content (Join-Path $script:project 'tdata/tdata_test.go') @'
package tdata

import (
	"os"
	"strings"
	"testing"
)

func TestReadsTestdata(t *testing.T) {
	b, err := os.ReadFile("testdata/hello.txt")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("read %q as euid %d", strings.TrimSpace(string(b)), os.Geteuid())
}
'@
        Set-Content (Join-Path $script:project 'tuser/tuser_test.go') @'
package tuser

import (
	"testing"

	"example.com/dfvmfixture/tdata"
)

func TestUsesTdata(t *testing.T) { t.Log("uses " + tdata.Name()) }
'@
        # its own module (./... of the fixture leaves it out): a test that sleeps, and four that wait together
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
        foreach ($i in 1..4) {
            New-Item -ItemType Directory (Join-Path $script:project "slowmod/par$i") | Out-Null
            Set-Content (Join-Path $script:project "slowmod/par$i/par_test.go") @"
package par$i

import (
	"testing"
	"time"
)

func TestWait(t *testing.T) { time.Sleep(8 * time.Second) }
"@
        }
        $script:wrapper = Join-Path (Split-Path $env:DFVM_MODULE_PATH) 'goexec/dfvm-go-exec'
        # a private folder for the wrapper's control sockets, so each test knows which connections are its own
        $script:ctl = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-gx-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
        New-Item -ItemType Directory $script:ctl | Out-Null
        $env:XDG_RUNTIME_DIR = $script:ctl
        $env:DFVM_GOEXEC_PERSIST = '120'
        $script:sockets = Join-Path $script:ctl "dfvm-goexec-$(& id -u)"
        $script:log = Join-Path $script:ctl 'goexec.log'  # outside the project: -Watch would see it change
        $env:DFVM_GOEXEC_LOG = $script:log

        function Get-GuestTestProcesses([string] $Pattern = '\.test') {
            # test binaries (cached under ~/.cache/dfvm-goexec) and go test still alive in the guest
            $r = Invoke-DfVmCommand -Name goexec -Command "ps -o pid,args | grep -E '$Pattern' | grep -v grep || true"
            return @($r.Output -split "`n" | Where-Object { $_.Trim() })
        }
        function Wait-Until([scriptblock] $Condition, [int] $Seconds = 60) {
            $deadline = (Get-Date).AddSeconds($Seconds)
            while ((Get-Date) -lt $deadline) {
                $v = & $Condition
                if ($v) { return $v }
                Start-Sleep -Milliseconds 250
            }
            return $null
        }
        function Stop-Masters {
            # the shared SSH connections the wrappers of this file made: ended by their control socket
            Get-ChildItem $script:sockets -ErrorAction SilentlyContinue | Where-Object { -not $_.PSIsContainer -and $_.Name -notmatch '\.' } | ForEach-Object {
                & ssh -o ControlPath="$($_.FullName)" -O exit 127.0.0.1 2>$null
            }
        }
        function Get-EstablishedTo([int] $Port) {
            # host TCP connections (IPv4) in state ESTABLISHED whose remote end is the VM's forwarded port
            $hex = '{0:X4}' -f $Port
            return @(Get-Content /proc/net/tcp | Select-Object -Skip 1 | Where-Object {
                    $f = $_.Trim() -split '\s+'
                    $f[2] -like "*:$hex" -and $f[3] -eq '01'
                }).Count
        }
        function Invoke-Go([string] $Directory, [string[]] $Arguments, [hashtable] $Environment = @{}) {
            $psi = [Diagnostics.ProcessStartInfo]::new('go')
            foreach ($a in $Arguments) { $psi.ArgumentList.Add($a) }
            $psi.WorkingDirectory = $Directory
            $psi.RedirectStandardOutput = $true
            $psi.RedirectStandardError = $true
            $psi.Environment['CGO_ENABLED'] = '0'
            $psi.Environment['GOFLAGS'] = '-count=1'
            foreach ($k in $Environment.Keys) { $psi.Environment[$k] = $Environment[$k] }
            return [Diagnostics.Process]::Start($psi)
        }

        Push-Location $script:project
        New-TestGuestVm -Name goexec -MemoryMB 1024 | Out-Null
        Start-DfVm -Name goexec -Timeout 240 -WarningAction SilentlyContinue | Out-Null
        $script:port = (Get-DfVm -Name goexec).SshPort
        Sync-DfVmProject -Name goexec -Confirm:$false | Out-Null
    }
    AfterAll {
        Stop-Masters
        Pop-Location
        Remove-Item Env:XDG_RUNTIME_DIR, Env:DFVM_GOEXEC_PERSIST, Env:DFVM_GOEXEC_LOG -ErrorAction SilentlyContinue
        Remove-TestProject -Path $script:project
        Remove-Item $script:ctl -Recurse -Force -ErrorAction SilentlyContinue
    }

    It '-BuildOn Host gives the rows of a guest build of the fixture; root-only passes; testdata is read relative to the package' {
        $script:verbose = ''
        $rows = @(Invoke-DfVmTest -Suite Fixture -BuildOn Host -Verbose 4>&1 | ForEach-Object {
                if ($_ -is [Management.Automation.VerboseRecord]) { $script:verbose += "$_`n" } else { $_ } })
        $script:verbose | Should -Match 'BuildOn Host: go test runs here'
        # the reference: the real go test -json of the fixture as root (TestCommands.Tests.ps1 checks the guest build gives exactly these rows)
        $reference = @(ConvertFrom-GoTestJson -Path (Join-Path $fixture 'recorded/go1.19-all.jsonl') -Suite Fixture)
        $key = { "$($_.Suite)|$($_.Package)|$($_.Test)|$($_.Result)|$($_.Reason)" }
        $fixtureRows = @($rows | Where-Object { $_.Package -notmatch '/(tdata|tuser)$' })
        ($fixtureRows | ForEach-Object $key | Sort-Object) | Should -Be ($reference | ForEach-Object $key | Sort-Object)
        ($rows | Where-Object { $_.Package -eq "$script:module/rootonly" -and $_.Test }).Output | Should -Match 'running as root'
        ($rows | Where-Object { $_.Package -eq "$script:module/broken" }).Output | Should -Match 'cannot use Answer\(\)'
        $td = $rows | Where-Object { $_.Test -eq 'TestReadsTestdata' }
        $td.Passed | Should -BeTrue
        $td.Output | Should -Match 'read "hello from testdata" as euid 0'
        Get-Content $script:log | Should -Match '^sent [0-9a-f]{64} \d+$'
    }

    It 'an unchanged test binary is not sent again; an edited one is' {
        Remove-Item $script:log -ErrorAction SilentlyContinue
        $p = Invoke-Go (Join-Path $script:project 'tdata') @('test', '-exec', $script:wrapper, '.')
        $p.WaitForExit(120000) | Should -BeTrue
        $p.ExitCode | Should -Be 0 -Because $p.StandardError.ReadToEnd()
        $first = @(Get-Content $script:log)
        $first.Count | Should -Be 1
        $first[0] | Should -Match '^(cached|sent) [0-9a-f]{64}'   # cached when the -BuildOn Host run sent the same binary
        $hash = ($first[0] -split ' ')[1]
        $p = Invoke-Go (Join-Path $script:project 'tdata') @('test', '-exec', $script:wrapper, '.')
        $p.WaitForExit(120000) | Should -BeTrue
        (Get-Content $script:log)[1] | Should -Be "cached $hash"
        Add-Content (Join-Path $script:project 'tdata/tdata.go') "`nfunc Other() int { return 2 }"
        $p = Invoke-Go (Join-Path $script:project 'tdata') @('test', '-exec', $script:wrapper, '.')
        $p.WaitForExit(120000) | Should -BeTrue
        $p.ExitCode | Should -Be 0
        (Get-Content $script:log)[2] | Should -Match '^sent [0-9a-f]{64} \d+$'
        (Get-Content $script:log)[2] | Should -Not -Match $hash
    }

    It 'concurrent packages (go test -p 4) share one SSH connection' {
        Stop-Masters
        Wait-Until { -not (Get-ChildItem $script:sockets -ErrorAction SilentlyContinue) } 20 | Out-Null
        $before = Get-EstablishedTo $script:port
        $p = Invoke-Go (Join-Path $script:project 'slowmod') @('test', '-exec', $script:wrapper, '-p', '4', './par1', './par2', './par3', './par4')
        try {
            $running = Wait-Until { $g = Get-GuestTestProcesses 'par[0-9]\.test'; if ($g.Count -ge 4) { $g } } 120
            @($running).Count | Should -Be 4 -Because 'the four test binaries run at once in the guest'
            (Get-EstablishedTo $script:port) | Should -Be ($before + 1) -Because 'the four wrappers go through one shared connection'
            $p.WaitForExit(120000) | Should -BeTrue
            $p.ExitCode | Should -Be 0 -Because $p.StandardError.ReadToEnd()
            @($p.StandardOutput.ReadToEnd() -split "`n" | Where-Object { $_ -match '^ok\s' }).Count | Should -Be 4
        }
        finally { if (-not $p.HasExited) { $p.Kill() } }
    }

    It 'kill -9 of the wrapper (as go test ends it on its timeout) ends the test binary in the guest' {
        $p = Invoke-Go (Join-Path $script:project 'slowmod') @('test', '-exec', $script:wrapper, '-run', 'TestSleep', './slow')
        try {
            Wait-Until { Get-GuestTestProcesses 'slow\.test' } 120 | Should -Not -BeNullOrEmpty
            $wrapperPid = Wait-Until {
                Get-ChildItem /proc -Directory | Where-Object Name -Match '^\d+$' | Where-Object {
                    $cmd = Get-Content "/proc/$($_.Name)/cmdline" -Raw -ErrorAction SilentlyContinue
                    $cmd -and $cmd.Contains('dfvm-go-exec') -and $cmd.Contains('slow.test') -and
                        (Get-Content "/proc/$($_.Name)/stat" -Raw) -match "^\d+ \(.*?\) \w $($p.Id) "
                } | Select-Object -First 1 -ExpandProperty Name
            } 20
            $wrapperPid | Should -Not -BeNullOrEmpty
            & kill -9 $wrapperPid
            Wait-Until { -not (Get-GuestTestProcesses 'slow\.test') } 30 | Should -BeTrue -Because 'the guest side kills the binary when the channel closes'
            $p.WaitForExit(60000) | Should -BeTrue
            $p.ExitCode | Should -Not -Be 0
        }
        finally { if (-not $p.HasExited) { $p.Kill() } }
    }

    It '-BuildOn Host -Timeout: the test binary times out and nothing is left in the guest' {
        $rows = @(Invoke-DfVmTest -Suite Slow -BuildOn Host -Timeout 5)
        ($rows | Where-Object Test -EQ 'TestSleep').Reason | Should -Be 'timeout'
        ($rows | Where-Object Test -EQ 'TestQuick').Passed | Should -BeTrue
        Wait-Until { -not (Get-GuestTestProcesses 'slow\.test') } 20 | Should -BeTrue
    }

    It 'Ctrl+C (StopProcessing) during a -BuildOn Host run ends go test here and the binary in the guest' {
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$env:DFVM_MODULE_PATH'; Set-Location '$($script:project)'; Invoke-DfVmTest -Suite Slow -BuildOn Host -Run TestSleep")
        $async = $ps.BeginInvoke()
        try {
            Wait-Until { Get-GuestTestProcesses 'slow\.test' } 180 | Should -Not -BeNullOrEmpty
            $ps.Stop()
            Wait-Until { -not (Get-GuestTestProcesses 'slow\.test') } 30 | Should -BeTrue
            $hostLeft = Get-ChildItem /proc -Directory | Where-Object Name -Match '^\d+$' | Where-Object {
                $cmd = Get-Content "/proc/$($_.Name)/cmdline" -Raw -ErrorAction SilentlyContinue
                $cmd -and $cmd.Contains('dfvm-go-exec') -and $cmd.Contains('slow.test')
            }
            $hostLeft | Should -BeNullOrEmpty
        }
        finally { $ps.Dispose() }
    }

    It 'a changed host key is refused: nothing runs' {
        Stop-Masters
        $vmDir = (Get-DfVm -Name goexec).Path
        $known = Join-Path $vmDir 'known_hosts'
        $saved = Get-Content $known -Raw
        $keyFile = Join-Path $script:ctl 'otherkey'
        & ssh-keygen -q -t ed25519 -N '' -f $keyFile | Out-Null
        $other = (Get-Content "$keyFile.pub" -Raw).Trim() -split ' '
        try {
            Set-Content $known "dfvm-goexec $($other[0]) $($other[1])"
            Remove-Item $script:log -ErrorAction SilentlyContinue
            $p = Invoke-Go (Join-Path $script:project 'tdata') @('test', '-exec', $script:wrapper, '.')
            $p.WaitForExit(120000) | Should -BeTrue
            $out = $p.StandardOutput.ReadToEnd() + $p.StandardError.ReadToEnd()
            $p.ExitCode | Should -Not -Be 0
            $out | Should -Match 'does not match the one pinned'
            $out | Should -Match 'Reset-DfVmHostKey'
            Test-Path $script:log | Should -BeFalse -Because 'no binary was sent or run'
        }
        finally { Set-Content $known $saved -NoNewline }
    }

    It 'without go on PATH, -BuildOn Host warns and builds in the guest' {
        $old = $env:PATH
        Remove-Item $script:log -ErrorAction SilentlyContinue
        try {
            $env:PATH = Join-Path $script:ctl 'empty-path'
            $rows = @(Invoke-DfVmTest -Suite Fixture -BuildOn Host -Package ./tdata -WarningVariable w -WarningAction SilentlyContinue)
        }
        finally { $env:PATH = $old }
        "$w" | Should -Match "no 'go' on this machine's PATH"
        ($rows | Where-Object Test -EQ 'TestReadsTestdata').Passed | Should -BeTrue
        Test-Path $script:log | Should -BeFalse -Because 'the wrapper did not run'
    }

    It 'a package that needs cgo makes -BuildOn Host warn and build in the guest' {
        $cgo = Join-Path $script:project 'withcgo'
        New-Item -ItemType Directory $cgo | Out-Null
        Set-Content (Join-Path $cgo 'cgo.go') "package withcgo`n`n// int one(void) { return 1; }`nimport `"C`"`n`nfunc One() int { return int(C.one()) }"
        Remove-Item $script:log -ErrorAction SilentlyContinue
        try {
            $rows = @(Invoke-DfVmTest -Suite Fixture -BuildOn Host -Package ./tdata -WarningVariable w -WarningAction SilentlyContinue)
        }
        finally { Remove-Item $cgo -Recurse -Force }
        "$w" | Should -Match "$([regex]::Escape("$script:module/withcgo")) needs cgo"
        ($rows | Where-Object Test -EQ 'TestReadsTestdata').Passed | Should -BeTrue
        Test-Path $script:log | Should -BeFalse -Because 'the build stayed in the guest'
    }

    It 'go test picks go_dragonfly_amd64_exec from PATH by its name for a cross GOOS' {
        $bin = Join-Path $script:ctl 'bin'
        Install-DfVmGoExec -Destination $bin -WarningAction SilentlyContinue | Out-Null
        $dragonfly = @{ GOOS = 'dragonfly'; GOARCH = 'amd64'; PATH = "$bin$([IO.Path]::PathSeparator)$env:PATH" }
        $c = Invoke-Go (Join-Path $script:project 'rootonly') @('test', '-c', '-o', (Join-Path $script:ctl 'rootonly.dfly')) $dragonfly
        $c.WaitForExit(300000) | Should -BeTrue
        $c.ExitCode | Should -Be 0 -Because $c.StandardError.ReadToEnd()
        Remove-Item $script:log -ErrorAction SilentlyContinue
        $p = Invoke-Go (Join-Path $script:project 'rootonly') @('test', '.') $dragonfly
        $p.WaitForExit(300000) | Should -BeTrue
        $null = $p.StandardOutput.ReadToEnd()
        # the DragonFly binary reached the (Linux) guest through the wrapper, which go test found by its name
        $sent = @(Get-Content $script:log)
        $sent.Count | Should -Be 1
        $sent[0] | Should -Match '^sent [0-9a-f]{64} \d+$'
        $hash = ($sent[0] -split ' ')[1]
        [int](& grep -c '_rt0_amd64_dragonfly' (Join-Path $script:ctl 'rootonly.dfly')) | Should -BeGreaterThan 0 -Because 'go test -c built for DragonFly'
        $inGuest = Invoke-DfVmCommand -Name goexec -Command "grep -c '_rt0_amd64_dragonfly' ~/.cache/dfvm-goexec/$hash/rootonly.test"
        [int]$inGuest.Output | Should -BeGreaterThan 0 -Because 'the binary in the guest cache is the DragonFly build'
    }

    It '-Watch: a save runs the changed package and its importer again, until Ctrl+C' {
        Sync-DfVmProject -Name goexec -Confirm:$false | Out-Null
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$env:DFVM_MODULE_PATH'; Set-Location '$($script:project)'; Invoke-DfVmTest -Suite Fixture -BuildOn Host -Package ./tdata, ./tuser, ./pass -Watch")
        $out = [Management.Automation.PSDataCollection[psobject]]::new()
        $async = $ps.BeginInvoke([Management.Automation.PSDataCollection[psobject]]::new(), $out)
        try {
            # (enumerating an open PSDataCollection waits for it to close: read it by index)
            function Get-Rows([int] $From = 0) { for ($i = $From; $i -lt $out.Count; $i++) { $out[$i] } }
            Wait-Until { @(Get-Rows | Where-Object Test -EQ 'TestUsesTdata').Count -ge 1 -and @(Get-Rows | Where-Object { $_.Package -match '/pass$' -and -not $_.Test }).Count -ge 1 } 240 |
                Should -BeTrue -Because 'the first round runs the three packages'
            $firstRound = $out.Count
            Start-Sleep -Milliseconds 500  # the watcher starts after the first round's last row
            Set-Content (Join-Path $script:project 'tdata/testdata/hello.txt') 'edited testdata'
            $second = Wait-Until { $r = @(Get-Rows $firstRound); if (@($r | Where-Object { $_.Package -match '/(tdata|tuser)$' -and -not $_.Test }).Count -ge 2) { $r } } 180
            $second | Should -Not -BeNullOrEmpty
            ($second | Where-Object Test -EQ 'TestReadsTestdata').Output | Should -Match 'edited testdata'
            @($second | Where-Object { $_.Package -match '/pass$' }).Count | Should -Be 0 -Because 'pass does not import tdata'
            $ps.Stop()
            $async.IsCompleted | Should -BeTrue
            $firstRound | Should -BeGreaterThan 5
        }
        finally { $ps.Dispose() }
    }
}
