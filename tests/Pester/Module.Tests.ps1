# The module itself: manifest, exports, import, errors a person can act on. No VM needed.
Describe 'DfVm module' -Tag Unit {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:manifest = $env:DFVM_MODULE_PATH
    }

    It 'has a valid manifest' {
        $m = Test-ModuleManifest -Path $script:manifest
        $m.CompatiblePSEditions | Should -Contain 'Core'
        $m.PowerShellVersion | Should -Not -BeNullOrEmpty
        $m.PrivateData.PSData.Tags | Should -Contain 'DragonFly'
        $m.PrivateData.PSData.ProjectUri | Should -Not -BeNullOrEmpty
        $m.PrivateData.PSData.ReleaseNotes | Should -Not -BeNullOrEmpty
    }

    It 'exports exactly the cmdlets the manifest lists, all with approved verbs' {
        $listed = (Import-PowerShellDataFile $script:manifest).CmdletsToExport | Sort-Object
        $exported = (Get-Command -Module DfVm -CommandType Cmdlet).Name | Sort-Object
        $exported | Should -Be $listed
        $approved = (Get-Verb).Verb
        foreach ($name in $exported) { $approved | Should -Contain ($name -split '-')[0] }
    }

    It 'imports in a fresh pwsh without warnings' {
        $out = & pwsh -NoProfile -NonInteractive -Command "Import-Module '$($script:manifest)' -WarningVariable w 3>&1; 'warnings=' + `$w.Count"
        $out | Should -Contain 'warnings=0'
    }

    It 'keeps the engine and SSH.NET out of the default load context, output types in it' {
        $out = & pwsh -NoProfile -NonInteractive -Command @"
Import-Module '$($script:manifest)'
`$null = New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) ('alc-' + `$PID)) -Force
Set-Location (Join-Path ([IO.Path]::GetTempPath()) ('alc-' + `$PID))
Get-DfVm -Name nosuch -ErrorAction SilentlyContinue
`$null = [Renci.SshNet.SshClient] 2>`$null
foreach (`$n in 'DfVm.Core', 'DfVm.Models') {
  `$a = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq `$n }
  "`$n=" + [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$a).GetType().Name
}
'type=' + [DfVm.DfVmTestResult].FullName
"@
        $out | Should -Contain 'DfVm.Core=DependencyLoadContext'
        $out | Should -Contain 'DfVm.Models=DefaultAssemblyLoadContext'
        $out | Should -Contain 'type=DfVm.DfVmTestResult'
    }

    It 'the fault tests kill pwsh itself: the child a test starts has the pid that runs pwsh' {
        # `pwsh` on PATH here is the .NET tool's shim, which runs pwsh as a child: a kill of its pid missed.
        $psi = New-PwshStartInfo '-NoProfile', '-NonInteractive', '-Command', '$PID; [Environment]::ProcessPath'
        $psi.RedirectStandardOutput = $true
        $p = [Diagnostics.Process]::Start($psi)
        $out = @($p.StandardOutput.ReadToEnd() -split "`n" | ForEach-Object Trim | Where-Object { $_ })
        $p.WaitForExit()
        $out[0] | Should -Be "$($p.Id)"
        $out[1] | Should -Be $psi.FileName
    }

    It 'declares an output type on every cmdlet' {
        foreach ($c in Get-Command -Module DfVm -CommandType Cmdlet) {
            $c.ImplementingType.GetCustomAttributes([System.Management.Automation.OutputTypeAttribute], $false) | Should -Not -BeNullOrEmpty -Because $c.Name
        }
    }
}

