# Issue: Save-DfVmImage against a local mirror (python3 -m http.server on 127.0.0.1), and
# Invoke-DfVmProvision twice on the Linux test guest. Install-DfVm's phase runner and the whole
# unattended sequence are covered by xunit (tests/DfVm.Core.Tests/Install) on the same guest.

Describe 'Save-DfVmImage against a local mirror' -Tag Integration {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:project = New-TestProject -VmName img
        Push-Location $script:project

        # A small image, bzip2'd, served twice: good/ with its right MD5, bad/ with a wrong one.
        $script:served = Join-Path $script:project 'mirror'
        $script:version = '9.9.3'
        $script:bz2Name = "dfly-x86_64-$($script:version)_REL.iso.bz2"
        $payload = Join-Path $script:project 'payload.iso'
        $bytes = [byte[]]::new(3MB)
        [Random]::new(7).NextBytes($bytes)
        [IO.File]::WriteAllBytes($payload, $bytes)
        & bzip2 -9 $payload
        if ($LASTEXITCODE -ne 0) { throw 'bzip2 failed' }
        $script:goodMd5 = (Get-FileHash -Algorithm MD5 "$payload.bz2").Hash.ToLowerInvariant()
        $script:isoMd5 = ([Security.Cryptography.MD5]::HashData($bytes) | ForEach-Object { $_.ToString('x2') }) -join ''
        foreach ($d in 'good', 'bad') {
            New-Item -ItemType Directory -Path (Join-Path $script:served $d) | Out-Null
            Copy-Item "$payload.bz2" (Join-Path $script:served "$d/$($script:bz2Name)")
        }
        [IO.File]::WriteAllText((Join-Path $script:served 'good/md5.txt'), "MD5 ($($script:bz2Name)) = $($script:goodMd5)`n")
        $script:wrongMd5 = '0123456789abcdef0123456789abcdef'
        [IO.File]::WriteAllText((Join-Path $script:served 'bad/md5.txt'), "MD5 ($($script:bz2Name)) = $($script:wrongMd5)`n")

        $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
        $listener.Start(); $script:port = $listener.LocalEndpoint.Port; $listener.Stop()
        $script:server = Start-Process -FilePath python3 -ArgumentList @('-m', 'http.server', $script:port, '--bind', '127.0.0.1', '--directory', $script:served) `
            -PassThru -RedirectStandardError (Join-Path $script:project 'http.log') -RedirectStandardOutput (Join-Path $script:project 'http.out')
        $deadline = [DateTime]::UtcNow.AddSeconds(15)
        while ($true) {
            try { $c = [Net.Sockets.TcpClient]::new('127.0.0.1', $script:port); $c.Dispose(); break }
            catch { if ([DateTime]::UtcNow -gt $deadline) { throw 'the local mirror did not start' }; Start-Sleep -Milliseconds 100 }
        }
        $script:good = "http://127.0.0.1:$($script:port)/good/"
        $script:bad = "http://127.0.0.1:$($script:port)/bad/"
        $script:images = Join-Path $script:project 'vm/images'
    }
    AfterAll {
        if ($script:server) { Stop-Process -Id $script:server.Id -Force -ErrorAction SilentlyContinue }
        Pop-Location
        Remove-TestProject -Path $script:project
    }

    It '-WhatIf downloads and writes nothing' {
        $r = Save-DfVmImage -Version $script:version -Mirror $script:good -WhatIf
        $r | Should -BeNullOrEmpty
        Test-Path $script:images | Should -BeFalse
    }

    It 'downloads, checks and decompresses into vm/images, with progress that completes' {
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Set-Location '$($script:project)'; Import-Module '$((Get-Module DfVm).Path)'; Save-DfVmImage -Version $($script:version) -Mirror '$($script:good)'")
        $out = $ps.Invoke()
        $ps.Streams.Error | Should -BeNullOrEmpty
        $records = @($ps.Streams.Progress)
        $ps.Dispose()
        $img = $out[0]
        $img | Should -BeOfType ([DfVm.DfVmImage])
        $img.Path | Should -Be (Join-Path $script:images "dfly-x86_64-$($script:version)_REL.iso")
        $img.Verified | Should -BeTrue
        $img.Md5 | Should -Be $script:isoMd5
        $img.SizeBytes | Should -Be 3MB
        (Get-FileHash -Algorithm MD5 $img.Path).Hash.ToLowerInvariant() | Should -Be $script:isoMd5
        @(Get-ChildItem $script:images -Filter '*.part*').Count | Should -Be 0
        ($records | Where-Object { $_.Activity -like 'Downloading*' -and $_.StatusDescription -match 'MiB' }) | Should -Not -BeNullOrEmpty
        $records[-1].RecordType | Should -Be 'Completed'
    }

    It 'finds the image the second time and returns at once, without the mirror' {
        Stop-Process -Id $script:server.Id -Force  # a second call must not need the network
        $script:server.WaitForExit(5000) | Out-Null
        try {
            $all = @(Save-DfVmImage -Version $script:version -Mirror $script:good -Verbose 4>&1)
        }
        finally {
            # Serve again for the next tests.
            $script:server = Start-Process -FilePath python3 -ArgumentList @('-m', 'http.server', $script:port, '--bind', '127.0.0.1', '--directory', $script:served) `
                -PassThru -RedirectStandardError (Join-Path $script:project 'http2.log') -RedirectStandardOutput (Join-Path $script:project 'http2.out')
            $deadline = [DateTime]::UtcNow.AddSeconds(15)
            while ($true) {
                try { $c = [Net.Sockets.TcpClient]::new('127.0.0.1', $script:port); $c.Dispose(); break }
                catch { if ([DateTime]::UtcNow -gt $deadline) { throw 'the local mirror did not restart' }; Start-Sleep -Milliseconds 100 }
            }
        }
        # The mirror was down during the call: the answer came from the cache (the time is not asserted).
        ($all | Where-Object { $_ -is [DfVm.DfVmImage] }).Md5 | Should -Be $script:isoMd5
        (($all | Where-Object { $_ -is [Management.Automation.VerboseRecord] }).Message -join "`n") | Should -Match 'is in the cache'
    }

    It 'a wrong sum is ImageChecksumMismatch showing both sums, and the bad file is deleted' {
        $err = $null
        Save-DfVmImage -Version $script:version -Mirror $script:bad -Force -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'ImageChecksumMismatch,DfVm.PowerShell.Commands.SaveDfVmImageCommand'
        $err[0].CategoryInfo.Category | Should -Be 'InvalidResult'
        $err[0].Exception.Message | Should -Match $script:wrongMd5
        $err[0].Exception.Message | Should -Match $script:goodMd5
        Test-Path (Join-Path $script:images "$($script:bz2Name).part") | Should -BeFalse
        { Save-DfVmImage -Version $script:version -Mirror $script:bad -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'ImageChecksumMismatch,DfVm.PowerShell.Commands.SaveDfVmImageCommand'
    }

    It 'a release the mirror lacks is ImageNotFound' {
        { Save-DfVmImage -Version 9.9.9 -Mirror $script:good -ErrorAction Stop } |
            Should -Throw -ErrorId 'ImageNotFound,DfVm.PowerShell.Commands.SaveDfVmImageCommand'
        Test-Path (Join-Path $script:images 'dfly-x86_64-9.9.9_REL.iso') | Should -BeFalse
    }

    It '-Version completes from the releases the module knows' {
        $r = TabExpansion2 -inputScript 'Save-DfVmImage -Version 6.4.' -cursorColumn 'Save-DfVmImage -Version 6.4.'.Length
        $r.CompletionMatches.CompletionText | Should -Be @('6.4.2', '6.4.1', '6.4.0')
    }
}

