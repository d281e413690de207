#Requires -Version 7.2
<#
.SYNOPSIS
    Turns docs/cmdlets/*.md (PlatyPS v1 markdown) into the module's MAML help and about_ topic.
.DESCRIPTION
    PlatyPS is not needed: this script reads its v1 markdown format itself.

    For every cmdlet the BUILT module exports, it reads docs/cmdlets/<Verb-Noun>.md and writes
    one <OutputPath>/DfVm.dll-Help.xml. Prose (synopsis, description, parameter descriptions,
    examples, inputs, outputs, notes, links) comes from the markdown. Everything the code knows
    comes from the code: the SYNTAX is generated from the cmdlet's parameter sets, and each
    parameter's type, required, position, pipeline input and wildcard support come from
    Get-Command metadata, never from the markdown's SYNTAX section or yaml blocks.

    The module is imported in a child pwsh, so the calling session (build.ps1) never loads
    DfVm.dll and can rebuild it.

    docs/cmdlets/about_DfVm.md becomes <OutputPath>/about_DfVm.help.txt (plain text).

    Exit code 1, with a message naming the cmdlet, when an exported cmdlet has no markdown file
    or its markdown lacks SYNOPSIS or DESCRIPTION. A parameter documented but not real (or real
    but undocumented) is a warning here; tests/Pester/Help.Tests.ps1 makes it a failure.
.EXAMPLE
    pwsh ./tools/ConvertTo-Maml.ps1 -DocsPath docs/cmdlets -ModulePath out/DfVm -OutputPath out/DfVm/en-US
#>
[CmdletBinding()]
param(
    # Folder of <Verb-Noun>.md files and about_*.md files.
    [Parameter(Mandatory)] [string] $DocsPath,
    # The built module folder (holding <ModuleName>.psd1), or the .psd1 itself.
    [Parameter(Mandatory)] [string] $ModulePath,
    # Where DfVm.dll-Help.xml and about_*.help.txt are written (created if missing).
    [Parameter(Mandatory)] [string] $OutputPath,
    [string] $ModuleName = 'DfVm'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$NsMaml = 'http://schemas.microsoft.com/maml/2004/10'
$NsCommand = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$NsDev = 'http://schemas.microsoft.com/maml/dev/2004/10'
$NsMsHelp = 'http://msdn.microsoft.com/mshelp'

function Stop-WithError([string] $Message) {
    # A terminating error, not 'exit': build.ps1 runs this script with '&', where an exit code
    # would go unnoticed but a throw stops the build. Run as 'pwsh -File', it exits with 1.
    throw "ConvertTo-Maml: $Message"
}

# ---------------------------------------------------------------- cmdlet metadata (child pwsh)

function Get-CmdletMetadata([string] $Manifest) {
    # Runs in a child pwsh: imports the built module and describes every exported cmdlet as JSON.
    $probe = {
        $ErrorActionPreference = 'Stop'
        $m = Import-Module $env:DFVM_MAML_MODULE -PassThru -WarningAction SilentlyContinue
        $common = [System.Management.Automation.Cmdlet]::CommonParameters
        $all = foreach ($c in Get-Command -Module $m.Name -CommandType Cmdlet | Sort-Object Name) {
            $params = foreach ($p in $c.Parameters.Values) {
                if ($common -contains $p.Name) { continue }
                $t = $p.ParameterType
                $u = [Nullable]::GetUnderlyingType($t)
                if ($u) { $t = $u }
                [ordered]@{
                    Name         = $p.Name
                    TypeName     = $t.Name
                    TypeFullName = $t.FullName
                    IsSwitch     = $t -eq [System.Management.Automation.SwitchParameter]
                    Wildcards    = [bool]@($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }).Count
                    Aliases      = @($p.Aliases)
                    ValidValues  = @($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | ForEach-Object ValidValues)
                }
            }
            $sets = foreach ($s in $c.ParameterSets) {
                [ordered]@{
                    Name       = $s.Name
                    IsDefault  = $s.IsDefault
                    Parameters = @(foreach ($p in $s.Parameters) {
                            if ($common -contains $p.Name) { continue }
                            [ordered]@{
                                Name           = $p.Name
                                Mandatory      = $p.IsMandatory
                                Position       = $p.Position
                                ByValue        = $p.ValueFromPipeline
                                ByPropertyName = $p.ValueFromPipelineByPropertyName
                            }
                        })
                }
            }
            [ordered]@{
                Name          = $c.Name
                Verb          = $c.Verb
                Noun          = $c.Noun
                HelpFile      = $c.HelpFile
                Parameters    = @($params)
                ParameterSets = @($sets)
            }
        }
        ConvertTo-Json -InputObject @($all) -Depth 10 -Compress
    }
    $saved = $env:DFVM_MAML_MODULE
    $env:DFVM_MAML_MODULE = $Manifest
    try {
        $json = & pwsh -NoProfile -NonInteractive -Command $probe.ToString()
        if ($LASTEXITCODE -ne 0) { Stop-WithError "importing $Manifest in a child pwsh failed (exit $LASTEXITCODE)." }
    }
    finally { $env:DFVM_MAML_MODULE = $saved }
    return @(($json -join "`n") | ConvertFrom-Json)
}

# ---------------------------------------------------------------- markdown reading

function Split-FrontMatter([string[]] $Lines) {
    $meta = [ordered]@{}
    if ($Lines.Count -gt 0 -and $Lines[0].Trim() -eq '---') {
        for ($i = 1; $i -lt $Lines.Count; $i++) {
            if ($Lines[$i].Trim() -eq '---') {
                return @{ Meta = $meta; Body = @($Lines | Select-Object -Skip ($i + 1)) }
            }
            if ($Lines[$i] -match '^\s*([^:]+?)\s*:\s*(.*?)\s*$') { $meta[$Matches[1]] = $Matches[2] }
        }
    }
    return @{ Meta = $meta; Body = $Lines }
}

function Split-Heading([string[]] $Lines, [string] $Marker) {
    # Splits lines at headings that start with $Marker ('## ', '### '), ignoring fenced code.
    # Returns the text before the first heading as 'Preamble' and one entry per heading.
    $parts = [System.Collections.Generic.List[object]]::new()
    $current = [pscustomobject]@{ Heading = ''; Lines = [System.Collections.Generic.List[string]]::new() }
    $preamble = $current
    $fence = $false
    foreach ($line in $Lines) {
        if ($line -match '^\s*```') { $fence = -not $fence }
        if (-not $fence -and $line.StartsWith($Marker)) {
            $current = [pscustomobject]@{ Heading = $line.Substring($Marker.Length).Trim(); Lines = [System.Collections.Generic.List[string]]::new() }
            $parts.Add($current)
            continue
        }
        $current.Lines.Add($line)
    }
    return @{ Preamble = @($preamble.Lines); Parts = @($parts) }
}

function Get-Block([string[]] $Lines) {
    # The lines as blocks: fenced code (Kind 'code', with its language) and paragraphs (Kind 'text').
    $blocks = [System.Collections.Generic.List[object]]::new()
    $buffer = [System.Collections.Generic.List[string]]::new()
    $fenceLang = $null
    $flush = {
        if ($buffer.Count -gt 0) {
            $blocks.Add([pscustomobject]@{ Kind = 'text'; Lang = ''; Text = ($buffer -join "`n") })
            $buffer.Clear()
        }
    }
    foreach ($line in $Lines) {
        if ($null -ne $fenceLang) {
            if ($line -match '^\s*```\s*$') {
                $blocks.Add([pscustomobject]@{ Kind = 'code'; Lang = $fenceLang; Text = ($buffer -join "`n") })
                $buffer.Clear()
                $fenceLang = $null
            }
            else { $buffer.Add($line) }
            continue
        }
        if ($line -match '^\s*```\s*(\S*)') {
            & $flush
            $fenceLang = $Matches[1].ToLowerInvariant()
            continue
        }
        if ($line.Trim() -eq '') { & $flush; continue }
        $buffer.Add($line.TrimEnd())
    }
    if ($null -ne $fenceLang) { throw "unclosed ``````$fenceLang code fence" }
    & $flush
    return @($blocks)
}

function ConvertFrom-Inline([string] $Text) {
    # Markdown inline markup to console text.
    $t = [regex]::Replace($Text, '\[([^\]]+)\]\(([^)]+)\)', '$1 ($2)')
    $t = [regex]::Replace($t, '\[([^\]]+)\]\(\)', '$1')
    $t = [regex]::Replace($t, '\*\*([^*]+)\*\*', '$1')
    $t = [regex]::Replace($t, '`([^`]+)`', '$1')
    return $t
}

function Test-Structured([string] $Text) {
    # Lists and tables keep their line breaks; ordinary paragraphs are joined into one line.
    foreach ($l in $Text -split "`n") {
        if ($l -match '^\s*([-*+]|\d+\.)\s' -or $l -match '^\s*\|') { return $true }
    }
    return $false
}

function ConvertTo-Paragraph([string[]] $Lines) {
    # Markdown prose to paragraphs of console text (code blocks kept verbatim).
    $paras = foreach ($b in Get-Block $Lines) {
        if ($b.Kind -eq 'code') { $b.Text; continue }
        if (Test-Structured $b.Text) {
            (($b.Text -split "`n") | Where-Object { $_ -notmatch '^\s*\|[-:| ]+\|\s*$' } | ForEach-Object { ConvertFrom-Inline $_ }) -join "`n"
        }
        else {
            ConvertFrom-Inline ((($b.Text -split "`n") | ForEach-Object Trim) -join ' ')
        }
    }
    return @($paras)
}

function Read-YamlBlock([string] $Text) {
    $map = [ordered]@{}
    foreach ($l in $Text -split "`n") {
        if ($l -match '^\s*([^:#][^:]*?)\s*:\s*(.*?)\s*$') { $map[$Matches[1]] = $Matches[2] }
    }
    return $map
}

function Read-CmdletMarkdown([string] $Path) {
    $lines = [IO.File]::ReadAllLines($Path)
    $fm = Split-FrontMatter $lines
    $h1 = @($fm.Body | Where-Object { $_ -match '^# ' } | Select-Object -First 1)
    $sections = Split-Heading $fm.Body '## '
    $doc = [ordered]@{
        Path        = $Path
        Meta        = $fm.Meta
        Title       = if ($h1) { $h1[0].Substring(2).Trim() } else { '' }
        Synopsis    = @()
        Description = @()
        Examples    = @()
        Parameters  = [ordered]@{}
        Inputs      = @()
        Outputs     = @()
        Notes       = @()
        Links       = @()
    }
    foreach ($s in $sections.Parts) {
        switch ($s.Heading.ToUpperInvariant()) {
            'SYNOPSIS' { $doc.Synopsis = ConvertTo-Paragraph $s.Lines }
            'SYNTAX' { }  # generated from the built cmdlet, never read
            'DESCRIPTION' { $doc.Description = ConvertTo-Paragraph $s.Lines }
            'EXAMPLES' {
                $doc.Examples = @(foreach ($e in (Split-Heading $s.Lines '### ').Parts) {
                        $blocks = @(Get-Block $e.Lines)
                        $code = @($blocks | Where-Object Kind -EQ 'code')
                        $prose = @($blocks | Where-Object Kind -EQ 'text' | ForEach-Object { ConvertTo-Paragraph ($_.Text -split "`n") })
                        [pscustomobject]@{
                            Title   = $e.Heading
                            Code    = if ($code.Count -gt 0) { $code[0].Text } else { '' }
                            Output  = @($code | Select-Object -Skip 1 | ForEach-Object Text)
                            Remarks = $prose
                        }
                    })
            }
            'PARAMETERS' {
                foreach ($p in (Split-Heading $s.Lines '### ').Parts) {
                    if ($p.Heading -notmatch '^-(\S+)$') { continue }  # CommonParameters
                    $blocks = @(Get-Block $p.Lines)
                    $yaml = @($blocks | Where-Object { $_.Kind -eq 'code' -and $_.Lang -eq 'yaml' })
                    $doc.Parameters[$Matches[1]] = [pscustomobject]@{
                        Description = @($blocks | Where-Object { -not ($_.Kind -eq 'code' -and $_.Lang -eq 'yaml') } | ForEach-Object {
                                if ($_.Kind -eq 'code') { $_.Text } else { ConvertTo-Paragraph ($_.Text -split "`n") }
                            })
                        Yaml        = if ($yaml.Count -gt 0) { Read-YamlBlock $yaml[0].Text } else { [ordered]@{} }
                    }
                }
            }
            { $_ -in 'INPUTS', 'OUTPUTS' } {
                $items = @(foreach ($t in (Split-Heading $s.Lines '### ').Parts) {
                        [pscustomobject]@{ Type = $t.Heading; Description = ConvertTo-Paragraph $t.Lines }
                    })
                if ($_ -eq 'INPUTS') { $doc.Inputs = $items } else { $doc.Outputs = $items }
            }
            'NOTES' { $doc.Notes = ConvertTo-Paragraph $s.Lines }
            'RELATED LINKS' {
                $doc.Links = @(foreach ($l in $s.Lines) {
                        if ($l -match '\[([^\]]+)\]\(([^)]*)\)') { [pscustomobject]@{ Text = $Matches[1]; Uri = $Matches[2] } }
                    })
            }
        }
    }
    return [pscustomobject]$doc
}

# ---------------------------------------------------------------- MAML writing

function Write-Para([System.Xml.XmlWriter] $W, [string[]] $Paras) {
    $any = $false
    foreach ($p in $Paras) {
        if ($null -eq $p) { continue }
        $W.WriteElementString('maml', 'para', $NsMaml, $p)
        $any = $true
    }
    if (-not $any) { $W.WriteElementString('maml', 'para', $NsMaml, '') }
}

function Get-PipelineText($SetEntries) {
    $kinds = @()
    if (@($SetEntries | Where-Object ByPropertyName).Count) { $kinds += 'ByPropertyName' }
    if (@($SetEntries | Where-Object ByValue).Count) { $kinds += 'ByValue' }
    if ($kinds.Count -eq 0) { return 'False' }
    return "True ($($kinds -join ', '))"
}

function Get-PositionText($SetEntries) {
    $pos = @($SetEntries | Where-Object { $_.Position -ge 0 } | Select-Object -First 1)
    if ($pos.Count -gt 0) { return [string]$pos[0].Position }
    return 'named'
}

function Write-MamlParameter {
    param([System.Xml.XmlWriter] $W, $Meta, $SetEntries, $Doc, [switch] $InSyntax)
    $required = @($SetEntries | Where-Object { -not $_.Mandatory }).Count -eq 0
    $aliases = if (@($Meta.Aliases).Count) { @($Meta.Aliases) -join ', ' } else { 'none' }
    $W.WriteStartElement('command', 'parameter', $NsCommand)
    $W.WriteAttributeString('required', $required.ToString().ToLowerInvariant())
    $W.WriteAttributeString('variableLength', 'true')
    $W.WriteAttributeString('globbing', $Meta.Wildcards.ToString().ToLowerInvariant())
    $W.WriteAttributeString('pipelineInput', (Get-PipelineText $SetEntries))
    $W.WriteAttributeString('position', (Get-PositionText $SetEntries))
    $W.WriteAttributeString('aliases', $aliases)
    $W.WriteElementString('maml', 'name', $NsMaml, $Meta.Name)
    $W.WriteStartElement('maml', 'description', $NsMaml)
    Write-Para $W $(if ($Doc) { $Doc.Description } else { @() })
    $W.WriteEndElement()
    if (@($Meta.ValidValues).Count -gt 0 -and $InSyntax) {
        $W.WriteStartElement('command', 'parameterValueGroup', $NsCommand)
        foreach ($v in $Meta.ValidValues) {
            $W.WriteStartElement('command', 'parameterValue', $NsCommand)
            $W.WriteAttributeString('required', 'false')
            $W.WriteAttributeString('command', 'variableLength', $NsCommand, 'false')
            $W.WriteString($v)
            $W.WriteEndElement()
        }
        $W.WriteEndElement()
    }
    if (-not $Meta.IsSwitch -and -not ($InSyntax -and @($Meta.ValidValues).Count -gt 0)) {
        $W.WriteStartElement('command', 'parameterValue', $NsCommand)
        $W.WriteAttributeString('required', 'true')
        $W.WriteAttributeString('variableLength', 'false')
        $W.WriteString($Meta.TypeName)
        $W.WriteEndElement()
    }
    $W.WriteStartElement('dev', 'type', $NsDev)
    $W.WriteElementString('maml', 'name', $NsMaml, $Meta.TypeName)
    $W.WriteElementString('maml', 'uri', $NsMaml, '')
    $W.WriteEndElement()
    $default = if ($Doc -and $Doc.Yaml.Contains('Default value') -and $Doc.Yaml['Default value']) { $Doc.Yaml['Default value'] }
    elseif ($Meta.IsSwitch) { 'False' } else { 'None' }
    $W.WriteElementString('dev', 'defaultValue', $NsDev, $default)
    $W.WriteEndElement()
}

function Get-SyntaxOrder($Set) {
    # Positional parameters by position, then the rest in declaration order, WhatIf/Confirm last.
    $positional = @($Set.Parameters | Where-Object { $_.Position -ge 0 } | Sort-Object Position)
    $named = @($Set.Parameters | Where-Object { $_.Position -lt 0 -and $_.Name -notin 'WhatIf', 'Confirm' })
    $should = @($Set.Parameters | Where-Object { $_.Name -in 'WhatIf', 'Confirm' })
    return @($positional + $named + $should)
}

function Write-Command([System.Xml.XmlWriter] $W, $Cmd, $Doc) {
    $byName = @{}
    foreach ($p in $Cmd.Parameters) { $byName[$p.Name] = $p }

    $W.WriteStartElement('command', 'command', $NsCommand)
    $W.WriteAttributeString('xmlns', 'maml', $null, $NsMaml)
    $W.WriteAttributeString('xmlns', 'command', $null, $NsCommand)
    $W.WriteAttributeString('xmlns', 'dev', $null, $NsDev)
    $W.WriteAttributeString('xmlns', 'MSHelp', $null, $NsMsHelp)

    $W.WriteStartElement('command', 'details', $NsCommand)
    $W.WriteElementString('command', 'name', $NsCommand, $Cmd.Name)
    $W.WriteElementString('command', 'verb', $NsCommand, $Cmd.Verb)
    $W.WriteElementString('command', 'noun', $NsCommand, $Cmd.Noun)
    $W.WriteStartElement('maml', 'description', $NsMaml)
    Write-Para $W $Doc.Synopsis
    $W.WriteEndElement()
    $W.WriteEndElement()

    $W.WriteStartElement('maml', 'description', $NsMaml)
    Write-Para $W $Doc.Description
    $W.WriteEndElement()

    # SYNTAX: one item per real parameter set, default set first.
    $W.WriteStartElement('command', 'syntax', $NsCommand)
    foreach ($set in @($Cmd.ParameterSets | Sort-Object { -not $_.IsDefault })) {
        $W.WriteStartElement('command', 'syntaxItem', $NsCommand)
        $W.WriteElementString('maml', 'name', $NsMaml, $Cmd.Name)
        foreach ($entry in Get-SyntaxOrder $set) {
            Write-MamlParameter -W $W -Meta $byName[$entry.Name] -SetEntries @($entry) -Doc $Doc.Parameters[$entry.Name] -InSyntax
        }
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    # PARAMETERS: each real parameter once, with what holds across its sets.
    $W.WriteStartElement('command', 'parameters', $NsCommand)
    foreach ($p in @($Cmd.Parameters | Sort-Object { $_.Name -in 'WhatIf', 'Confirm' }, Name)) {
        $entries = @(foreach ($s in $Cmd.ParameterSets) { $s.Parameters | Where-Object Name -EQ $p.Name })
        Write-MamlParameter -W $W -Meta $p -SetEntries $entries -Doc $Doc.Parameters[$p.Name]
    }
    $W.WriteEndElement()

    foreach ($kind in 'input', 'return') {
        $items = if ($kind -eq 'input') { $Doc.Inputs } else { $Doc.Outputs }
        $W.WriteStartElement('command', $(if ($kind -eq 'input') { 'inputTypes' } else { 'returnValues' }), $NsCommand)
        foreach ($i in $items) {
            $W.WriteStartElement('command', $(if ($kind -eq 'input') { 'inputType' } else { 'returnValue' }), $NsCommand)
            $W.WriteStartElement('dev', 'type', $NsDev)
            $W.WriteElementString('maml', 'name', $NsMaml, $i.Type)
            $W.WriteEndElement()
            $W.WriteStartElement('maml', 'description', $NsMaml)
            Write-Para $W $i.Description
            $W.WriteEndElement()
            $W.WriteEndElement()
        }
        $W.WriteEndElement()
    }

    $W.WriteStartElement('maml', 'alertSet', $NsMaml)
    $W.WriteStartElement('maml', 'alert', $NsMaml)
    Write-Para $W $Doc.Notes
    $W.WriteEndElement()
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'examples', $NsCommand)
    foreach ($e in $Doc.Examples) {
        $W.WriteStartElement('command', 'example', $NsCommand)
        $W.WriteElementString('maml', 'title', $NsMaml, "-------------------------- $($e.Title) --------------------------")
        $W.WriteElementString('dev', 'code', $NsDev, $e.Code)
        $W.WriteStartElement('dev', 'remarks', $NsDev)
        Write-Para $W (@($e.Output) + @($e.Remarks) + @(''))
        $W.WriteEndElement()
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteStartElement('command', 'relatedLinks', $NsCommand)
    $links = @()
    if ($Doc.Meta.Contains('online version') -and $Doc.Meta['online version']) {
        $links += [pscustomobject]@{ Text = 'Online Version:'; Uri = $Doc.Meta['online version'] }
    }
    foreach ($l in @($links) + @($Doc.Links)) {
        # A link to a neighbouring .md file is shown by name only: Get-Help cannot open it.
        $uri = if ($l.Uri -match '^[a-z]+://') { $l.Uri } else { '' }
        $W.WriteStartElement('maml', 'navigationLink', $NsMaml)
        $W.WriteElementString('maml', 'linkText', $NsMaml, $l.Text)
        $W.WriteElementString('maml', 'uri', $NsMaml, $uri)
        $W.WriteEndElement()
    }
    $W.WriteEndElement()

    $W.WriteEndElement()
}

# ---------------------------------------------------------------- about_ topics

function Format-Wrapped([string] $Text, [int] $Indent, [int] $Width = 80, [int] $Hanging = 0) {
    $words = $Text -split '\s+' | Where-Object { $_ }
    $lines = [System.Collections.Generic.List[string]]::new()
    $pad = ' ' * $Indent
    $line = $pad
    foreach ($w in $words) {
        if ($line.Trim().Length -gt 0 -and $line.Length + 1 + $w.Length -gt $Width) {
            $lines.Add($line.TrimEnd())
            $line = (' ' * ($Indent + $Hanging)) + $w
        }
        elseif ($line.Trim().Length -eq 0) { $line = $line + $w }
        else { $line = "$line $w" }
    }
    if ($line.Trim().Length -gt 0) { $lines.Add($line.TrimEnd()) }
    return @($lines)
}

function Format-MarkdownTable([string] $Text, [int] $Indent) {
    # A markdown pipe table as aligned columns.
    $rows = @(($Text -split "`n") | Where-Object { $_ -notmatch '^\s*\|[-:| ]+\|\s*$' } | ForEach-Object {
            , @(($_.Trim().Trim('|') -split '(?<!\\)\|') | ForEach-Object { ConvertFrom-Inline $_.Trim().Replace('\|', '|') })
        })
    $cols = ($rows | ForEach-Object { $_.Count } | Measure-Object -Maximum).Maximum
    $widths = @(for ($c = 0; $c -lt $cols; $c++) { ($rows | ForEach-Object { if ($c -lt $_.Count) { $_[$c].Length } else { 0 } } | Measure-Object -Maximum).Maximum })
    $out = [System.Collections.Generic.List[string]]::new()
    for ($r = 0; $r -lt $rows.Count; $r++) {
        $cells = for ($c = 0; $c -lt $cols; $c++) { $v = if ($c -lt $rows[$r].Count) { $rows[$r][$c] } else { '' }; $v.PadRight($widths[$c]) }
        $out.Add(((' ' * $Indent) + ($cells -join '  ')).TrimEnd())
        if ($r -eq 0) { $out.Add(((' ' * $Indent) + (($widths | ForEach-Object { '-' * $_ }) -join '  '))) }
    }
    return @($out)
}

function ConvertTo-AboutText([string] $Path) {
    $fm = Split-FrontMatter ([IO.File]::ReadAllLines($Path))
    $out = [System.Collections.Generic.List[string]]::new()
    $topic = [IO.Path]::GetFileNameWithoutExtension($Path)
    $out.Add('TOPIC')
    $out.Add("    $topic")
    $body = [System.Collections.Generic.List[string]]::new()
    $fence = $false
    $flushBody = {
        foreach ($b in Get-Block $body) {
            # A blank line between blocks and under subtopic titles, none under a TOPIC-level heading.
            if ($out[$out.Count - 1].StartsWith('  ')) { $out.Add('') }
            if ($b.Kind -eq 'code') {
                foreach ($l in $b.Text -split "`n") { $out.Add(("        $l").TrimEnd()) }
            }
            elseif ($b.Text -match '^\s*\|') { foreach ($l in Format-MarkdownTable $b.Text 4) { $out.Add($l) } }
            elseif (Test-Structured $b.Text) {
                # List items (continuation lines join the item above), hanging indent.
                $items = [System.Collections.Generic.List[string]]::new()
                foreach ($l in $b.Text -split "`n") {
                    if ($l -match '^\s*([-*+]|\d+\.)\s' -or $items.Count -eq 0) { $items.Add($l.Trim()) } else { $items[$items.Count - 1] += ' ' + $l.Trim() }
                }
                foreach ($i in $items) {
                    $marker = ($i -split '\s', 2)[0]
                    $text = ConvertFrom-Inline $i
                    foreach ($l in Format-Wrapped $text 4 80 ($marker.Length + 1)) { $out.Add($l) }
                }
            }
            else { foreach ($l in Format-Wrapped (ConvertFrom-Inline (($b.Text -split "`n") -join ' ')) 4) { $out.Add($l) } }
        }
        $body.Clear()
    }
    foreach ($line in $fm.Body) {
        if ($line -match '^\s*```') { $fence = -not $fence }
        if (-not $fence -and $line -match '^(#{1,4})\s+(.*)$') {
            $level = $Matches[1].Length
            $title = $Matches[2].Trim()
            & $flushBody
            if ($level -eq 1 -or $title -eq $topic) { continue }  # the topic name: TOPIC above
            $out.Add('')
            if ($level -eq 2) { $out.Add($title.ToUpperInvariant()) } else { $out.Add('  ' + $title.ToUpperInvariant()) }
            continue
        }
        $body.Add($line)
    }
    & $flushBody
    return ($out -join "`n") + "`n"
}

# ---------------------------------------------------------------- main

$DocsPath = (Resolve-Path $DocsPath).ProviderPath
$manifest = if ((Test-Path $ModulePath -PathType Container)) { Join-Path $ModulePath "$ModuleName.psd1" } else { $ModulePath }
if (-not (Test-Path $manifest)) { Stop-WithError "no built module at ${manifest}: build it first (pwsh ./build.ps1 -Task Build)." }
$manifest = (Resolve-Path $manifest).ProviderPath
$null = New-Item -ItemType Directory -Force $OutputPath
$OutputPath = (Resolve-Path $OutputPath).ProviderPath

$cmdlets = Get-CmdletMetadata $manifest
if ($cmdlets.Count -eq 0) { Stop-WithError "$manifest exports no cmdlets." }

$missing = @($cmdlets | Where-Object { -not (Test-Path (Join-Path $DocsPath "$($_.Name).md")) } | ForEach-Object Name)
if ($missing.Count -gt 0) {
    Stop-WithError ("no help markdown for exported cmdlet(s): $($missing -join ', '). " +
        "Write $DocsPath/<Verb-Noun>.md for each (PlatyPS v1 format: copy a neighbour such as Get-DfVm.md).")
}

$helpFile = "$ModuleName.dll-Help.xml"
$settings = [System.Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.Encoding = [System.Text.UTF8Encoding]::new($false)
$xmlPath = Join-Path $OutputPath $helpFile
$writer = [System.Xml.XmlWriter]::Create($xmlPath, $settings)
try {
    $writer.WriteStartDocument()
    $writer.WriteStartElement('helpItems', 'http://msh')
    $writer.WriteAttributeString('schema', 'maml')
    foreach ($c in $cmdlets) {
        $mdPath = Join-Path $DocsPath "$($c.Name).md"
        try { $doc = Read-CmdletMarkdown $mdPath } catch { Stop-WithError "${mdPath}: $($_.Exception.Message)" }
        if ($doc.Title -ne $c.Name) { Stop-WithError "${mdPath}: its title is '# $($doc.Title)', expected '# $($c.Name)'." }
        if (-not @($doc.Synopsis).Count) { Stop-WithError "${mdPath}: no ## SYNOPSIS text." }
        if (-not @($doc.Description).Count) { Stop-WithError "${mdPath}: no ## DESCRIPTION text." }
        if ($c.HelpFile -and $c.HelpFile -ne $helpFile) { Write-Warning "$($c.Name) looks for help in $($c.HelpFile), not $helpFile." }
        if ($doc.Meta.Contains('external help file') -and $doc.Meta['external help file'] -ne $helpFile) {
            Write-Warning "${mdPath}: front matter 'external help file' is '$($doc.Meta['external help file'])', expected '$helpFile'."
        }
        $real = @($c.Parameters | ForEach-Object Name)
        $documented = @($doc.Parameters.Keys)
        $undocumented = @($real | Where-Object { $_ -notin $documented })
        $unreal = @($documented | Where-Object { $_ -notin $real })
        if ($undocumented) { Write-Warning "$($c.Name): parameter(s) without a '### -Param' section in ${mdPath}: $($undocumented -join ', ')" }
        if ($unreal) { Write-Warning "$($c.Name): $mdPath documents parameter(s) the cmdlet does not have: $($unreal -join ', ')" }
        Write-Command $writer $c $doc
    }
    $writer.WriteEndElement()
    $writer.WriteEndDocument()
}
finally { $writer.Dispose() }

# Validate: the file must load as XML and hold one command per exported cmdlet, each with a syntax item per set.
try {
    $xml = [System.Xml.XmlDocument]::new()
    $xml.Load($xmlPath)
}
catch { Stop-WithError "the MAML written to $xmlPath does not load as XML: $($_.Exception.Message)" }
$ns = [System.Xml.XmlNamespaceManager]::new($xml.NameTable)
$ns.AddNamespace('command', $NsCommand)
$ns.AddNamespace('maml', $NsMaml)
$written = @($xml.SelectNodes('//command:command', $ns))
if ($written.Count -ne $cmdlets.Count) { Stop-WithError "$xmlPath holds $($written.Count) commands, expected $($cmdlets.Count)." }
foreach ($c in $cmdlets) {
    $node = $xml.SelectSingleNode("//command:command[command:details/command:name='$($c.Name)']", $ns)
    $items = @($node.SelectNodes('command:syntax/command:syntaxItem', $ns)).Count
    if ($items -ne @($c.ParameterSets).Count) { Stop-WithError "$($c.Name): $items syntax items for $(@($c.ParameterSets).Count) parameter sets." }
}

$abouts = @(Get-ChildItem $DocsPath -Filter 'about_*.md')
foreach ($a in $abouts) {
    $target = Join-Path $OutputPath ($a.BaseName + '.help.txt')
    [IO.File]::WriteAllText($target, (ConvertTo-AboutText $a.FullName), [System.Text.UTF8Encoding]::new($false))
}

$pending = @(Get-ChildItem $DocsPath -Filter '*-*.md' | Where-Object { $_.BaseName -notin @($cmdlets.Name) } | ForEach-Object BaseName)
Write-Host ("Help: $($cmdlets.Count) cmdlet(s) -> $xmlPath" +
    $(if ($abouts) { "; $(@($abouts.BaseName) -join ', ') -> .help.txt" }) +
    $(if ($pending) { "; documented but not in this build: $($pending -join ', ')" }))