Describe 'Errors without a VM' -Tag Unit {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:project = New-TestProject -VmName nothere
        Push-Location $script:project
    }
    AfterAll { Pop-Location; Remove-TestProject -Path $script:project }

    It 'a literal name that matches nothing is ObjectNotFound, and other names go on' {
        $err = $null
        $out = Get-DfVm -Name nosuch, 'x*' -ErrorVariable err -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -Be 'VmNotFound,DfVm.PowerShell.Commands.GetDfVmCommand'
        $err[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err[0].TargetObject | Should -Be 'nosuch'
        $err[0].ErrorDetails.RecommendedAction | Should -Match 'New-DfVm -Name nosuch'
    }

    It '-ErrorAction Stop turns VmNotFound into a stop' {
        { Start-DfVm -Name nosuch -ErrorAction Stop } | Should -Throw -ErrorId 'VmNotFound,DfVm.PowerShell.Commands.StartDfVmCommand'
    }

    It 'rejects names with separators or dots' {
        { New-DfVm -Name '../evil' -Confirm:$false } | Should -Throw -ErrorId 'ParameterArgumentValidationError,DfVm.PowerShell.Commands.NewDfVmCommand'
    }

    It 'New-DfVm -WhatIf creates nothing' {
        New-DfVm -Name whatif -WhatIf
        Test-Path (Join-Path $script:project 'vm/whatif') | Should -BeFalse
    }

    It 'New-DfVm refuses an existing VM without -Force, replaces it with -Force' {
        New-DfVm -Name twice -DiskSizeGB 1 -Confirm:$false | Out-Null
        { New-DfVm -Name twice -ErrorAction Stop } | Should -Throw -ErrorId 'VmExists,DfVm.PowerShell.Commands.NewDfVmCommand'
        $oldKey = Get-Content (Join-Path $script:project 'vm/twice/id_ed25519.pub')
        New-DfVm -Name twice -DiskSizeGB 2 -Force -Confirm:$false | Out-Null
        Get-Content (Join-Path $script:project 'vm/twice/id_ed25519.pub') | Should -Not -Be $oldKey
        (Get-DfVm twice).DiskSizeGB | Should -Be 2
        Get-ChildItem (Join-Path $script:project 'vm') -Force | Where-Object Name -like '.*' | Should -BeNullOrEmpty
    }

    It 'Remove-DfVm -WhatIf lists what would go and deletes nothing; -Confirm:$false deletes only vm/<name>' {
        New-DfVm -Name gone -DiskSizeGB 1 -Confirm:$false | Out-Null
        $sibling = Join-Path $script:project 'keep.txt'
        Set-Content $sibling 'x'
        $what = Remove-DfVm -Name gone -WhatIf 6>&1 | Out-String
        Test-Path (Join-Path $script:project 'vm/gone') | Should -BeTrue
        Remove-DfVm -Name gone -Confirm:$false
        Test-Path (Join-Path $script:project 'vm/gone') | Should -BeFalse
        Test-Path $sibling | Should -BeTrue
    }

    It 'a bad config file names the file, the line and the key' {
        $dir = Join-Path $script:project 'badcfg'
        New-Item -ItemType Directory $dir | Out-Null
        Set-Content (Join-Path $dir 'DfVm.config.psd1') "@{`n  VmName = 'ok'`n  Cpus = 'many'`n}"
        Push-Location $dir
        try {
            $err = $null
            Get-DfVm -ErrorVariable err -ErrorAction SilentlyContinue
            $e = if ($err) { $err[0] } else { $null }
        }
        catch { $e = $_ }
        finally { Pop-Location }
        $e.FullyQualifiedErrorId | Should -Match '^ConfigInvalid'
        $e.Exception.Message | Should -Match 'DfVm\.config\.psd1:3'
        $e.Exception.Message | Should -Match "'Cpus'"
    }

    It 'a config file cannot run code' {
        $dir = Join-Path $script:project 'evilcfg'
        New-Item -ItemType Directory $dir | Out-Null
        $marker = Join-Path $dir 'ran.txt'
        Set-Content (Join-Path $dir 'DfVm.config.psd1') "@{ VmName = `$(Set-Content '$marker' 1; 'x') }"
        Push-Location $dir
        try { Get-DfVm -ErrorAction SilentlyContinue 2>$null } catch { } finally { Pop-Location }
        Test-Path $marker | Should -BeFalse
    }
}

