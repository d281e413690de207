# The warm SSH connection (one per VM per pwsh session) and Enter-DfVm on a real terminal (tmux),
# on the real Linux test guest.
BeforeDiscovery { }

Describe 'Warm SSH connection and Enter-DfVm on the test guest' -Tag Integration {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1

        function Get-VerboseText([scriptblock] $Command) {
            # Runs the command with -Verbose and returns (output, verbose text).
            $all = & $Command 4>&1
            $verbose = ($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message) -join "`n"
            return @{ Output = @($all | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }); Verbose = $verbose }
        }
        function Get-OurSshSockets([int] $Port) {
            # TCP sockets of this pwsh process to the VM's forwarded SSH port.
            @(& ss -Htanp "dport = :$Port" | Where-Object { $_ -match "pid=$PID," })
        }
        # tmux on a socket of our own: AfterAll ends only this server.
        $script:tmuxSocket = 'dfvm-enter-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        function Invoke-Tmux { & tmux -L $script:tmuxSocket @args }
        function Send-Line([string] $Text) { Invoke-Tmux send-keys -t enter -l $Text; Invoke-Tmux send-keys -t enter Enter }
        function Get-Pane { (Invoke-Tmux capture-pane -p -t enter -S -200) -join "`n" }
        function Wait-Pane([string] $Pattern, [int] $Seconds = 30) {
            $found = Wait-Until -Seconds $Seconds { if ((Get-Pane) -match $Pattern) { $true } }
            if (-not $found) { throw "the terminal never showed /$Pattern/; it shows:`n$(Get-Pane)" }
        }

        $script:project = New-TestProject -VmName enter
        Push-Location $script:project
        New-TestGuestVm -Name enter | Out-Null
        Start-TestGuestVm -Name enter -Timeout 180
    }
    AfterAll {
        & tmux -L $script:tmuxSocket kill-server 2>$null
        # kill-server leaves its socket file behind.
        $tmuxDir = if ($env:TMUX_TMPDIR) { $env:TMUX_TMPDIR } else { '/tmp' }
        Remove-Item (Join-Path $tmuxDir "tmux-$(& id -u)/$($script:tmuxSocket)") -ErrorAction SilentlyContinue
        Pop-Location
        Remove-TestProject -Path $script:project
    }

    It 'the second and later cmdlets reuse the warm connection: no SSH handshake' {
        (Invoke-DfVmCommand -Name enter -Command 'echo first').Output | Should -Be 'first'
        foreach ($command in { Invoke-DfVmCommand -Name enter -Command 'echo second' -Verbose },
            { Sync-DfVmProject -Name enter -Verbose },
            { Invoke-DfVmCommand -Name enter -Command 'echo third' -Verbose }) {
            $r = Get-VerboseText $command
            $r.Verbose | Should -Match "SSH reuse warm connection to VM 'enter'"
            $r.Verbose | Should -Not -Match 'SSH connect'
            $r.Verbose | Should -Match 'guest \$ '   # the reused connection logs to the cmdlet using it
            $r.Output.Count | Should -Be 1
        }
        @(Get-OurSshSockets (Get-DfVm enter).SshPort).Count | Should -Be 1
    }

    It 'after the guest sshd drops the connection, the next cmdlet reconnects once and works' {
        # Find the sshd process serving our connection (an ancestor of this command's shell) and
        # kill it a moment after the command has returned.
        $script = 'p=$$; while [ "$p" -gt 1 ]; do case "$(tr "\0" " " < /proc/$p/cmdline)" in sshd:*) break;; esac; ' +
            'p=$(sed -n "s/^PPid:[[:space:]]*//p" /proc/$p/status); done; ' +
            'echo "$p"; (sleep 1; kill -9 "$p") </dev/null >/dev/null 2>&1 &'
        $sshd = (Invoke-DfVmCommand -Name enter -Command $script).Output
        $sshd | Should -Match '^\d+$'
        $sshd | Should -Not -Be '1'
        $port = (Get-DfVm enter).SshPort
        # Dropped: our end of the TCP connection is no longer established (peer closed it).
        Wait-Until -Seconds 15 { @(Get-OurSshSockets $port | Where-Object { $_ -match '^ESTAB' }).Count -eq 0 } | Should -BeTrue
        $r = Get-VerboseText { Invoke-DfVmCommand -Name enter -Command 'echo back' -Verbose }
        $r.Output[0].Output | Should -Be 'back'
        ([regex]::Matches($r.Verbose, 'SSH connect')).Count | Should -Be 1
        $r = Get-VerboseText { Invoke-DfVmCommand -Name enter -Command 'echo warm again' -Verbose }
        $r.Verbose | Should -Match 'SSH reuse warm connection'
        $r.Verbose | Should -Not -Match 'SSH connect'
        @(Get-OurSshSockets $port).Count | Should -Be 1
    }

    It 'Enter-DfVm runs a guest shell on a real terminal: output, size, Ctrl+C, exit' {
        Invoke-Tmux new-session -d -s enter -x 120 -y 40 'pwsh -NoProfile -NoLogo'
        Invoke-Tmux set-option -t enter status off
        Invoke-Tmux resize-window -t enter -x 120 -y 40
        Wait-Pane 'PS .*>'
        Send-Line "Set-Location '$($script:project)'; Import-Module '$env:DFVM_MODULE_PATH'; 'host-' + (6*7)"
        Wait-Pane '(?m)^host-42'
        Send-Line 'Enter-DfVm -Name enter'
        # root's login shell is csh: the POSIX bits go through sh -c, and the guest's hostname shows where we are.
        # Its prompt ends in '# ' (the host prompt in '> '): wait for it rather than a fixed time.
        Wait-Pane '(?m)#\s*$'
        Send-Line 'sh -c ''echo hello-$((40+2))-$(hostname)'''
        Wait-Pane '(?m)hello-42-dfvm-guest\s*$'
        Send-Line 'stty size'
        Wait-Pane '(?m)(^|# )40 120\s*$'
        Send-Line 'sleep 100'
        $running = Wait-Until { [int](Invoke-DfVmCommand -Name enter -Command 'ps -axww -o command | grep -c "^[s]leep 100"').Output -ge 1 }
        $running | Should -BeTrue -Because 'the guest shell runs sleep 100 before Ctrl+C is pressed'
        Invoke-Tmux send-keys -t enter C-c
        Send-Line 'sh -c ''echo after-$((2+3))-$(hostname)'''
        Wait-Pane '(?m)after-5-dfvm-guest\s*$' -Seconds 20   # far sooner than the 100 s sleep (the typed line shows $((2+3)), not 5)
        Send-Line 'exit'
        Wait-Pane '(?m)^PS /.*>\s*$' -Seconds 20
        Send-Line "'back-' + (6*7)"
        Wait-Pane '(?m)^back-42'
        # Nothing was left behind in the guest.
        (Invoke-DfVmCommand -Name enter -Command 'ps -axww -o command | grep -c "[s]leep 100"').Output | Should -Be '0'
    }

    It 'without a terminal Enter-DfVm fails with TerminalRequired' {
        $out = '' | & pwsh -NoProfile -NonInteractive -Command "Import-Module '$env:DFVM_MODULE_PATH'; Set-Location '$($script:project)'; try { Enter-DfVm -Name enter -ErrorAction Stop } catch { `$_.FullyQualifiedErrorId }" 2>&1
        ($out -join "`n") | Should -Match 'TerminalRequired,DfVm.PowerShell.Commands.EnterDfVmCommand'
    }

    It 'Remove-Module closes the session''s warm connections' {
        $port = (Get-DfVm enter).SshPort
        # A pwsh of its own: it imports, connects, counts its sockets to the VM, removes the module, counts again.
        $text = "Import-Module '$env:DFVM_MODULE_PATH'; Set-Location '$($script:project)'; " +
            "`$null = Invoke-DfVmCommand -Name enter -Command 'echo up'; " +
            "`$before = @(& ss -Htanp 'dport = :$port' | Where-Object { `$_ -match ""pid=`$PID,"" -and `$_ -match '^ESTAB' }).Count; " +
            "Remove-Module DfVm; " +
            "`$after = @(& ss -Htanp 'dport = :$port' | Where-Object { `$_ -match ""pid=`$PID,"" -and `$_ -match '^ESTAB' }).Count; " +
            "`"`$before `$after`""
        $out = & pwsh -NoProfile -NonInteractive -EncodedCommand ([Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($text)))
        $out | Select-Object -Last 1 | Should -Be '1 0'
    }

    It 'Stop-DfVm drops the warm connection' {
        $port = (Get-DfVm enter).SshPort
        (Invoke-DfVmCommand -Name enter -Command 'echo up').Output | Should -Be 'up'
        @(Get-OurSshSockets $port).Count | Should -Be 1
        Stop-DfVm -Name enter
        @(Get-OurSshSockets $port).Count | Should -Be 0
        { Invoke-DfVmCommand -Name enter -Command 'echo x' -ErrorAction Stop } | Should -Throw -ErrorId 'VmNotRunning,DfVm.PowerShell.Commands.InvokeDfVmCommandCommand'
    }
}
