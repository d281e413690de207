# Issue 19, the hostile-guest faults of the test runs, each produced for real on one booted test guest:
# a guest `uname` that answers garbage (the host build takes GOOS/GOARCH from it), test JSON with a
# 100 MB line, binary garbage and truncated JSON (a suite whose command prints them), and a test
# binary that prints the same through a host build. Each run is a child pwsh that says its peak memory.
# After each: the error id or the row that was due, memory bounded, no go/ssh/test process left (host and guest).
Describe 'A guest that lies to the test runs' -Tag Faults, Integration {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        . $PSScriptRoot/FaultHelpers.ps1
        $script:modulePath = (Resolve-Path $(if ($env:DFVM_MODULE_PATH) { $env:DFVM_MODULE_PATH } else { Join-Path $PSScriptRoot '../../out/DfVm/DfVm.psd1' })).ProviderPath
        $config = @'
    GuestProjectPath = '/root/hostile'
    Suites = @{
        Flood = @{ Command = 'sh ./flood.sh' }
        Go    = @{ Command = 'GOFLAGS=-count=1 GOPROXY=off go test -json ./...' }
    }
'@
        $script:project = New-TestProject -VmName hostile -ExtraConfig $config
        $script:vmRoot = Join-Path $script:project 'vm'
        # what a lying go test -json could print: a start, a 100 MB line, 200 kB of random bytes, a cut event, then the ends
        Set-Content (Join-Path $script:project 'flood.sh') @'
printf '{"Action":"start","Package":"example.com/h"}\n'
printf '{"Action":"run","Package":"example.com/h","Test":"TestBig"}\n'
printf '{"Action":"output","Package":"example.com/h","Test":"TestBig","Output":"'
head -c 100000000 /dev/zero | tr '\000' A
printf '"}\n'
head -c 200000 /dev/urandom
printf '\n{"Action":"output","Package":"example.com/h","Test":"TestBig","Outp\n'
printf '{"Action":"fail","Package":"example.com/h","Test":"TestBig","Elapsed":0.1}\n'
printf '{"Action":"fail","Package":"example.com/h","Elapsed":0.2}\n'
exit 1
'@
        Set-Content (Join-Path $script:project 'go.mod') "module example.com/h`n`ngo 1.19"
        Set-Content (Join-Path $script:project 'h_test.go') @'
package h

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"testing"
)

