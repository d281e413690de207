# Help: docs/cmdlets/*.md become en-US/DfVm.dll-Help.xml and about_DfVm.help.txt at build time
# (tools/ConvertTo-Maml.ps1). These tests check the built help against the built cmdlets, so a
# parameter added in code without a '### -Param' section (or a section left behind after a rename)
# fails here, naming the difference. Only EXPORTED cmdlets are walked: docs written ahead of a
# cmdlet are linted for shape only.

BeforeDiscovery {
    . $PSScriptRoot/TestHelpers.ps1
    $script:cmdletCases = @(Get-Command -Module DfVm -CommandType Cmdlet | Sort-Object Name | ForEach-Object { @{ Name = $_.Name } })
    $script:markdownCases = @(Get-ChildItem (Join-Path $PSScriptRoot '../../docs/cmdlets') -Filter '*-*.md' | Sort-Object Name |
            ForEach-Object { @{ Name = $_.BaseName; Path = $_.FullName } })
}

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    $script:docs = (Resolve-Path (Join-Path $PSScriptRoot '../../docs/cmdlets')).ProviderPath
    $script:moduleDir = Split-Path -Parent (Get-Module DfVm).Path
    $script:common = [System.Management.Automation.Cmdlet]::CommonParameters

    function Get-MarkdownSection([string] $Path) {
        # '## HEADING' -> its lines, ignoring headings inside fenced code.
        $sections = [ordered]@{}
        $current = $null
        $fence = $false
        foreach ($line in [IO.File]::ReadAllLines($Path)) {
            if ($line -match '^\s*```') { $fence = -not $fence }
            if (-not $fence -and $line -match '^## (.+)$') {
                $current = $Matches[1].Trim().ToUpperInvariant()
                $sections[$current] = [System.Collections.Generic.List[string]]::new()
                continue
            }
            if ($current) { $sections[$current].Add($line) }
        }
        return $sections
    }

    function Get-MarkdownParameter([string] $Path) {
        # '### -Param' sections of '## PARAMETERS': name -> the first yaml block as a hashtable.
        $result = [ordered]@{}
        $lines = (Get-MarkdownSection $Path)['PARAMETERS']
        if (-not $lines) { return $result }
        $name = $null
        $inYaml = $false
        $fence = $false
        foreach ($line in $lines) {
            if (-not $fence -and $line -match '^### -(\S+)\s*$') { $name = $Matches[1]; $result[$name] = $null; continue }
            if (-not $fence -and $line -match '^### ') { $name = $null; continue }
            if ($line -match '^\s*```(\S*)') {
                $fence = -not $fence
                $inYaml = $fence -and $Matches[1] -eq 'yaml' -and $name -and $null -eq $result[$name]
                if ($inYaml) { $result[$name] = [ordered]@{} }
                continue
            }
            if ($inYaml -and $line -match '^\s*([^:]+?)\s*:\s*(.*?)\s*$') { $result[$name][$Matches[1]] = $Matches[2] }
        }
        return $result
    }

    function Get-RealParameter([string] $Name) {
        # Non-common parameters of the built cmdlet (WhatIf and Confirm count: they are documented).
        $cmd = Get-Command $Name
        foreach ($p in $cmd.Parameters.Values) {
            if ($script:common -contains $p.Name) { continue }
            $entries = @(foreach ($s in $cmd.ParameterSets) { $s.Parameters | Where-Object Name -EQ $p.Name })
            $t = $p.ParameterType
            $u = [Nullable]::GetUnderlyingType($t)
            if ($u) { $t = $u }
            $pipe = @()
            if (@($entries | Where-Object ValueFromPipelineByPropertyName).Count) { $pipe += 'ByPropertyName' }
            if (@($entries | Where-Object ValueFromPipeline).Count) { $pipe += 'ByValue' }
            $positional = @($entries | Where-Object { $_.Position -ge 0 } | Select-Object -First 1)
            [pscustomobject]@{
                Name      = $p.Name
                Type      = $t.Name
                Required  = @($entries | Where-Object { -not $_.IsMandatory }).Count -eq 0
                Position  = if ($positional) { [string]$positional[0].Position } else { 'Named' }
                Pipeline  = $pipe
                Wildcards = [bool]@($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }).Count
            }
        }
    }

    function Get-Text($Node) {
        # Text of a help node (description, para list) as one string.
        return (@($Node) | ForEach-Object { if ($_ -is [string]) { $_ } elseif ($_.PSObject.Properties['Text']) { $_.Text } else { "$_" } }) -join "`n"
    }
}

