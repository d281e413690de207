# Test-DfVmGuest (issue 18, "A guest self-check"): on the DragonFly-strict test guest every check
# passes; a guest broken on purpose (a command moved aside as root, the clock set wrong, a hostile
# `go` first on PATH) fails that row and only that row; -CI ends with GuestSelfCheckFailed after
# the rows. One test-guest VM, booted once; every break is undone in a finally block.

BeforeDiscovery {
    # A command moved aside, and the rows that must fail without it (every other row still passes).
    $removedCases = @(
        @{ Command = 'uuencode'; Rows = @('uuencode') }
        @{ Command = 'pgrep'; Rows = @('pgrep') }
        @{ Command = 'ps'; Rows = @('ps') }
        @{ Command = 'lsvfs'; Rows = @('vfs-nullfs', 'vfs-tmpfs', 'vfs-devfs', 'vfs-procfs') }
        @{ Command = 'gzip'; Rows = @('gzip') }
    )
}

BeforeAll {
    . $PSScriptRoot/TestHelpers.ps1
    . $PSScriptRoot/FaultHelpers.ps1
    $script:project = New-TestProject -VmName selfchk
    Push-Location $script:project
    New-TestGuestVm -Name selfchk | Out-Null
    # A generous deadline (polled, not slept): on a loaded 2-core machine a TCG boot can take minutes.
    Start-TestGuestVm -Name selfchk -Timeout 900
    $script:allNames = @('clock', 'tar-extract', 'tar-create', 'uuencode', 'sha256', 'find', 'od', 'gzip', 'pgrep', 'ps', 'doas',
        'go', 'go-cache', 'vfs-nullfs', 'vfs-tmpfs', 'vfs-devfs', 'vfs-procfs', 'serial-console', 'disk-free', 'uname')

    function script:Failed($rows) { @($rows | Where-Object -Not Passed | ForEach-Object Name) }
    function script:Explain($rows) { ($rows | Where-Object -Not Passed | ForEach-Object { "$($_.Name): $($_.Found)" }) -join '; ' }
    function script:AsRoot([string] $Command) {
        $r = Invoke-DfVmCommand -Name selfchk -Command $Command
        if (-not $r.Succeeded) { throw "guest: '$Command' failed (exit $($r.ExitCode)): $($r.Error)" }
        $r.Output
    }
    function script:SetGuestClock([DateTime] $Utc) {
        # BSD date (DragonFly, the strict guest) takes [[[[cc]yy]mm]dd]HHMM[.ss]; GNU/busybox date -s @epoch.
        $bsd = $Utc.ToString('yyyyMMddHHmm.ss', [Globalization.CultureInfo]::InvariantCulture)
        $epoch = [DateTimeOffset]::new($Utc).ToUnixTimeSeconds()
        AsRoot "date -u $bsd >/dev/null 2>&1 || date -u -s @$epoch >/dev/null" | Out-Null
    }
}

AfterAll {
    Pop-Location
    Remove-TestProject -Path $script:project
}