func TestFlood(t *testing.T) {
	os.Stdout.Write(bytes.Repeat([]byte("A"), 100<<20))
	os.Stdout.Write([]byte("\n"))
	garbage := make([]byte, 200000)
	rand.Read(garbage)
	os.Stdout.Write(garbage)
	fmt.Println(`{"Action":"pa`)
}
'@
        Push-Location $script:project
        New-TestGuestVm -Name hostile -MemoryMB 1024 | Out-Null
        Start-TestGuestVm -Name hostile -Timeout 600
        Sync-DfVmProject -Name hostile -Confirm:$false | Out-Null
        $script:log = Join-Path $script:project 'goexec-sent.log'
        $script:ctl = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-hx-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
        New-Item -ItemType Directory $script:ctl | Out-Null

        function script:Invoke-Child {
            # Runs $Command in a second pwsh on the built module; returns what it says: rows, error id, warnings, peak memory.
            param([Parameter(Mandatory)][string] $Command)
            $text = "`$ProgressPreference = 'SilentlyContinue'; Import-Module '$($script:modulePath)'; Set-Location -LiteralPath '$($script:project)'; " +
                "`$env:DFVM_GOEXEC_LOG = '$($script:log)'; `$env:XDG_RUNTIME_DIR = '$($script:ctl)'; `$env:DFVM_GOEXEC_PERSIST = '5'; " +
                "`$rows = @(); `$id = ''; `$msg = ''; try { `$rows = @($Command -WarningVariable w -WarningAction SilentlyContinue -ErrorAction Stop) } catch { `$id = `$_.FullyQualifiedErrorId; `$msg = `"`$_`" }; " +
                "[Console]::Out.WriteLine((@{ Id = `$id; Message = `$msg; Warnings = `"`$w`"; Peak = [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64; " +
                "Rows = @(`$rows | ForEach-Object { @{ Test = `$_.Test; Package = `$_.Package; Result = `"`$(`$_.Result)`"; OutputLength = `"`$(`$_.Output)`".Length; Output = `"`$(`$_.Output)`".Substring(0, [Math]::Min(200, `"`$(`$_.Output)`".Length)); Cut = `"`$(`$_.Output)`".Contains('[DfVm: ') } }) } | ConvertTo-Json -Depth 4 -Compress))"
            $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($text))
            $psi = New-PwshStartInfo '-NoProfile', '-NonInteractive', '-EncodedCommand', $encoded
            $psi.RedirectStandardOutput = $true
            $psi.RedirectStandardError = $true
            $p = [Diagnostics.Process]::Start($psi)
            $out = $p.StandardOutput.ReadToEndAsync(); $err = $p.StandardError.ReadToEndAsync()
            if (-not $p.WaitForExit(600000)) { $p.Kill($true); throw "child pwsh $($p.Id) still running after 600 s" }
            $p.WaitForExit()
            $line = @($out.Result -split "`n" | Where-Object { $_.StartsWith('{') })[-1]
            if (-not $line) { throw "the child said nothing: $($out.Result) $($err.Result)" }
            return $line | ConvertFrom-Json
        }

        function script:Get-LeftBehind {
            # go, ssh and test processes of this project still running here or in the guest; the VM must answer.
            # (the wrapper's shared SSH connection lives DFVM_GOEXEC_PERSIST = 5 s after its last use: waited for)
            Wait-Until { -not (Get-ChildItem /proc -Directory | Where-Object Name -Match '^\d+$' | Where-Object {
                        $c = try { [IO.File]::ReadAllText("/proc/$($_.Name)/cmdline") } catch { '' }
                        $c.Contains('ControlPersist') -and $c.Contains($script:project) }) } 60 | Out-Null
            $left = [Collections.Generic.List[string]]::new()
            $vm = Get-DfVm -Name hostile
            foreach ($p in Get-StrayHostProcess -VmDirectory $script:vmRoot) {
                if (-not ($vm.ProcessId -and $p.StartsWith("$($vm.ProcessId) "))) { $left.Add("host: $p") }
            }
            Get-ChildItem /proc -Directory | Where-Object Name -Match '^\d+$' | ForEach-Object {
                $cmd = try { [IO.File]::ReadAllText("/proc/$($_.Name)/cmdline") -replace "`0", ' ' } catch { '' }
                # a wrapper of this project's go test runs in one of its package folders (other containers may run theirs at once)
                $cwd = if ($cmd.Contains('dfvm-go-exec')) { try { "$((Get-Item -LiteralPath "/proc/$($_.Name)/cwd" -ErrorAction Stop).LinkTarget)" } catch { '' } } else { '' }
                if ($cmd -and ($cmd.Contains($script:project) -or $cwd.StartsWith($script:project)) -and $cmd -notmatch 'qemu-system|pwsh') { $left.Add("host: $($_.Name) $cmd") }
            }
            $ps = (Invoke-DfVmCommand -Name hostile -Command 'ps -axww -o pid,command').Output -split "`n"
            foreach ($l in $ps) { if ($l -match 'flood\.sh|h\.test|\bgo (test|build)|head -c') { $left.Add("guest: $($l.Trim())") } }
            (Invoke-DfVmCommand -Name hostile -Command 'echo answers').Output | Should -Be 'answers'
            return , $left.ToArray()
        }
    }
    AfterAll {
        Pop-Location
        Remove-TestProject -Path $script:project
        Remove-Item $script:ctl -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'a guest uname that answers garbage: GoExecGuestTargetInvalid, nothing built or run here' {
        # a lying uname first on root's PATH in the guest (the one there, if any, is put back after)
        $fake = "d=`$(printf %s `"`$PATH`" | cut -d: -f1); mkdir -p `"`$d`"; [ -e `"`$d/uname`" ] && mv `"`$d/uname`" `"`$d/uname.dfvm-saved`"; " +
            "printf '#!/bin/sh\ncase `"`$1`" in -m) echo `"x86_64 `$(id)`" ;; *) echo `"Linux;touch /tmp/pwned`" ;; esac\n' > `"`$d/uname`"; chmod 755 `"`$d/uname`"; uname"
        (Invoke-DfVmCommand -Name hostile -Command $fake).Output | Should -Match 'touch /tmp/pwned'
        try {
            Remove-Item $script:log -ErrorAction SilentlyContinue
            $r = Invoke-Child 'Invoke-DfVmTest -Suite Go -BuildOn Host'
        }
        finally {
            Invoke-DfVmCommand -Name hostile -Command "d=`$(printf %s `"`$PATH`" | cut -d: -f1); rm -f `"`$d/uname`"; [ -e `"`$d/uname.dfvm-saved`" ] && mv `"`$d/uname.dfvm-saved`" `"`$d/uname`"; uname -s" | Out-Null
        }
        $r.Id | Should -Match '^GoExecGuestTargetInvalid,'
        $r.Message | Should -Match 'no GOOS/GOARCH Go builds for'
        @($r.Rows).Count | Should -Be 0
        Test-Path $script:log | Should -BeFalse -Because 'no test binary was built and sent'
        Test-Path /tmp/pwned | Should -BeFalse
        $left = Get-LeftBehind
        Add-FaultRecord -Fault 'the guest''s uname answers garbage (a shell command, $(id))' -During 'Invoke-DfVmTest -BuildOn Host' -ErrorId 'GoExecGuestTargetInvalid' -LeftBehind $left -Recovery 'nothing to repair: nothing was built or run on the host'
        $left | Should -BeNullOrEmpty
    }

    It 'test JSON with a 100 MB line, binary garbage and a cut event: rows that say so, memory bounded' {
        $r = Invoke-Child 'Invoke-DfVmTest -Suite Flood'
        $r.Id | Should -BeNullOrEmpty -Because $r.Message
        $big = @($r.Rows | Where-Object Test -EQ 'TestBig')
        $big.Count | Should -Be 1
        $big[0].Result | Should -Be 'Failed'
        # the line is cut at 64 KiB before it is parsed, so it is no JSON event any more: it comes back,
        # cut and marked, as the package's own output (no row of TestBig's can claim it)
        @($r.Rows | Where-Object { $_.Package -eq 'example.com/h' -and $_.Cut }).Count | Should -BeGreaterThan 0 -Because 'the 100 MB line comes back cut, and says so'
        @($r.Rows | Where-Object { $_.OutputLength -ge 2MB }).Count | Should -Be 0
        @($r.Rows | Where-Object { $_.Package -eq 'example.com/h' -and -not $_.Test }).Result | Should -Be 'Failed'
        $r.Peak | Should -BeLessThan 700MB -Because "pwsh peaked at $([int]($r.Peak / 1MB)) MB"
        $left = Get-LeftBehind
        Add-FaultRecord -Fault "test JSON with a 100 MB line, 200 kB of random bytes and a cut event (pwsh peak $([int]($r.Peak / 1MB)) MB)" -During 'Invoke-DfVmTest (guest build)' -LeftBehind $left -Recovery 'the test row fails and its Output carries the cut line with a [DfVm: ...] marker'
        $left | Should -BeNullOrEmpty
    }

    It 'a host-built test binary that prints a 100 MB line and binary garbage: its row comes back bounded' {
        Remove-Item $script:log -ErrorAction SilentlyContinue
        $r = Invoke-Child 'Invoke-DfVmTest -Suite Go -BuildOn Host'
        $r.Id | Should -BeNullOrEmpty -Because $r.Message
        $r.Warnings | Should -BeNullOrEmpty -Because 'the build ran here'
        Get-Content $script:log | Should -Match '^sent [0-9a-f]{64}'
        $flood = @($r.Rows | Where-Object Test -EQ 'TestFlood')
        $flood.Count | Should -Be 1
        $flood[0].Result | Should -Be 'Passed'
        $flood[0].OutputLength | Should -BeLessThan 2MB
        $flood[0].Cut | Should -BeTrue -Because 'the output past the bound is dropped, and the row says so'
        $r.Peak | Should -BeLessThan 700MB -Because "pwsh peaked at $([int]($r.Peak / 1MB)) MB"
        $left = Get-LeftBehind
        Add-FaultRecord -Fault "a host-built test binary printing a 100 MB line and random bytes (pwsh peak $([int]($r.Peak / 1MB)) MB)" -During 'Invoke-DfVmTest -BuildOn Host' -LeftBehind $left -Recovery 'the row passes with its Output bounded and marked'
        $left | Should -BeNullOrEmpty
    }
}