Describe 'Invoke-DfVmProvision on the test guest' -Tag Integration {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:project = New-TestProject -VmName prov -ExtraConfig "    GuestProjectPath = '/root/dfvm-prov-project'"
        Push-Location $script:project
        New-TestGuestVm -Name prov | Out-Null
        Start-TestGuestVm -Name prov -Timeout 180
    }
    AfterAll {
        Pop-Location
        Remove-TestProject -Path $script:project
    }

    It 'first run creates the project folder and says what it changed' {
        $r = Invoke-DfVmProvision -Name prov -Confirm:$false -Verbose 4>&1 | Tee-Object -Variable all | Where-Object { $_ -is [DfVm.DfVmCommandResult] }
        $r.Succeeded | Should -BeTrue
        $r.Output | Should -Match 'DFVM-PROVISION: changed created /root/dfvm-prov-project'
        $r.Output | Should -Match 'DFVM-PROVISION: changed=[1-9]'
        ($all | Where-Object { $_ -is [Management.Automation.VerboseRecord] }).Message | Should -Contain 'DFVM-PROVISION: changed created /root/dfvm-prov-project'
        (Invoke-DfVmCommand -Name prov -Command 'test -d /root/dfvm-prov-project && echo yes').Output | Should -Be 'yes'
    }

    It 'second run changes nothing: changed=0' {
        $r = Invoke-DfVmProvision -Name prov -Confirm:$false
        $r.Succeeded | Should -BeTrue
        $r.Output | Should -Be 'DFVM-PROVISION: changed=0'
    }

    It '-WhatIf runs nothing' {
        Invoke-DfVmProvision -Name prov -ProjectPath /root/dfvm-whatif -WhatIf | Should -BeNullOrEmpty
        (Invoke-DfVmCommand -Name prov -Command 'test -e /root/dfvm-whatif; echo $?').Output | Should -Be '1'
    }

    It 'a relative -ProjectPath is InvalidGuestPath' {
        { Invoke-DfVmProvision -Name prov -ProjectPath 'relative/dir' -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidGuestPath,DfVm.PowerShell.Commands.InvokeDfVmProvisionCommand'
    }

    It 'a provisioning script that fails is ProvisionFailed with its last lines' {
        $err = $null
        Invoke-DfVmProvision -Name prov -ProjectPath '/proc/dfvm-cannot-exist' -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'ProvisionFailed,DfVm.PowerShell.Commands.InvokeDfVmProvisionCommand'
        $err[0].TargetObject | Should -Be 'prov'
    }

    It 'Install-DfVm refuses the running VM, and a direct-boot VM, before touching its disk' {
        { Install-DfVm -Name prov -Unattended -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'VmIsRunning,DfVm.PowerShell.Commands.InstallDfVmCommand'
        Stop-DfVm -Name prov -Force -Confirm:$false
        # Images must not be fetched for a VM that cannot be installed: no mirror is running here.
        { Install-DfVm -Name prov -Unattended -Force -Mirror 'http://127.0.0.1:9/' -ErrorAction Stop } |
            Should -Throw -ErrorId 'NotDragonFlyVm,DfVm.PowerShell.Commands.InstallDfVmCommand'
        { Install-DfVm -Name prov -Force -Mirror 'http://127.0.0.1:9/' -ErrorAction Stop } |
            Should -Throw -ErrorId 'NotDragonFlyVm,DfVm.PowerShell.Commands.InstallDfVmCommand'
        Test-Path (Join-Path $script:project 'vm/prov/disk.qcow2') | Should -BeTrue
    }
}