Describe 'Help of <Name>' -Tag Unit -ForEach $cmdletCases {
    BeforeAll {
        $script:help = Get-Help $Name -Full
        $script:md = Join-Path $script:docs "$Name.md"
        $script:real = @(Get-RealParameter $Name)
    }

    It 'has a markdown file' {
        Test-Path $script:md | Should -BeTrue -Because "every exported cmdlet needs docs/cmdlets/$Name.md"
    }

    It 'has a synopsis and a description' {
        $syn = "$($script:help.Synopsis)".Trim()
        $syn | Should -Not -BeNullOrEmpty
        # Without MAML, Get-Help makes the synopsis from the syntax: that is not help.
        $syn | Should -Not -Match ([regex]::Escape($Name) + ' \[')
        (Get-Text $script:help.description).Trim() | Should -Not -BeNullOrEmpty
    }

    It 'has at least two examples, each with code' {
        $examples = @($script:help.examples.example)
        $examples.Count | Should -BeGreaterOrEqual 2
        foreach ($e in $examples) { "$($e.code)".Trim() | Should -Not -BeNullOrEmpty -Because $e.title }
    }

    It 'describes every parameter in Get-Help' {
        $described = @{}
        foreach ($p in @($script:help.parameters.parameter)) { $described[$p.name] = (Get-Text $p.description).Trim() }
        $without = @($script:real.Name | Where-Object { -not $described[$_] })
        $without | Should -BeNullOrEmpty -Because "Get-Help $Name -Full shows no text for these parameters"
    }

    It 'has one ### -Param section per real parameter, and none for parameters it lacks' {
        $documented = @((Get-MarkdownParameter $script:md).Keys)
        $missing = @($script:real.Name | Where-Object { $_ -notin $documented })
        $extra = @($documented | Where-Object { $_ -notin $script:real.Name })
        $problems = @()
        if ($missing) { $problems += "parameters without a '### -Param' section: $($missing -join ', ')" }
        if ($extra) { $problems += "sections naming no parameter of the cmdlet: $($extra -join ', ')" }
        ($problems -join '; ') | Should -BeNullOrEmpty -Because "$Name.md must match the built cmdlet"
    }

    It 'has yaml blocks that agree with the code (type, required, position, pipeline, wildcards)' {
        $yaml = Get-MarkdownParameter $script:md
        $problems = foreach ($r in $script:real) {
            if (-not $yaml.Contains($r.Name)) { continue }  # reported by the test above
            $y = $yaml[$r.Name]
            if ($null -eq $y) { "-$($r.Name): no yaml block"; continue }
            if ($y['Type'] -ne $r.Type) { "-$($r.Name): Type is '$($y['Type'])', the code says '$($r.Type)'" }
            if ($y['Required'] -ne "$($r.Required)") { "-$($r.Name): Required is '$($y['Required'])', the code says '$($r.Required)'" }
            if ($y['Position'] -ne $r.Position) { "-$($r.Name): Position is '$($y['Position'])', the code says '$($r.Position)'" }
            $pipe = if ($r.Pipeline) { "True ($($r.Pipeline -join ', '))" } else { 'False' }
            if ($y['Accept pipeline input'] -ne $pipe) { "-$($r.Name): Accept pipeline input is '$($y['Accept pipeline input'])', the code says '$pipe'" }
            if ($y['Accept wildcard characters'] -ne "$($r.Wildcards)") { "-$($r.Name): Accept wildcard characters is '$($y['Accept wildcard characters'])', the code says '$($r.Wildcards)'" }
        }
        (@($problems) -join '; ') | Should -BeNullOrEmpty
    }

    It 'lists each parameter set in the MAML syntax' {
        $cmd = Get-Command $Name
        $items = @((Get-Help $Name).syntax.syntaxItem)
        $items.Count | Should -Be @($cmd.ParameterSets).Count
        $shown = @($items | ForEach-Object { (@($_.parameter | ForEach-Object name) | Sort-Object) -join ',' })
        foreach ($set in $cmd.ParameterSets) {
            $want = (@($set.Parameters.Name | Where-Object { $script:common -notcontains $_ }) | Sort-Object) -join ','
            $shown | Should -Contain $want -Because "parameter set '$($set.Name)' of $Name"
        }
    }

    It 'names its output types under OUTPUTS' {
        $declared = @((Get-Command $Name).OutputType | ForEach-Object { $_.Type.FullName } | Where-Object { $_ -and $_ -ne 'System.Void' })
        $documented = @($script:help.returnValues.returnValue | ForEach-Object { $_.type.name })
        foreach ($t in $declared) { $documented | Should -Contain $t }
        $documented | Should -Not -BeNullOrEmpty
    }
}

Describe 'Markdown <Name>.md' -Tag Unit -ForEach $markdownCases {
    # Shape only, for every file, including cmdlets that are documented before they are built.
    BeforeAll {
        $script:text = [IO.File]::ReadAllText($Path)
        $script:sections = Get-MarkdownSection $Path
    }

    It 'has PlatyPS v1 front matter and its title is the file name' {
        $script:text | Should -Match '(?s)^---\s*\n.*external help file: DfVm\.dll-Help\.xml.*Module Name: DfVm.*schema: 2\.0\.0.*\n---'
        $script:text | Should -Match "(?m)^# $([regex]::Escape($Name))\s*$"
    }

    It 'has every section' {
        foreach ($s in 'SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS') {
            $script:sections.Contains($s) | Should -BeTrue -Because "## $s"
            (($script:sections[$s] -join "`n").Trim()) | Should -Not -BeNullOrEmpty -Because "## $s is empty"
        }
    }

    It 'has at least two examples, each with a powershell block' {
        $ex = ($script:sections['EXAMPLES'] -join "`n") -split '(?m)^### ' | Select-Object -Skip 1
        @($ex).Count | Should -BeGreaterOrEqual 2
        foreach ($e in $ex) { $e | Should -Match '```powershell' -Because ($e -split "`n")[0] }
    }

    It 'has a yaml block for every parameter and a CommonParameters section' {
        $params = Get-MarkdownParameter $Path
        @($params.Keys).Count | Should -BeGreaterThan 0
        foreach ($k in $params.Keys) { $params[$k] | Should -Not -BeNullOrEmpty -Because "-$k needs a yaml block" }
        ($script:sections['PARAMETERS'] -join "`n") | Should -Match '(?m)^### CommonParameters'
    }

    It 'names a DfVm or .NET type under OUTPUTS' {
        ($script:sections['OUTPUTS'] -join "`n") | Should -Match '(?m)^### (DfVm\.\w+|System\.[\w.]+|None)\s*$'
    }
}

