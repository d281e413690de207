# New-DfVmConfig / Get-DfVmConfig: the commented template, the round trip, discovery from a subfolder. No VM needed.
Describe 'New-DfVmConfig and Get-DfVmConfig' -Tag Unit {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:root = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-cfg-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        New-Item -ItemType Directory $script:root | Out-Null
        function New-EmptyDir([string] $Name) {
            $d = Join-Path $script:root $Name
            New-Item -ItemType Directory $d | Out-Null
            return $d
        }
    }
    AfterAll { Remove-Item $script:root -Recurse -Force -ErrorAction SilentlyContinue }

    It 'writes a commented DfVm.config.psd1 with every default spelled out and outputs it read back' {
        $dir = New-EmptyDir 'myproj'
        $cfg = New-DfVmConfig -Path $dir -Confirm:$false
        $file = Join-Path $dir 'DfVm.config.psd1'
        $cfg.GetType().FullName | Should -Be 'DfVm.DfVmConfig'
        $cfg.Path | Should -Be $file
        $cfg.ProjectRoot | Should -Be $dir
        $cfg.VmName | Should -Be 'dfly'
        $cfg.VmDirectory | Should -Be (Join-Path $dir 'vm')
        $cfg.DragonFlyVersion | Should -Be '6.4.2'
        $cfg.DiskSizeGB | Should -Be 20
        $cfg.MemoryMB | Should -Be 2048
        $cfg.Cpus | Should -Be 2
        $cfg.SshPort | Should -Be 0
        $cfg.SshUser | Should -Be 'root'
        $cfg.GuestProjectPath | Should -Be '/root/myproj'
        $cfg.SyncExclude.Count | Should -Be 0
        $cfg.SyncIncludeGit | Should -BeFalse
        $cfg.BuildCommand | Should -Be 'go build ./...'

        $text = Get-Content $file -Raw
        foreach ($key in 'VmName', 'VmDirectory', 'DragonFlyVersion', 'DiskSizeGB', 'MemoryMB', 'Cpus', 'SshPort', 'SshUser',
            'GuestProjectPath', 'SyncExclude', 'SyncIncludeGit', 'BuildCommand', 'Suites') {
            $text | Should -Match "(?m)^\s+$key\s+=" -Because "$key is spelled out"
        }
        $text | Should -Match "SshPort\s+= 'Auto'"
        ([regex]::Matches($text, '(?m)^\s*#')).Count | Should -BeGreaterThan 10
        # the file is plain data PowerShell itself can read
        (Import-PowerShellDataFile $file).Suites.Phase4.Elevate | Should -BeTrue
    }

    It 'a name or version with a trailing newline is refused, not written (a regex ending in $ would accept it)' {
        $dir = New-EmptyDir 'newline'
        { New-DfVmConfig -Path $dir -VmName "dfly`n" -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,DfVm.PowerShell.Commands.NewDfVmConfigCommand'
        { New-DfVmConfig -Path $dir -DragonFlyVersion "6.4.2`n" -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,DfVm.PowerShell.Commands.NewDfVmConfigCommand'
        Test-Path (Join-Path $dir 'DfVm.config.psd1') | Should -BeFalse
    }

    It 'the suites are the defaults of DESIGN.md' {
        $cfg = Get-DfVmConfig -Path (Join-Path $script:root 'myproj')
        $defaults = $cfg.GetType()::DefaultSuites()   # [DfVm.DfVmConfig] does not resolve: the engine loads in its own context
        ($cfg.Suites.Keys | Sort-Object) | Should -Be ($defaults.Keys | Sort-Object)
        foreach ($name in $defaults.Keys) {
            $cfg.Suites[$name].Command | Should -Be $defaults[$name].Command
            $cfg.Suites[$name].Elevate | Should -Be $defaults[$name].Elevate
            @($cfg.Suites[$name].Include) -join ',' | Should -Be (@($defaults[$name].Include) -join ',')
        }
        $cfg.Suites['All'].Include | Should -Be @('Unit', 'Integration', 'Phase4', 'E2E')
        $cfg.Suites['Unit'].Command | Should -Be 'go test -json -short ./...'
    }

    It 'refuses to overwrite without -Force (ConfigExists) and replaces with -Force' {
        $dir = Join-Path $script:root 'myproj'
        $file = Join-Path $dir 'DfVm.config.psd1'
        (Get-Content $file -Raw).Replace('MemoryMB         = 2048', 'MemoryMB         = 4096') | Set-Content $file
        $e = { New-DfVmConfig -Path $dir -ErrorAction Stop } | Should -Throw -ErrorId 'ConfigExists,DfVm.PowerShell.Commands.NewDfVmConfigCommand' -PassThru
        $e.CategoryInfo.Category | Should -Be 'ResourceExists'
        $e.Exception.Message | Should -Match 'New-DfVmConfig -Force'
        (Get-DfVmConfig -Path $dir).MemoryMB | Should -Be 4096
        (New-DfVmConfig -Path $dir -Force -Confirm:$false).MemoryMB | Should -Be 2048
        Get-ChildItem $dir -Force | ForEach-Object Name | Should -Be @('DfVm.config.psd1')
    }

    It 'writes the values given as parameters, quoted safely' {
        $dir = New-EmptyDir 'params'
        $cfg = New-DfVmConfig -Path $dir -VmName dfly-642 -DragonFlyVersion 6.4.2 -GuestProjectPath "/srv/it's here" -Confirm:$false
        $cfg.VmName | Should -Be 'dfly-642'
        $cfg.DragonFlyVersion | Should -Be '6.4.2'
        $cfg.GuestProjectPath | Should -Be "/srv/it's here"
        (Get-DfVmConfig -Path $dir).GuestProjectPath | Should -Be "/srv/it's here"
        { New-DfVmConfig -Path $dir -VmName '../x' -Force } | Should -Throw -ErrorId 'ParameterArgumentValidationError,DfVm.PowerShell.Commands.NewDfVmConfigCommand'
    }

    It '-WhatIf writes nothing and outputs nothing' {
        $dir = New-EmptyDir 'whatif'
        $out = New-DfVmConfig -Path $dir -WhatIf
        $out | Should -BeNullOrEmpty
        Get-ChildItem $dir -Force | Should -BeNullOrEmpty
    }

    It 'defaults to the current folder' {
        $dir = New-EmptyDir 'here'
        Push-Location $dir
        try { $cfg = New-DfVmConfig -Confirm:$false } finally { Pop-Location }
        $cfg.Path | Should -Be (Join-Path $dir 'DfVm.config.psd1')
        $cfg.GuestProjectPath | Should -Be '/root/here'
    }

    It 'Get-DfVmConfig finds the config walking up from a subfolder' {
        $dir = Join-Path $script:root 'myproj'
        $deep = New-Item -ItemType Directory (Join-Path $dir 'a/b/c')
        Push-Location $deep
        try { $cfg = Get-DfVmConfig } finally { Pop-Location }
        $cfg.Path | Should -Be (Join-Path $dir 'DfVm.config.psd1')
        $cfg.ProjectRoot | Should -Be $dir
        (Get-DfVmConfig -Path $deep.FullName).Path | Should -Be $cfg.Path
        (Get-Item $cfg.Path | Get-DfVmConfig).Path | Should -Be $cfg.Path
    }

    It 'Get-DfVmConfig gives the defaults with Path $null when there is no config' {
        $dir = New-EmptyDir 'none'
        Push-Location $dir
        try { $cfg = Get-DfVmConfig } finally { Pop-Location }
        $cfg.GetType().FullName | Should -Be 'DfVm.DfVmConfig'
        $cfg.Path | Should -BeNullOrEmpty
        $cfg.ProjectRoot | Should -Be $dir
        $cfg.VmName | Should -Be 'dfly'
        $cfg.Suites.Count | Should -Be 5
    }

    It 'a config edited by hand round-trips, and a bad one is ConfigInvalid with file and line' {
        $dir = New-EmptyDir 'edited'
        Set-Content (Join-Path $dir 'DfVm.config.psd1') @'
@{
    VmName = 'edited'
    MemoryMB = 3072
    SyncExclude = 'bin/', '*.log'
    Suites = @{
        Quick = @{ Command = 'go test -json -short ./pkg/...' }
        Root  = @{ Command = 'go test -json ./root/...'; Elevate = $true }
        Both  = @{ Include = 'Quick', 'Root' }
    }
}
'@
        $cfg = Get-DfVmConfig -Path $dir
        $cfg.VmName | Should -Be 'edited'
        $cfg.MemoryMB | Should -Be 3072
        $cfg.SyncExclude | Should -Be @('bin/', '*.log')
        ($cfg.Suites.Keys | Sort-Object) | Should -Be @('Both', 'Quick', 'Root')
        $cfg.Suites['Both'].Include | Should -Be @('Quick', 'Root')
        $cfg.GuestProjectPath | Should -BeNullOrEmpty

        Set-Content (Join-Path $dir 'DfVm.config.psd1') "@{`n  VmName = 'edited'`n  Suites = @{ X = @{ Include = 'Nope' } }`n}"
        $err = $null
        Get-DfVmConfig -Path $dir -ErrorVariable err -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -Be 'ConfigInvalid,DfVm.PowerShell.Commands.GetDfVmConfigCommand'
        $err[0].Exception.Message | Should -Match 'DfVm\.config\.psd1:3'
        $err[0].Exception.Message | Should -Match "includes 'Nope'"
        $err[0].ErrorDetails.RecommendedAction | Should -Match '^Correct line 3 of .*DfVm\.config\.psd1'
    }

    It 'a -Path that does not exist is PathNotFound' {
        { Get-DfVmConfig -Path (Join-Path $script:root 'nosuch') -ErrorAction Stop } | Should -Throw -ErrorId 'PathNotFound,DfVm.PowerShell.Commands.GetDfVmConfigCommand'
    }
}