Describe 'Views and error ids' -Tag Unit {
    BeforeAll { . $PSScriptRoot/TestHelpers.ps1 }

    It 'gives <_> a table view and a list view' -ForEach @(
        'DfVm.DfVmInstance', 'DfVm.DfVmCommandResult', 'DfVm.DfVmTestResult', 'DfVm.DfVmSyncResult',
        'DfVm.DfVmSnapshot', 'DfVm.DfVmImage', 'DfVm.DfVmConfig', 'DfVm.DfVmGuestCheck'
    ) {
        $views = (Get-FormatData -TypeName $_ -PowerShellVersion $PSVersionTable.PSVersion).FormatViewDefinition
        $kinds = $views | ForEach-Object { $_.Control.GetType().Name }
        $kinds | Should -Contain 'TableControl'
        $kinds | Should -Contain 'ListControl'
    }

    It 'has a view for every output type a cmdlet declares' {
        $types = Get-Command -Module DfVm -CommandType Cmdlet | ForEach-Object { $_.OutputType.Name } |
            Where-Object { $_ -like 'DfVm.*' } | Sort-Object -Unique
        foreach ($t in $types) {
            Get-FormatData -TypeName $t -PowerShellVersion $PSVersionTable.PSVersion | Should -Not -BeNullOrEmpty -Because "$t needs a view"
        }
    }

    It 'produces every error id the module defines somewhere in the tests' {
        # Every stable id is a const of DfVm.Core's ErrorIds (the one registry; ErrorIdsTests.cs checks
        # there is no other), read here from the engine the imported module loaded in its own load context.
        $root = Join-Path $PSScriptRoot '../..'
        # Asked of the default context, the engine comes through the module's resolver (ModuleInitializer.cs), as for a cmdlet.
        $core = [Runtime.Loader.AssemblyLoadContext]::Default.LoadFromAssemblyName([Reflection.AssemblyName]::new('DfVm.Core'))
        $core.Location | Should -BeLike "$((Get-Module DfVm).ModuleBase)*" -Because 'the registry of the module under test, not a build of the tests'
        $fields = $core.GetType('DfVm.Core.ErrorIds', $true).GetFields([Reflection.BindingFlags]'Public, Static') | Where-Object IsLiteral
        $ids = $fields | ForEach-Object { [string]$_.GetRawConstantValue() } | Sort-Object -Unique
        $ids.Count | Should -BeGreaterThan 50
        $tests = (Get-ChildItem (Join-Path $root 'tests') -Recurse -Include *.ps1, *.cs | Where-Object FullName -NotMatch '[\\/](bin|obj)[\\/]' | Get-Content -Raw) -join "`n"
        $missing = $ids | Where-Object { $tests -notmatch "\b$_\b" }
        $missing | Should -BeNullOrEmpty -Because 'each error id must be produced and asserted by a test'
    }

    It 'declares error ids only in the registry, in the cmdlets as in the engine' {
        # DfVm.Core's own types are checked by ErrorIdsTests.cs; the cmdlet assembly needs PowerShell loaded.
        $core = [Runtime.Loader.AssemblyLoadContext]::Default.LoadFromAssemblyName([Reflection.AssemblyName]::new('DfVm.Core'))
        $registry = $core.GetType('DfVm.Core.ErrorIds', $true)
        $ids = $registry.GetFields([Reflection.BindingFlags]'Public, Static') | ForEach-Object { [string]$_.GetRawConstantValue() }
        $flags = [Reflection.BindingFlags]'Public, NonPublic, Static, DeclaredOnly'
        $copies = foreach ($t in @((Get-Module DfVm).ImplementingAssembly.GetTypes()) + @($core.GetTypes())) {
            if ($t -eq $registry) { continue }
            if ($t.Name -like '*ErrorIds') { $t.FullName }
            $t.GetFields($flags) | Where-Object { $_.IsLiteral -and $_.FieldType -eq [string] -and $ids -ccontains $_.GetRawConstantValue() } |
                ForEach-Object { "$($t.FullName).$($_.Name)" }
        }
        $copies | Should -BeNullOrEmpty -Because 'every id is declared once, in DfVm.Core.ErrorIds'
    }
}