Describe 'tools/ConvertTo-Maml.ps1' -Tag Unit {
    BeforeAll {
        $script:tool = Join-Path $PSScriptRoot '../../tools/ConvertTo-Maml.ps1'
        $script:tmp = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-help-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        New-Item -ItemType Directory -Path $script:tmp | Out-Null
    }
    AfterAll { Remove-Item $script:tmp -Recurse -Force -ErrorAction SilentlyContinue }

    It 'fails, naming the cmdlet, when an exported cmdlet has no markdown file' {
        $victim = (Get-Command -Module DfVm -CommandType Cmdlet | Sort-Object Name | Select-Object -First 1).Name
        $docs = New-Item -ItemType Directory -Path (Join-Path $script:tmp 'docs')
        Get-ChildItem $script:docs -Filter '*.md' | Where-Object BaseName -NE $victim | Copy-Item -Destination $docs
        $out = & pwsh -NoProfile -NonInteractive -File $script:tool -DocsPath $docs -ModulePath $script:moduleDir -OutputPath (Join-Path $script:tmp 'en-US') 2>&1
        $LASTEXITCODE | Should -Not -Be 0
        # pwsh's Concise error view colours the error and wraps the message to the console width
        # behind a '| ' gutter: take off the colour codes and the gutter, and join the lines,
        # before matching the whole sentence.
        $text = (@($out | ForEach-Object { "$_" -replace '\x1b\[[0-9;]*m', '' -replace '^\s*\|\s?', '' }) -join ' ') -replace '\s+', ' '
        $text | Should -Match "no help markdown for exported cmdlet\(s\): $([regex]::Escape($victim))\b"
    }

    It 'writes MAML that loads, one command per exported cmdlet' {
        $out = Join-Path $script:tmp 'ok'
        & pwsh -NoProfile -NonInteractive -File $script:tool -DocsPath $script:docs -ModulePath $script:moduleDir -OutputPath $out *> $null
        $LASTEXITCODE | Should -Be 0
        [xml] $xml = Get-Content (Join-Path $out 'DfVm.dll-Help.xml') -Raw
        @($xml.helpItems.command).Count | Should -Be @(Get-Command -Module DfVm -CommandType Cmdlet).Count
        Test-Path (Join-Path $out 'about_DfVm.help.txt') | Should -BeTrue
    }
}

Describe 'about_DfVm' -Tag Unit {
    It 'is built into en-US as about_DfVm.help.txt' {
        $file = Join-Path $script:moduleDir 'en-US/about_DfVm.help.txt'
        Test-Path $file | Should -BeTrue
        $text = Get-Content $file -Raw
        $text | Should -Match '(?m)^TOPIC\s*\n\s+about_DfVm'
        $text | Should -Match '(?m)^SHORT DESCRIPTION'
        $text | Should -Match '(?m)^LONG DESCRIPTION'
        $text | Should -Not -Match '```'
    }

    It 'is found by Get-Help about_DfVm when the module folder is on PSModulePath' {
        $parent = Split-Path -Parent $script:moduleDir
        $sep = [IO.Path]::PathSeparator
        $out = & pwsh -NoProfile -NonInteractive -Command "`$env:PSModulePath = '$parent' + '$sep' + `$env:PSModulePath; Get-Help about_DfVm | Out-String -Width 200"
        $LASTEXITCODE | Should -Be 0
        ($out -join "`n") | Should -Match 'Invoke-DfVmTest -Suite Phase4'
    }

    It 'maps every seed make target to a cmdlet' {
        $text = Get-Content (Join-Path $script:docs 'about_DfVm.md') -Raw
        $targets = 'vm-setup', 'vm-install', 'vm-auto-install', 'vm-snapshot', 'vm-start', 'vm-stop', 'vm-destroy', 'vm-restore',
        'vm-ssh', 'vm-status', 'vm-sync', 'vm-build', 'vm-test-unit', 'vm-test-integration', 'vm-test-phase4', 'vm-test-e2e',
        'vm-test-all', 'vm-quick', 'vm-help'
        foreach ($t in $targets) { $text | Should -Match "(?m)^\|\s*``make $t``\s*\|" -Because "the table needs a row for make $t" }
    }
}