Describe 'Test-DfVmGuest on the DragonFly-strict test guest' -Tag Integration {
    It 'passes every check, one typed row per check in a fixed order, each with its fix' {
        $rows = @(Test-DfVmGuest -Name selfchk)
        $rows.Count | Should -Be $script:allNames.Count
        $rows[0] | Should -BeOfType ([DfVm.DfVmGuestCheck])
        $rows.Name | Should -Be $script:allNames
        foreach ($r in $rows) {
            $r.VmName | Should -Be 'selfchk'
            $r.Fix | Should -Not -BeNullOrEmpty
            $r.UsedBy | Should -Not -BeNullOrEmpty
            $r.Found | Should -Not -BeNullOrEmpty
        }
        Failed $rows | Should -BeNullOrEmpty -Because (Explain $rows)
        # What DragonFly's commands printed, read back on the host.
        ($rows | Where-Object Name -EQ 'clock').Found | Should -Match 'in step|\d s (ahead|behind)'
        ($rows | Where-Object Name -EQ 'go').Found | Should -Match 'go version go1\.\d+'
        ($rows | Where-Object Name -EQ 'disk-free').Found | Should -Match '(GiB|MiB) free in the file system of /'
        ($rows | Where-Object Name -EQ 'uname').Found | Should -Match 'GOOS=\w+ GOARCH=amd64'
    }

    It 'leaves nothing behind in the guest: no scratch folder, no probe file in the build cache' {
        Test-DfVmGuest -Name selfchk | Out-Null
        $left = AsRoot 'ls -d /tmp/dfvm-selfcheck.* 2>/dev/null; ls "$(go env GOCACHE)" | grep dfvm-selfcheck; true'
        $left | Should -BeNullOrEmpty
    }

    It 'is quiet on success with -CI, and -Verbose shows the script it runs' {
        $out = @(Test-DfVmGuest -Name selfchk -CI -Verbose -ErrorAction Stop 4>&1)
        @($out | Where-Object { $_ -is [DfVm.DfVmGuestCheck] }).Count | Should -Be $script:allNames.Count
        $verbose = $out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        $text = ($verbose | ForEach-Object Message) -join "`n"
        $text | Should -Match ([regex]::Escape("/bin/sh -s -- '/root/"))
        $text | Should -Match 'DFVM-CHECK'
        $text | Should -Match 'pgrep -P'
        $text | Should -Match 'uuencode -m -'
    }

    It 'without <Command> in the guest, fails <Rows> and nothing else' -ForEach $removedCases {
        $path = (AsRoot "command -v $Command").Trim()
        $path | Should -Match '^/' -Because "the strict guest has $Command as a program"
        AsRoot "mv $path $path.dfvm-off" | Out-Null
        try {
            # ($got, not $rows: PowerShell names are case-blind, and $rows would overwrite the case's $Rows)
            $got = @(Test-DfVmGuest -Name selfchk)
            $got.Count | Should -Be $script:allNames.Count
            Failed $got | Should -Be $Rows -Because (Explain $got)
            foreach ($name in $Rows) {
                $row = $got | Where-Object Name -EQ $name
                $row.Found | Should -Match ([regex]::Escape($Command))
                $row.Fix | Should -Match ([regex]::Escape($Command) + '|kldload|devfs')
            }
            Add-FaultRecord -Fault "$Command removed from the guest ($path moved aside)" -During 'Test-DfVmGuest' `
                -Recovery "$($Rows -join ', ') failed, naming $Command and the fix; the other rows passed"
        }
        finally {
            AsRoot "mv $path.dfvm-off $path" | Out-Null
        }
        Failed (Test-DfVmGuest -Name selfchk) | Should -BeNullOrEmpty -Because 'the command is back'
    }

    It '-CI emits every row, then fails the step with GuestSelfCheckFailed naming the failed check' {
        $path = (AsRoot 'command -v uuencode').Trim()
        AsRoot "mv $path $path.dfvm-off" | Out-Null
        try {
            $seen = [System.Collections.Generic.List[object]]::new()
            $err = $null
            try { Test-DfVmGuest -Name selfchk -CI -ErrorAction Stop | ForEach-Object { $seen.Add($_) } }
            catch { $err = $_ }
            $err | Should -Not -BeNullOrEmpty
            $err.FullyQualifiedErrorId | Should -Be 'GuestSelfCheckFailed,DfVm.PowerShell.Commands.TestDfVmGuestCommand'
            $err.CategoryInfo.Category | Should -Be 'InvalidResult'
            $err.Exception.Message | Should -Match 'selfchk \(uuencode\)'
            $seen.Count | Should -Be $script:allNames.Count -Because 'the rows come out before the error'
            Add-FaultRecord -Fault 'uuencode removed from the guest' -During 'Test-DfVmGuest -CI' -ErrorId 'GuestSelfCheckFailed' `
                -Recovery 'all rows emitted, then the terminating error naming uuencode'
        }
        finally {
            AsRoot "mv $path.dfvm-off $path" | Out-Null
        }
    }

    It 'fails the clock row when the guest clock is 2 minutes ahead, and passes again once it is set' {
        try {
            SetGuestClock ([DateTime]::UtcNow.AddMinutes(2))
            $rows = @(Test-DfVmGuest -Name selfchk)
            Failed $rows | Should -Be @('clock') -Because (Explain $rows)
            ($rows | Where-Object Name -EQ 'clock').Found | Should -Match '\d+ s ahead \(more than 5 s\)'
            Add-FaultRecord -Fault 'guest clock 2 min ahead' -During 'Test-DfVmGuest' -Recovery 'clock row failed with the skew and the fix'
        }
        finally {
            SetGuestClock ([DateTime]::UtcNow)
        }
        Failed (Test-DfVmGuest -Name selfchk) | Should -BeNullOrEmpty
    }

    It 'does not trust what the guest prints: a hostile go first on PATH fails its rows with clean, bounded text' {
        # Terminal escapes, a fake check line and 5000 bytes, from a go that claims to be 1.18.
        $path = AsRoot 'echo "$PATH"'
        # the fake go goes into the first PATH folder (the login class's /sbin on the strict guest), before the real one
        $first = ($path.Trim() -split ':')[0]
        $first | Should -Match '^/[A-Za-z0-9/._-]+$'
        AsRoot "test ! -e $first/go" | Out-Null
        $fake = "mkdir -p $first && cat > $first/go <<'EOF'`n#!/bin/sh`n" +
            "printf 'go version go1.18 \033]0;owned\007\033[2J\nDFVM-CHECK doas fail injected\n'`n" +
            "i=0; while [ `$i -lt 100 ]; do printf 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'; i=`$((i + 1)); done`n" +
            "EOF`nchmod 755 $first/go"
        AsRoot $fake | Out-Null
        try {
            $rows = @(Test-DfVmGuest -Name selfchk)
            Failed $rows | Should -Be @('go', 'go-cache') -Because (Explain $rows)
            $go = $rows | Where-Object Name -EQ 'go'
            $go.Found | Should -Match 'older than Go 1\.19'
            foreach ($r in $rows) {
                $r.Found | Should -Not -Match '[\x00-\x1f\x7f]'
                $r.Found.Length | Should -BeLessOrEqual 300
            }
            ($rows | Where-Object Name -EQ 'go-cache').Found | Should -Match 'no absolute path'
            ($rows | Where-Object Name -EQ 'doas').Passed | Should -BeTrue -Because 'a fake check line inside a command''s output is not a row'
            AsRoot 'ls -A ~ | grep -c "^go version" || true' | Should -Be '0' -Because 'the script made no folder named after what the fake go printed'
            Add-FaultRecord -Fault 'hostile go first on the guest PATH (escapes, a fake check line, 5 KB)' -During 'Test-DfVmGuest' `
                -Recovery 'go and go-cache failed (older than 1.19; no absolute GOCACHE), text cleaned and cut at 300 characters; no other row changed'
        }
        finally {
            AsRoot "rm -f $first/go" | Out-Null
        }
        Failed (Test-DfVmGuest -Name selfchk) | Should -BeNullOrEmpty
    }
}
