# Issue 18: the Linux test guest is at least as strict as DragonFly 6.4 where DfVm depends on it
# (docs/DRAGONFLY-RULES.md): no busybox applet answers for a command DragonFly lacks, the commands
# DragonFly has take DragonFly's flags and refuse the GNU-only ones, doas has no rule for the
# login user until provisioning writes it, and the default BuildCommand runs without GNU make.
# One VM whose SshUser is dfuser (login shell csh, like root's).
Describe 'The test guest is as strict as DragonFly' -Tag Integration {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:project = New-TestProject -VmName strict -ExtraConfig @"
    SshUser = 'dfuser'
    GuestProjectPath = '/home/dfuser/strict'
"@
        Push-Location $script:project
        New-TestGuestVm -Name strict | Out-Null
        Start-TestGuestVm -Name strict -Timeout 300
        function script:G([string] $Command) { Invoke-DfVmCommand -Name strict -Command $Command }
    }
    AfterAll {
        Pop-Location
        Remove-TestProject -Path $script:project
    }

    It 'doas refuses dfuser until provisioning (run as root) writes its rule, once' {
        $before = G 'doas -n id -u'
        $before.ExitCode | Should -Not -Be 0
        $r = Invoke-DfVmProvision -Name strict -Confirm:$false
        $r.Succeeded | Should -BeTrue
        $r.Output | Should -Match "DFVM-PROVISION: changed /etc/doas.conf: added 'permit nopass keepenv dfuser as root'"
        # the project folder is the SSH user's, so Sync-DfVmProject (as dfuser) can write it
        $r.Output | Should -Match 'DFVM-PROVISION: changed created /home/dfuser/strict'
        (G 'stat -f %Su /home/dfuser/strict').Output | Should -Be 'dfuser'
        (G 'doas -n id -u').Output | Should -Be '0'
        (Invoke-DfVmProvision -Name strict -Confirm:$false).Output | Should -Be 'DFVM-PROVISION: changed=0'
    }

    It '<Name> (not in DragonFly 6.4) is absent for /bin/sh -c and for csh' -ForEach @(
        @{ Name = 'sha256sum' }, @{ Name = 'md5sum' }, @{ Name = 'sha1sum' }, @{ Name = 'sha512sum' },
        @{ Name = 'setsid' }, @{ Name = 'nproc' }, @{ Name = 'ip' }, @{ Name = 'base64' },
        @{ Name = 'stdbuf' }, @{ Name = 'bash' }, @{ Name = 'busybox' }
    ) {
        # sh: what DfVm sends runs under /bin/sh -c; the command itself is not found (127)
        $sh = G "command -v $Name; $Name --help >/dev/null 2>&1; echo rc=`$?"
        $sh.Output | Should -Be 'rc=127'
        # csh: root's and dfuser's login shell (the outer shell of every SSH command)
        $csh = G "csh -c '$Name --help' 2>&1; echo rc=`$?"
        $csh.Output | Should -Match "$Name`: Command not found\."
        $csh.Output | Should -Match 'rc=1$'
    }

    It '/bin/sh is a shell without applets, and uname still says Linux' {
        # dash has no built-in tar/sha256sum/stat: a bare name is looked up on PATH only
        (G 'ls -l /bin/sh /usr/bin/sh 2>&1 | grep -c busybox; true').Output | Should -Be '0'
        (G 'PATH=/nonexistent; tar --version >/dev/null 2>&1; echo rc=$?').Output | Should -Be 'rc=127'
        (G 'uname -s').Output | Should -Be 'Linux'
        (G 'grep "^root:" /etc/passwd').Output | Should -Match ':/bin/csh$'
    }

    It '<Ok> works as on DragonFly, and <Bad> is refused' -ForEach @(
        @{ Ok = 'sha256 -r /etc/hostname'; Want = '^[0-9a-f]{64} /etc/hostname$'; Bad = 'sha256 -c /etc/hostname' }
        @{ Ok = 'sha256 -q /etc/hostname'; Want = '^[0-9a-f]{64}$'; Bad = 'sha256 --tag /etc/hostname' }
        @{ Ok = 'md5 -s abc'; Want = '^MD5 \("abc"\) = 900150983cd24fb0d6963f7d28e17f72$'; Bad = 'md5 -b /etc/hostname' }
        @{ Ok = 'date -u -j -f %Y%m%d%H%M.%S 202001020304.05 +%s'; Want = '^1577934245$'; Bad = 'date -u -d @0 +%Y' }
        @{ Ok = 'date -u -r 0 +%Y-%m-%dT%H:%M:%S'; Want = '^1970-01-01T00:00:00$'; Bad = 'date -u --iso-8601' }
        @{ Ok = 'date -u -j 197001010000.00 +%s'; Want = '^0$'; Bad = 'date -u -j 1970-01-01 +%s' }
        @{ Ok = 'stat -f "%Lp %z" /etc/hostname'; Want = '^[0-7]{3} \d+$'; Bad = 'stat -c %s /etc/hostname' }
        @{ Ok = 'printf x | uuencode -m -'; Want = '^begin-base64 644 -\neA==\n====$'; Bad = 'printf x | uuencode --base64 -' }
        @{ Ok = 'printf x | b64encode x'; Want = '^begin-base64 644 x\neA==\n====$'; Bad = 'printf x | b64encode -w0 x' }
        @{ Ok = 'printf x | b64encode x | b64decode -p'; Want = '^x$'; Bad = 'echo eA== | b64decode -d' }
        @{ Ok = 'pgrep -P 1 >/dev/null && echo children'; Want = '^children$'; Bad = 'pgrep' }
        @{ Ok = 'tar --version'; Want = '^bsdtar '; Bad = 'tar --no-such-flag -cf - /etc/hostname' }
        @{ Ok = 'lsvfs nullfs tmpfs devfs procfs | tail -n 4 | cut -c1-8'; Want = '^nullfs *\ntmpfs *\ndevfs *\nprocfs *$'; Bad = 'lsvfs ext4' }
        @{ Ok = 'timeout 5 true && echo in-time'; Want = '^in-time$'; Bad = 'timeout --no-such-flag 5 true' }
        @{ Ok = 'ps -ax -o pid= -o ppid= | awk ''$1 == 1 { print $2 }'''; Want = '^0$'; Bad = 'ps -A -o pid= -o ppid=' }
        @{ Ok = 'ps -p 1 -o state=,command= | wc -l'; Want = '^\s*1$'; Bad = 'ps -ax -o args' }
        @{ Ok = 'ps -ax -o state='; Want = '^[A-Z]'; Bad = 'ps -ax -o stat=' }
        # without -w the lines end at 79 columns, as ps.c cuts them without a terminal; this
        # command's own /bin/sh -c line is longer, and -ww shows it whole
        @{ Ok = 'ps -ax -o command= | awk ''length > 79'' | wc -l; ps -axww -o command= | awk ''length > 79'' | grep -q "[l]ength > 79" && echo whole'; Want = '^\s*0\nwhole$'; Bad = 'ps -o pid' }
    ) {
        $r = G $Ok
        $r.ExitCode | Should -Be 0 -Because $r.Error
        ($r.Output -replace "`r", '').TrimEnd() | Should -Match $Want
        (G $Bad).ExitCode | Should -Not -Be 0
    }

    It 'the default BuildCommand (go build ./...) builds a Go module there, with no GNU make' {
        (G 'command -v gmake; command -v make; echo done').Output | Should -Be 'done'
        Set-Content -Path (Join-Path $script:project 'go.mod') -Value "module example.com/strict`n`ngo 1.19"
        Set-Content -Path (Join-Path $script:project 'main.go') -Value "package main`n`nfunc main() { println(`"strict`") }"
        Sync-DfVmProject -Name strict | Out-Null
        $b = Build-DfVmProject -Name strict
        $b.Command | Should -Match 'go build \./\.\.\.'
        $b.Succeeded | Should -BeTrue -Because $b.Error
    }
}
