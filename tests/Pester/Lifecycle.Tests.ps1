# Issue 2: a real VM lifecycle on the Linux test guest under QEMU (TCG here).
BeforeDiscovery { }

Describe 'VM lifecycle on the test guest' -Tag Integration {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:project = New-TestProject -VmName life -Cpus 2   # one suite boots the default SMP guest
        Push-Location $script:project
        New-TestGuestVm -Name life | Out-Null
    }
    AfterAll {
        Pop-Location
        Remove-TestProject -Path $script:project
    }

    It 'New-DfVm made the folder with a 0600 key and a thin overlay' {
        $dir = Join-Path $script:project 'vm/life'
        (& stat -c '%a' "$dir/id_ed25519") | Should -Be '600'
        (& stat -c '%a' $dir) | Should -Be '700'
        $info = & qemu-img info --output=json -U "$dir/disk.qcow2" | ConvertFrom-Json
        $info.'backing-filename' | Should -Be (Get-TestGuest).disk
        (Get-Item "$dir/disk.qcow2").Length | Should -BeLessThan 2MB
    }

    It 'Start-DfVm boots it under TCG with a warning and waits for a real SSH login' {
        $vm = Start-DfVm -Name life -Timeout 180 -WarningVariable warnings -WarningAction SilentlyContinue -InformationVariable info
        $vm.State | Should -Be 'Running'
        $vm.Ready | Should -BeTrue
        $vm.Accelerator | Should -Be 'tcg'
        ($warnings -join ' ') | Should -Match 'vmx/svm|KVM is unusable'
        # first contact: the pinned host key is shown with its fingerprint, and it is the guest's own key
        $vm.HostKeyFingerprint | Should -Match '^ssh-ed25519 SHA256:[A-Za-z0-9+/]{43}$'
        $shown = @($info | Where-Object { $_.Tags -contains 'PSHOST' } | ForEach-Object { "$($_.MessageData)" }) -join "`n"
        $shown | Should -Match ("First contact with VM 'life': pinned its SSH host key " + [regex]::Escape($vm.HostKeyFingerprint))
        $pub = Join-Path ([IO.Path]::GetTempPath()) ('hk-' + [guid]::NewGuid().ToString('N') + '.pub')
        Set-Content $pub (Invoke-DfVmCommand -Name life -Command 'cat /etc/ssh/ssh_host_ed25519_key.pub').Output
        $own = (& ssh-keygen -lf $pub) -split ' '
        Remove-Item $pub
        $vm.HostKeyFingerprint | Should -Be "ssh-ed25519 $($own[1])"
        $vm.SshPort | Should -BeGreaterThan 0
        (& stat -c '%a' (Join-Path $script:project 'vm/life/qmp.sock')) | Should -Be '600'
    }

    It 'forwards SSH on 127.0.0.1 only' {
        $port = (Get-DfVm life).SshPort
        $listen = & ss -Hltn "sport = :$port"
        $listen | Should -Match "127\.0\.0\.1:$port"
        $listen | Should -Not -Match "0\.0\.0\.0:$port|\*:$port"
    }

    It 'Get-DfVm reports Running and Ready, by name, by wildcard and from the pipeline' {
        (Get-DfVm -Name life).State | Should -Be 'Running'
        (Get-DfVm -Name 'li*').Name | Should -Be 'life'
        ([pscustomobject]@{ Name = 'life' } | Get-DfVm).Ready | Should -BeTrue
    }

    It 'Invoke-DfVmCommand runs sh semantics under a csh login shell' {
        $r = Invoke-DfVmCommand -Name life -Command 'id -u; echo "$SHELL"; X=1 sh -c "echo v=\$X" 2>&1; echo $(echo sub)'
        $r.Succeeded | Should -BeTrue
        $r.Output -split "`n" | Should -Be @('0', '/bin/csh', 'v=1', 'sub')
        $r.Command | Should -Match 'id -u'
        $r.Duration | Should -BeOfType [timespan]
    }

    It 'quotes <Label> exactly' -ForEach @(
        @{ Label = 'single quotes'; Text = "it's 'quoted'" }
        @{ Label = 'dollars and backticks'; Text = 'a $HOME `id` $(id) ${x}' }
        @{ Label = 'double quotes and backslashes'; Text = 'say "hi" \n \\ \' }
        @{ Label = 'newlines'; Text = "line1`nline2`n`nline4" }
        @{ Label = 'history bang'; Text = 'wow! !! !$' }
        @{ Label = 'non-ASCII'; Text = 'Grüße, 日本語, ÿ' }
        @{ Label = 'globs and semicolons'; Text = '* ? [a] ; && || > < |' }
    ) {
        $quoted = "'" + $Text.Replace("'", "'\''") + "'"
        $r = Invoke-DfVmCommand -Name life -Command "printf '%s' $quoted"
        $r.ExitCode | Should -Be 0
        $r.Output | Should -BeExactly $Text.TrimEnd("`n")
    }

    It 'returns a non-zero exit as data, with stderr apart' {
        $r = Invoke-DfVmCommand -Name life -Command 'echo out; echo err >&2; exit 3'
        $r.ExitCode | Should -Be 3
        $r.Succeeded | Should -BeFalse
        $r.Output | Should -Be 'out'
        $r.Error | Should -Be 'err'
    }

    It 'Ctrl+C (StopProcessing) ends the remote command and its children' {
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$env:DFVM_MODULE_PATH'; Set-Location '$($script:project)'; Invoke-DfVmCommand -Name life -Command 'sh -c ""sleep 987"" & sleep 988; wait'")
        $async = $ps.BeginInvoke()
        $seen = Wait-Until -Seconds 30 { [int](Invoke-DfVmCommand -Name life -Command 'ps -axww -o command | grep -c "[s]leep 98"').Output -ge 2 }
        $seen | Should -BeTrue -Because 'both sleeps were running in the guest'
        $ps.Stop()
        $ps.Dispose()
        Wait-Until -Seconds 20 { (Invoke-DfVmCommand -Name life -Command 'ps -axww -o command | grep -c "[s]leep 98"').Output -eq '0' } | Out-Null
        (Invoke-DfVmCommand -Name life -Command 'ps -axww -o command | grep -c "[s]leep 98"').Output | Should -Be '0'
    }

    It 'QMP wire traces go to -Debug, not -Verbose' {
        $verbose = @(Get-DfVm -Name life -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        $debug = @(Get-DfVm -Name life -Debug 5>&1 | Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object Message)
        $debug | Where-Object { $_ -like 'QMP -> {"execute":"query-status"*' } | Should -Not -BeNullOrEmpty
        $verbose | Where-Object { $_ -like 'QMP*' } | Should -BeNullOrEmpty
    }

    It 'starting a running VM returns it and does nothing else' {
        $before = Get-DfVm life
        $after = Start-DfVm -Name life
        $after.ProcessId | Should -Be $before.ProcessId
    }

    It 'a held lock makes a mutating cmdlet fail with VmLocked, readers do not wait' {
        $fs = [IO.File]::Open((Join-Path $script:project 'vm/life/lock'), 'OpenOrCreate', 'ReadWrite', 'None')
        try {
            { Stop-DfVm -Name life -ErrorAction Stop } | Should -Throw -ErrorId 'VmLocked,DfVm.PowerShell.Commands.StopDfVmCommand'
            (Get-DfVm life).State | Should -Be 'Running'
        }
        finally { $fs.Dispose() }
    }

    It 'Stop-DfVm -WhatIf leaves the running VM running' {
        $pid_ = (Get-DfVm life).ProcessId
        Stop-DfVm -Name life -WhatIf
        Stop-DfVm -Name life -Force -WhatIf
        (Get-DfVm life).ProcessId | Should -Be $pid_
        (Invoke-DfVmCommand -Name life -Command 'echo still').Output | Should -Be 'still'
    }

    It 'Stop-DfVm presses the power button and the guest shuts down cleanly' {
        $pid_ = (Get-DfVm life).ProcessId
        Stop-DfVm -Name life -Timeout 60
        (Get-DfVm life).State | Should -Be 'Stopped'
        Test-ProcessRunning $pid_ | Should -BeFalse
        $serial = Get-SerialText life
        $serial | Should -Match 'DFVM-GUEST: power button'
        $serial | Should -Match 'reboot: Power down'
        Test-Path (Join-Path $script:project 'vm/life/qemu.pid') | Should -BeFalse
    }

    It 'starts again after a clean stop, with the pinned host key accepted' {
        $vm = Start-DfVm -Name life -Timeout 180 -WarningAction SilentlyContinue
        $vm.Ready | Should -BeTrue
        (Invoke-DfVmCommand -Name life -Command 'echo again').Output | Should -Be 'again'
    }

    It 'reports Stopped after QEMU is killed with SIGKILL, and Start-DfVm recovers' {
        $pid_ = (Get-DfVm life).ProcessId
        & kill -9 $pid_
        Wait-Until -Seconds 10 { (Get-DfVm life).State -eq 'Stopped' } | Out-Null
        (Get-DfVm life).State | Should -Be 'Stopped'
        Test-Path (Join-Path $script:project 'vm/life/qemu.pid') | Should -BeTrue   # stale, left by the crash
        $vm = Start-DfVm -Name life -Timeout 180 -WarningAction SilentlyContinue
        $vm.State | Should -Be 'Running'
        $vm.ProcessId | Should -Not -Be $pid_
    }

    It 'never kills a pid that now belongs to another program' {
        Stop-DfVm -Name life -Force
        $sleeper = Start-Process -FilePath sleep -ArgumentList 300 -PassThru
        try {
            Set-Content (Join-Path $script:project 'vm/life/qemu.pid') $sleeper.Id
            (Get-DfVm life).State | Should -Be 'Stopped'
            Stop-DfVm -Name life -Force
            $sleeper.HasExited | Should -BeFalse
            Test-Path (Join-Path $script:project 'vm/life/qemu.pid') | Should -BeFalse
        }
        finally { $sleeper | Stop-Process -Force }
    }

    It 'a taken port is an SshPortInUse error naming the port and its holder' {
        $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try {
            $port = $listener.LocalEndpoint.Port
            $err = $null
            Start-DfVm -Name life -SshPort $port -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -Be 'SshPortInUse,DfVm.PowerShell.Commands.StartDfVmCommand'
            $err[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            $err[0].Exception.Message | Should -Match "127\.0\.0\.1:$port"
            $err[0].Exception.Message | Should -Match "pid $PID"
            (Get-DfVm life).State | Should -Be 'Stopped'
        }
        finally { $listener.Stop() }
    }

    It 'a timeout while booting carries the serial tail' {
        $err = $null
        Start-DfVm -Name life -Timeout 1 -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'GuestNotReady,DfVm.PowerShell.Commands.StartDfVmCommand'
        $err[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        $err[0].Exception.Message | Should -Match 'serial lines'
        $err[0].TargetObject | Should -Be 'life'
    }

    It 'a changed guest host key is a HostKeyMismatch SecurityError naming both fingerprints' {
        Start-DfVm -Name life -Timeout 180 -WarningAction SilentlyContinue | Out-Null
        # A new host key made on the host, put in the guest in place of the old ones.
        $tmp = Join-Path ([IO.Path]::GetTempPath()) ('hk-' + [guid]::NewGuid().ToString('N'))
        & ssh-keygen -q -t ed25519 -N '' -f $tmp
        $b64 = [Convert]::ToBase64String([IO.File]::ReadAllBytes($tmp))
        $pub = Get-Content "$tmp.pub" -Raw
        Remove-Item $tmp, "$tmp.pub"
        $r = Invoke-DfVmCommand -Name life -Command "rm -f /etc/ssh/ssh_host_*; echo '$b64' | b64decode -r > /etc/ssh/ssh_host_ed25519_key; chmod 600 /etc/ssh/ssh_host_ed25519_key; printf '%s' '$($pub.Trim())' > /etc/ssh/ssh_host_ed25519_key.pub; sync"
        $r.ExitCode | Should -Be 0
        Stop-DfVm -Name life
        $err = $null
        Start-DfVm -Name life -Timeout 120 -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'HostKeyMismatch,DfVm.PowerShell.Commands.StartDfVmCommand'
        $err[0].CategoryInfo.Category | Should -Be 'SecurityError'
        ([regex]::Matches($err[0].Exception.Message, 'SHA256:')).Count | Should -Be 2
        $err[0].Exception.Message | Should -Match 'Reset-DfVmHostKey'
        (Get-DfVm life).HostKeyFingerprint | Should -Not -BeNullOrEmpty -Because 'the old pin is kept'
        Reset-DfVmHostKey -Name life -Force
        (Get-DfVm life).HostKeyFingerprint | Should -BeNullOrEmpty
        (Invoke-DfVmCommand -Name life -Command 'echo repinned').Output | Should -Be 'repinned'
        $pubFile = "$tmp.pub"
        Set-Content $pubFile $pub.Trim()
        $new = (& ssh-keygen -lf $pubFile) -split ' '
        Remove-Item $pubFile
        (Get-DfVm life).HostKeyFingerprint | Should -Be "ssh-ed25519 $($new[1])"
    }
}
