# Shared by the Faults containers (tests/Pester/Faults.*.Tests.ps1): each case records what it did and
# what it found left behind; tools/Write-FaultTable.ps1 turns the records into docs/FAULTS.md.
# A record is one JSON line in out/test-results/faults-<pid>.jsonl, a file per pwsh: containers run at once
# (build.ps1 -Workers), and appends from two processes to one file could mix (the files go at each test run).

function Add-FaultRecord {
    param(
        [Parameter(Mandatory)][string] $Fault,        # what was done for real: 'QEMU kill -9', 'host disk full', ...
        [Parameter(Mandatory)][string] $During,       # the operation it hit: 'Sync-DfVmProject', ...
        [string] $ErrorId = '',                       # the error id the user got ('' when none was due)
        [string[]] $LeftBehind = @(),                 # stray processes, unclean images, drift: empty means nothing
        [string] $Recovery = ''                       # what the next command did: 'next sync repaired it', ...
    )
    $dir = Join-Path $PSScriptRoot '../../out/test-results'
    New-Item -ItemType Directory -Force $dir | Out-Null
    $line = [ordered]@{ Fault = $Fault; During = $During; ErrorId = $ErrorId; LeftBehind = @($LeftBehind); Recovery = $Recovery } |
        ConvertTo-Json -Compress
    [IO.File]::AppendAllText((Join-Path $dir "faults-$PID.jsonl"), $line + "`n")
}

function Get-StrayHostProcess {
    # Host processes started for a VM folder that should be gone after a fault: QEMU, ssh, go. Returns "pid name" strings.
    param([Parameter(Mandatory)][string] $VmDirectory)
    $real = (Resolve-Path $VmDirectory).ProviderPath
    Get-ChildItem /proc -Directory -ErrorAction SilentlyContinue | Where-Object Name -match '^\d+$' | ForEach-Object {
        $cmd = try { [IO.File]::ReadAllText("/proc/$($_.Name)/cmdline") -replace "`0", ' ' } catch { '' }
        if ($cmd -and $cmd.Contains($real) -and $cmd -match '^(\S*/)?(qemu-system|ssh |go )') { "$($_.Name) $cmd" }
    }
}

function Test-QemuImagesClean {
    # Every qcow2 under the VM folder passes `qemu-img check`; returns the messages of those that do not.
    # (Wait-Until is TestHelpers.ps1's: every file that loads this one loads that one too.)
    # The disk of a running VM is read beside its QEMU (-U), which writes a new cluster's refcount before the
    # table that points to it: a check between the two sees "leaked" clusters (refcount=1 reference=0; once in
    # a fresh run here, just after a resume). So a failed check is repeated for up to 20 s, and what is still
    # wrong then is reported; a real leak or corruption stays.
    param([Parameter(Mandatory)][string] $VmDirectory)
    Get-ChildItem $VmDirectory -Recurse -Filter *.qcow2 -ErrorAction SilentlyContinue | ForEach-Object {
        $image = $_
        $clean = Wait-Until -Seconds 20 -IntervalMs 1000 { $script:qemuImgCheck = & qemu-img check -U $image.FullName 2>&1; $LASTEXITCODE -eq 0 }
        if (-not $clean) { "$($image.Name): exit $LASTEXITCODE $($script:qemuImgCheck -join ' ')" }
    }
}
