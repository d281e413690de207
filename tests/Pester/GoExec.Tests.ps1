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

    It 'the wrapper reads VmName, VmDirectory and GuestProjectPath as the module does (comments, case, quotes, nesting)' {
        $configs = @(
            "@{`n    # VmName = 'old'`n    VmName = 'new'`n}",
            "@{`n    vmname = 'lower'`n    vmdirectory = 'st'`n}",
            "@{`n    <# VmName = 'blockcomment'`n    #>`n    VMNAME = `"dq`"`n}",
            "@{ Suites = @{ VmName = @{ Command = `"VmName = 'nested'`" } }; VmName = 'top' }",
            "@{`n    GuestProjectPath = '/root/it''s'`n    VmName = 'quoted' # VmName = 'trailing'`n}",
            "@{`n    MemoryMB = 512`n    Cpus = 1`n    SyncExclude = @('*.log')`n    VmName = 'afternumbers'`n    VmDirectory = 'vms'`n}"
        )
        $i = 0
        foreach ($text in $configs) {
            $dir = Join-Path $script:root "read$i"; $i++
            New-Item -ItemType Directory $dir | Out-Null
            Set-Content (Join-Path $dir 'DfVm.config.psd1') $text
            $cfg = Get-DfVmConfig -Path $dir
            $out = & sh -c "cd '$dir' && DFVM_PROJECT= DFVM_VM= '$($script:shipped)' /bin/true 2>&1; echo rc=`$?"
            $out | Should -Contain 'rc=2'
            $vmRoot = if ([IO.Path]::IsPathRooted($cfg.VmDirectory)) { $cfg.VmDirectory } else { Join-Path $dir $cfg.VmDirectory }
            "$out" | Should -BeLike "*VM '$($cfg.VmName)' does not exist in $vmRoot*" -Because "config: $text"
        }
    }

    It 'the wrapper refuses a VM name that is not a name' {
        $dir = Join-Path $script:root 'badname'
        New-Item -ItemType Directory $dir | Out-Null
        Set-Content (Join-Path $dir 'DfVm.config.psd1') "@{ VmName = 'a`$(touch x)' }"
        $out = & sh -c "cd '$dir' && DFVM_PROJECT= DFVM_VM= '$($script:shipped)' /bin/true 2>&1; echo rc=`$?"
        $out | Should -Contain 'rc=2'
        "$out" | Should -Match 'is not a VM name'
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
    BuildOn = 'Host'
    SyncExclude = @('*.log')
    Suites = @{
        Fixture = @{ Command = 'GOFLAGS=-count=1 GOPROXY=off go test -json ./...' }
        # ./slow only: the par packages' 8 s waits serve the go test -p 4 case, not the timeout and Ctrl+C cases.
        Slow    = @{ Command = 'cd slowmod && GOFLAGS=-count=1 GOPROXY=off go test -json ./slow' }
        Hostile = @{ Command = 'touch HOSTMARK; GOFLAGS=-count=1 GOPROXY=off go test -json ./tdata' }
    }
'@
        # a file this suite's sh text makes: it must appear in the guest, never on this machine
        $script:hostMark = '/tmp/dfvm-hostmark-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $config = $config.Replace('HOSTMARK', $script:hostMark)
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
        # a test that says how it starts: SIGINT and SIGQUIT must not be ignored (a child that must die on Ctrl+C)
        New-Item -ItemType Directory (Join-Path $script:project 'sigdisp') | Out-Null
        Set-Content (Join-Path $script:project 'sigdisp/sig_test.go') @'
package sigdisp

import (
	"os"
	"os/signal"
	"syscall"
	"testing"
)

func TestSignalDispositions(t *testing.T) {
	t.Logf("SIGINT ignored=%v SIGQUIT ignored=%v", signal.Ignored(os.Interrupt), signal.Ignored(syscall.SIGQUIT))
	if signal.Ignored(os.Interrupt) || signal.Ignored(syscall.SIGQUIT) {
		t.Fatal("the test binary started with SIGINT or SIGQUIT ignored")
	}
}
'@
        # a package whose test takes a while (for an edit made during -Watch's first run)
        New-Item -ItemType Directory (Join-Path $script:project 'wslow/testdata') | Out-Null
        Set-Content (Join-Path $script:project 'wslow/testdata/in.txt') 'first'
        Set-Content (Join-Path $script:project 'wslow/wslow_test.go') @'
package wslow

import (
	"os"
	"testing"
	"time"
)

func TestReadsAfterAWhile(t *testing.T) {
	time.Sleep(8 * time.Second)
	b, _ := os.ReadFile("testdata/in.txt")
	t.Logf("in.txt: %s", b)
}
'@
        Set-Content (Join-Path $script:project '.gitignore') "cover.out`n"
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
            $r = Invoke-DfVmCommand -Name goexec -Command "ps -axww -o pid,command | grep -E '$Pattern' | grep -v grep || true"
            return @($r.Output -split "`n" | Where-Object { $_.Trim() })
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
        Start-TestGuestVm -Name goexec -Timeout 600
        $script:port = (Get-DfVm -Name goexec).SshPort
        Sync-DfVmProject -Name goexec -Confirm:$false | Out-Null
    }
    AfterAll {
        Stop-Masters
        Pop-Location
        Remove-Item Env:XDG_RUNTIME_DIR, Env:DFVM_GOEXEC_PERSIST, Env:DFVM_GOEXEC_LOG -ErrorAction SilentlyContinue
        Remove-TestProject -Path $script:project
        Remove-Item $script:ctl -Recurse -Force -ErrorAction SilentlyContinue
        Remove-Item $script:hostMark -Force -ErrorAction SilentlyContinue
    }

    It '-BuildOn Host gives the rows of a guest build of the fixture; root-only passes; testdata is read relative to the package' {
        # the wrapper's lists of another VM/port pair: three days old (go at the first sweep) and fresh (stays)
        New-Item -ItemType Directory $script:sockets -Force | Out-Null
        & chmod 700 $script:sockets
        foreach ($f in 'old1.sent', 'old1.swept', 'new1.sent') { Set-Content (Join-Path $script:sockets $f) 'x' }
        foreach ($f in 'old1.sent', 'old1.swept') { (Get-Item (Join-Path $script:sockets $f)).LastWriteTime = (Get-Date).AddDays(-3) }
        $script:verbose = ''
        $rows = @(Invoke-DfVmTest -Suite Fixture -BuildOn Host -Verbose 4>&1 | ForEach-Object {
                if ($_ -is [Management.Automation.VerboseRecord]) { $script:verbose += "$_`n" } else { $_ } })
        $script:verbose | Should -Match 'BuildOn Host: go test runs here'
        # the reference: the real go test -json of the fixture as root (TestCommands.Tests.ps1 checks the guest build gives exactly these rows)
        $reference = @(ConvertFrom-GoTestJson -Path (Join-Path $fixture 'recorded/go1.19-all.jsonl') -Suite Fixture)
        $key = { "$($_.Suite)|$($_.Package)|$($_.Test)|$($_.Result)|$($_.Reason)" }
        $fixtureRows = @($rows | Where-Object { $_.Package -notmatch '/(tdata|tuser|sigdisp|wslow)$' })
        ($fixtureRows | ForEach-Object $key | Sort-Object) | Should -Be ($reference | ForEach-Object $key | Sort-Object)
        ($rows | Where-Object { $_.Package -eq "$script:module/rootonly" -and $_.Test }).Output | Should -Match 'running as root'
        ($rows | Where-Object { $_.Package -eq "$script:module/broken" }).Output | Should -Match 'cannot use Answer\(\)'
        $td = $rows | Where-Object { $_.Test -eq 'TestReadsTestdata' }
        $td.Passed | Should -BeTrue
        $td.Output | Should -Match 'read "hello from testdata" as euid 0'
        Get-Content $script:log | Should -Match '^sent [0-9a-f]{64} \d+$'
        @(Get-ChildItem $script:sockets -Filter 'old1.*').Count | Should -Be 0 -Because 'the sweep removes lists unused for two days'
        Test-Path (Join-Path $script:sockets 'new1.sent') | Should -BeTrue
        @(Get-ChildItem $script:sockets -Filter '*.sent' | Where-Object Name -NE 'new1.sent').Count | Should -Be 1 -Because 'this VM''s list stays'
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
        # each run's own folder (its link to the cached binary) is removed after the run, in the background
        Wait-Until { -not (Invoke-DfVmCommand -Name goexec -Command 'ls -A ~/.cache/dfvm-goexec/.run').Output } 30 -MaxIntervalMs 1000 | Should -BeTrue
    }

    It 'concurrent packages (go test -p 4) share one SSH connection' {
        Stop-Masters
        Wait-Until { -not (Get-ChildItem $script:sockets -ErrorAction SilentlyContinue | Where-Object { $_.Name -notmatch '\.' }) } 20 | Out-Null
        $before = Get-EstablishedTo $script:port
        $p = Invoke-Go (Join-Path $script:project 'slowmod') @('test', '-exec', $script:wrapper, '-p', '4', './par1', './par2', './par3', './par4')
        try {
            $running = Wait-Until { $g = Get-GuestTestProcesses 'par[0-9]\.test'; if ($g.Count -ge 4) { $g } } 120 -MaxIntervalMs 1000
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
            Wait-Until { Get-GuestTestProcesses 'slow\.test' } 120 -MaxIntervalMs 1000 | Should -Not -BeNullOrEmpty
            $wrapperPid = Wait-Until {
                Get-ChildItem /proc -Directory | Where-Object Name -Match '^\d+$' | Where-Object {
                    $cmd = Get-Content "/proc/$($_.Name)/cmdline" -Raw -ErrorAction SilentlyContinue
                    $cmd -and $cmd.Contains('dfvm-go-exec') -and $cmd.Contains('slow.test') -and
                        (Get-Content "/proc/$($_.Name)/stat" -Raw) -match "^\d+ \(.*?\) \w $($p.Id) "
                } | Select-Object -First 1 -ExpandProperty Name
            } 20
            $wrapperPid | Should -Not -BeNullOrEmpty
            & kill -9 $wrapperPid
            Wait-Until { -not (Get-GuestTestProcesses 'slow\.test') } 30 -MaxIntervalMs 1000 | Should -BeTrue -Because 'the guest side kills the binary when the channel closes'
            $p.WaitForExit(60000) | Should -BeTrue
            $p.ExitCode | Should -Not -Be 0
        }
        finally { if (-not $p.HasExited) { $p.Kill() } }
    }

    It '-BuildOn Host -Timeout: the test binary times out and nothing is left in the guest' {
        $rows = @(Invoke-DfVmTest -Suite Slow -BuildOn Host -Timeout 5)
        ($rows | Where-Object Test -EQ 'TestSleep').Reason | Should -Be 'timeout'
        ($rows | Where-Object Test -EQ 'TestQuick').Passed | Should -BeTrue
        Wait-Until { -not (Get-GuestTestProcesses 'slow\.test') } 20 -MaxIntervalMs 1000 | Should -BeTrue
    }

    It 'Ctrl+C (StopProcessing) during a -BuildOn Host run ends go test here and the binary in the guest' {
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$env:DFVM_MODULE_PATH'; Set-Location '$($script:project)'; Invoke-DfVmTest -Suite Slow -BuildOn Host -Run TestSleep")
        $async = $ps.BeginInvoke()
        try {
            Wait-Until { Get-GuestTestProcesses 'slow\.test' } 180 -MaxIntervalMs 1000 | Should -Not -BeNullOrEmpty
            $ps.Stop()
            Wait-Until { -not (Get-GuestTestProcesses 'slow\.test') } 30 -MaxIntervalMs 1000 | Should -BeTrue
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
            # the round's leak check works as the first run's: each package row has its record, and nothing leaked
            $pkgRows = @($second | Where-Object { $_.Package -match '/(tdata|tuser)$' -and -not $_.Test })
            @($pkgRows | Where-Object { $null -eq $_.Leak }).Count | Should -Be 0
            @($pkgRows | Where-Object Leaked).Count | Should -Be 0 -Because "$(@($pkgRows | ForEach-Object { "$($_.Package): $($_.Leak)" }) -join '; ')"
            $ps.Stop()
            $async.IsCompleted | Should -BeTrue
            $firstRound | Should -BeGreaterThan 5
        }
        finally { $ps.Dispose() }
    }

    It 'BuildOn = ''Host'' in the project config is ignored with a warning: the suite''s sh text runs in the guest, none of it here' {
        Remove-Item $script:hostMark -ErrorAction SilentlyContinue
        Remove-Item $script:log -ErrorAction SilentlyContinue
        $rows = @(Invoke-DfVmTest -Suite Hostile -WarningVariable w -WarningAction SilentlyContinue)
        "$w" | Should -Match "BuildOn = 'Host' is ignored"
        Test-Path $script:hostMark | Should -BeFalse -Because 'a cloned project must not run shell text on this machine'
        (Invoke-DfVmCommand -Name goexec -Command "test -f '$($script:hostMark)' && echo there").Output | Should -Be 'there'
        ($rows | Where-Object Test -EQ 'TestReadsTestdata').Passed | Should -BeTrue
        Test-Path $script:log | Should -BeFalse -Because 'the build stayed in the guest'
    }

    It '-BuildOn Host runs only go here: a suite that is more than a plain go test line builds in the guest, with a warning' {
        Remove-Item $script:hostMark -ErrorAction SilentlyContinue
        Invoke-DfVmCommand -Name goexec -Command "rm -f '$($script:hostMark)'" | Out-Null
        Remove-Item $script:log -ErrorAction SilentlyContinue
        $rows = @(Invoke-DfVmTest -Suite Hostile -BuildOn Host -WarningVariable w -WarningAction SilentlyContinue)
        "$w" | Should -Match "suite 'Hostile' is not a plain 'go test' command line"
        Test-Path $script:hostMark | Should -BeFalse
        (Invoke-DfVmCommand -Name goexec -Command "test -f '$($script:hostMark)' && echo there").Output | Should -Be 'there'
        ($rows | Where-Object Test -EQ 'TestReadsTestdata').Passed | Should -BeTrue
        Test-Path $script:log | Should -BeFalse
    }

    It 'a host-built test binary gets the signal dispositions of a guest build (SIGINT and SIGQUIT not ignored)' {
        $guest = @(Invoke-DfVmTest -Suite Fixture -BuildOn Guest -Package ./sigdisp | Where-Object Test -EQ 'TestSignalDispositions')
        $hostBuilt = @(Invoke-DfVmTest -Suite Fixture -BuildOn Host -Package ./sigdisp | Where-Object Test -EQ 'TestSignalDispositions')
        $guest.Count | Should -Be 1
        $hostBuilt.Count | Should -Be 1
        $guest[0].Output | Should -Match 'SIGINT ignored=false SIGQUIT ignored=false'
        $hostBuilt[0].Result | Should -Be $guest[0].Result
        $hostBuilt[0].Output | Should -Match 'SIGINT ignored=false SIGQUIT ignored=false'
    }

    It 'an upload cut short by Ctrl+C is never run: the next run sends the binary again and it runs whole' {
        # an executable of 64 MB whose last line is what it prints: a cut copy is a shell syntax error
        $big = Join-Path $script:ctl 'big.test'
        $fs = [IO.File]::Create($big)
        try {
            $head = [Text.Encoding]::ASCII.GetBytes("#!/bin/sh`n: '")
            $fs.Write($head, 0, $head.Length)
            $chunk = [byte[]]::new(1MB); [Array]::Fill($chunk, [byte][char]'x')
            foreach ($i in 1..64) { $fs.Write($chunk, 0, $chunk.Length) }
            $tail = [Text.Encoding]::ASCII.GetBytes("'`necho complete-$([guid]::NewGuid().ToString('N'))`n")
            $fs.Write($tail, 0, $tail.Length)
        }
        finally { $fs.Dispose() }
        & chmod 755 $big
        $expected = (Get-Content $big -Tail 1).Substring(5)
        Remove-Item $script:log -ErrorAction SilentlyContinue
        $partial = "find ~/.cache/dfvm-goexec -type f -name '.*' -size +2048 2>/dev/null | head -n 1"
        # the wrapper in a process group of its own (setsid), so SIGINT reaches it and its ssh as Ctrl+C would
        $psi = [Diagnostics.ProcessStartInfo]::new('setsid')
        foreach ($a in @($script:wrapper, $big)) { $psi.ArgumentList.Add($a) }
        $psi.WorkingDirectory = $script:project
        $psi.Environment['DFVM_GOEXEC_COMPRESS'] = '0'
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $p = [Diagnostics.Process]::Start($psi)
        try {
            $seen = Wait-Until { (Invoke-DfVmCommand -Name goexec -Command $partial).Output } 120
            $seen | Should -Not -BeNullOrEmpty -Because 'the upload was under way'
            & kill -INT -- "-$($p.Id)"
            $p.WaitForExit(60000) | Should -BeTrue
            $p.ExitCode | Should -Not -Be 0
            $null = $p.StandardOutput.ReadToEnd()
        }
        finally { if (-not $p.HasExited) { $p.Kill($true) } }
        # what the guest did with the cut upload has settled when no partial file is left
        Wait-Until { -not (Invoke-DfVmCommand -Name goexec -Command $partial).Output } 60 -MaxIntervalMs 1000 | Should -BeTrue
        $again = & sh -c "cd '$($script:project)' && '$($script:wrapper)' '$big' 2>&1; echo rc=`$?"
        $again | Should -Contain 'rc=0'
        $again | Should -Contain $expected
        @(Get-Content $script:log)[-1] | Should -Match '^sent [0-9a-f]{64} \d+$' -Because 'the cut copy was not kept under the full hash'
    }

    It 'first runs of one new binary at once all run it (none exits 199)' {
        foreach ($round in 1..3) {
            $bin = Join-Path $script:ctl "twice$round.test"
            Set-Content $bin "#!/bin/sh`n: $([guid]::NewGuid())`nsleep 1`necho ran-$round"
            & chmod 755 $bin
            $procs = foreach ($i in 1..4) {
                $psi = [Diagnostics.ProcessStartInfo]::new($script:wrapper)
                $psi.ArgumentList.Add($bin)
                $psi.WorkingDirectory = $script:project
                $psi.RedirectStandardOutput = $true
                $psi.RedirectStandardError = $true
                [Diagnostics.Process]::Start($psi)
            }
            foreach ($q in $procs) {
                $q.WaitForExit(120000) | Should -BeTrue
                $out = $q.StandardOutput.ReadToEnd(); $err = $q.StandardError.ReadToEnd()
                $q.ExitCode | Should -Be 0 -Because "round ${round}: $err"
                $out.Trim() | Should -Be "ran-$round"
            }
        }
    }

    It 'a package folder whose name holds a quote and $(...) is named as it is, and nothing in it runs' {
        $inject = '/tmp/dfvm-injected-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $odd = '/root/odd"name$(touch ' + $inject + ')'
        $bin = Join-Path $script:ctl 'pwd.test'
        Set-Content $bin "#!/bin/sh`npwd"
        & chmod 755 $bin
        # not there: the error names the folder as it is
        $out = & sh -c "cd '$($script:project)' && DFVM_GUEST_PATH='$odd' '$($script:wrapper)' '$bin' 2>&1; echo rc=`$?"
        $out | Should -Contain 'rc=1'
        "$out" | Should -Match ([regex]::Escape("the package directory $odd is not in VM goexec"))
        # there: the binary runs in it
        $q = "'" + $odd.Replace("'", "'\''") + "'"
        Invoke-DfVmCommand -Name goexec -Command "mkdir -p $q" | Out-Null
        try {
            $out = & sh -c "cd '$($script:project)' && DFVM_GUEST_PATH='$odd' '$($script:wrapper)' '$bin' 2>&1; echo rc=`$?"
            $out | Should -Contain 'rc=0'
            $out | Should -Contain $odd
        }
        finally { Invoke-DfVmCommand -Name goexec -Command "rm -rf $q" | Out-Null }
        (Invoke-DfVmCommand -Name goexec -Command "test -e '$inject' && echo injected || echo clean").Output | Should -Be 'clean'
    }

    It 'a paused guest (QMP stop) gives a clear error in bounded time, not a hang' {
        Stop-Masters
        Wait-Until { -not (Get-ChildItem $script:sockets -ErrorAction SilentlyContinue | Where-Object { $_.Name -notmatch '\.' }) } 20 | Out-Null
        $qmp = Join-Path (Get-DfVm -Name goexec).Path 'qmp.sock'
        $send = "import socket,sys,json`ns=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f=s.makefile('rw')`nf.readline()`nfor c in ('qmp_capabilities', sys.argv[2]):`n    f.write(json.dumps({'execute': c}) + '\n'); f.flush()`n    while 'return' not in f.readline(): pass`n"
        & python3 -c $send $qmp stop
        $LASTEXITCODE | Should -Be 0
        try {
            $bin = Join-Path $script:ctl 'pwd.test'
            $psi = [Diagnostics.ProcessStartInfo]::new($script:wrapper)
            $psi.ArgumentList.Add($bin)
            $psi.WorkingDirectory = $script:project
            $psi.Environment['DFVM_GOEXEC_CONNECT_TIMEOUT'] = '5'
            $psi.RedirectStandardOutput = $true
            $psi.RedirectStandardError = $true
            $p = [Diagnostics.Process]::Start($psi)
            try {
                $p.WaitForExit(90000) | Should -BeTrue -Because 'ssh gives up on a guest that does not answer'
                $p.ExitCode | Should -Be 255
                $p.StandardError.ReadToEnd() | Should -Match 'is the VM paused'
            }
            finally { if (-not $p.HasExited) { $p.Kill($true) } }
        }
        finally { & python3 -c $send $qmp cont }
    }

    It '-Watch: an edit made during the first run starts the next round; files the sync leaves out do not' {
        Sync-DfVmProject -Name goexec -Confirm:$false | Out-Null
        Set-Content (Join-Path $script:project 'wslow/testdata/in.txt') 'first'
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$env:DFVM_MODULE_PATH'; Set-Location '$($script:project)'; Invoke-DfVmTest -Suite Fixture -BuildOn Host -Package ./wslow -Watch")
        $out = [Management.Automation.PSDataCollection[psobject]]::new()
        $async = $ps.BeginInvoke([Management.Automation.PSDataCollection[psobject]]::new(), $out)
        try {
            function Get-Rows { for ($i = 0; $i -lt $out.Count; $i++) { $out[$i] } }
            Wait-Until { Get-GuestTestProcesses 'wslow\.test' } 240 -MaxIntervalMs 1000 | Should -Not -BeNullOrEmpty -Because 'the first round runs'
            Set-Content (Join-Path $script:project 'wslow/testdata/in.txt') 'edited during the first run'
            $rounds = Wait-Until { $r = @(Get-Rows | Where-Object Test -EQ 'TestReadsAfterAWhile'); if ($r.Count -ge 2) { $r } } 180
            @($rounds).Count | Should -Be 2 -Because 'the edit made during the first run starts a second round'
            $rounds[1].Output | Should -Match 'edited during the first run'
            # ignored by .gitignore and by SyncExclude: no round
            foreach ($i in 1..3) {
                Set-Content (Join-Path $script:project 'cover.out') "mode: set $i"
                Set-Content (Join-Path $script:project 'wslow/run.log') "log $i"
                Start-Sleep -Milliseconds 400
            }
            Wait-Until { @(Get-Rows | Where-Object Test -EQ 'TestReadsAfterAWhile').Count -gt 2 } 15 | Should -BeNullOrEmpty
            $ps.Stop()
        }
        finally { $ps.Dispose(); Remove-Item (Join-Path $script:project 'cover.out'), (Join-Path $script:project 'wslow/run.log') -ErrorAction SilentlyContinue }
    }
}
