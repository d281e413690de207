# Import-DfVm (issue 20) on the Linux test guest. The "existing images" a user would bring are made at
# test time from the test guest: a VM of it is booted through the module, changed over SSH as root,
# powered off, and its disk flattened (qemu-img convert) into a standalone qcow2:
#   seed.qcow2   like the Makefile workflow's VM: root's csh, the user's own key in authorized_keys, sshd key-only;
#   public.qcow2 like the prebuilt CI image: root's password 'runner', password logins on, root's shell /bin/sh,
#                no key at all.
# An imported VM boots without dfvm.authkey on its kernel command line (the test guest would write the
# VM's key from there at every boot), so only what Import-DfVm put on the disk lets DfVm in.

Describe 'Import-DfVm on the test guest' -Tag Integration {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $config = @'
    GuestProjectPath = '/root/tiny'
    Suites = @{
        Unit = @{ Command = 'GOFLAGS=-count=1 GOPROXY=off go test -json ./...' }
    }
'@
        $script:project = New-TestProject -VmName imp -ExtraConfig $config
        Set-Content (Join-Path $script:project 'go.mod') "module example.com/tiny`n`ngo 1.19"
        Set-Content (Join-Path $script:project 'tiny_test.go') @'
package tiny

import (
	"os"
	"testing"
)

func TestAdd(t *testing.T) {
	if 2+2 != 4 {
		t.Fatal("arithmetic")
	}
}

func TestRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("not root")
	}
}
'@
        $script:g = Get-TestGuest
        # the user's images live outside the project (the project tree is what gets synced)
        $script:images = Join-Path ([IO.Path]::GetTempPath()) ('dfvm-user-images-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        New-Item -ItemType Directory $script:images | Out-Null
        Push-Location $script:project

        # The user's own key (the seed's VM takes it).
        $script:userKey = Join-Path $script:images 'id_user'
        & ssh-keygen -q -t ed25519 -N '' -C 'me@laptop' -f $script:userKey
        if ($LASTEXITCODE -ne 0) { throw 'ssh-keygen failed' }
        $script:userPub = (Get-Content "$script:userKey.pub" -Raw).Trim()

        function script:Save-PreparedImage([string] $Target) {
            Stop-DfVm -Name prep -Confirm:$false | Out-Null
            & qemu-img convert -O qcow2 (Get-DfVm -Name prep).DiskPath $Target
            if ($LASTEXITCODE -ne 0) { throw "qemu-img convert to $Target failed" }
        }

        New-TestGuestVm -Name prep | Out-Null
        # 1. The seed's VM: the user's key only, root's csh (the test guest's default), sshd key-only.
        Start-DfVm -Name prep -Timeout 300 -WarningAction SilentlyContinue | Out-Null
        $r = Invoke-DfVmCommand -Name prep "printf '%s\n' '$script:userPub' > /root/.ssh/authorized_keys && rm -f /home/dfuser/.ssh/authorized_keys && grep -c . /root/.ssh/authorized_keys"
        if ($r.ExitCode -ne 0) { throw "preparing the seed image failed: $($r.Error)" }
        $script:seed = Join-Path $script:images 'seed.qcow2'
        Save-PreparedImage $script:seed
        # ... and the same VM worked on since: the seed's dfly-vm.qcow2 beside its clean copy (seed.qcow2).
        Start-DfVm -Name prep -Timeout 300 -WarningAction SilentlyContinue | Out-Null
        # (the test guest writes the prep VM's key from its kernel command line at each boot: the user's key again)
        $r = Invoke-DfVmCommand -Name prep "printf '%s\n' '$script:userPub' > /root/.ssh/authorized_keys && echo work > /root/work-in-progress && cat /root/work-in-progress"
        if ($r.ExitCode -ne 0) { throw "preparing the worked-on seed image failed: $($r.Error)" }
        $script:seedWork = Join-Path $script:images 'seed-work.qcow2'
        Save-PreparedImage $script:seedWork

        # 2. Like the public image: root's password 'runner' (SHA-512 crypt of it, fixed salt), password logins,
        #    root's shell /bin/sh, no authorized_keys anywhere.
        Start-DfVm -Name prep -Timeout 300 -WarningAction SilentlyContinue | Out-Null
        $prepare = @'
set -e
sed 's|^root:[^:]*:|root:$6$dfvmtest$CcVQtZXDpJZov46DcE7ReDVuu6v8CR2IwgPNJgB4rUcTjeFkIkjQUK1NXdp8P6RPPUYVUIrqTGJoSZF2ZQCOk.:|' /etc/shadow > /tmp/shadow
cat /tmp/shadow > /etc/shadow
sed -e 's/^PasswordAuthentication no/PasswordAuthentication yes/' -e 's/^PermitRootLogin .*/PermitRootLogin yes/' /etc/ssh/sshd_config > /tmp/sshd_config
cat /tmp/sshd_config > /etc/ssh/sshd_config
sed 's|^root:\(.*\):/bin/csh$|root:\1:/bin/sh|' /etc/passwd > /tmp/passwd
cat /tmp/passwd > /etc/passwd
rm -f /root/.ssh/authorized_keys /home/dfuser/.ssh/authorized_keys
grep '^root:' /etc/passwd
'@
        $r = Invoke-DfVmCommand -Name prep $prepare
        if ($r.ExitCode -ne 0 -or $r.Output -notmatch ':/bin/sh') { throw "preparing the public-like image failed: $($r.Output) $($r.Error)" }
        $script:public = Join-Path $script:images 'public.qcow2'
        Save-PreparedImage $script:public
        Remove-DfVm -Name prep -Confirm:$false

        $script:publicHash = (Get-FileHash $script:public -Algorithm SHA256).Hash
        $script:seedHash = (Get-FileHash $script:seed -Algorithm SHA256).Hash
        $script:seedWorkHash = (Get-FileHash $script:seedWork -Algorithm SHA256).Hash
        $script:root = [pscredential]::new('root', (ConvertTo-SecureString 'runner' -AsPlainText -Force))
        $boot = @{ Kernel = $script:g.kernel; Initrd = $script:g.initrd; KernelArguments = $script:g.append; DiskInterface = 'virtio-blk' }
    }
    AfterAll {
        Pop-Location
        Remove-TestProject -Path $script:project
        Remove-Item $script:images -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'imports the public-like image by password: DfVm key afterwards, every change listed, suite runs, image unchanged' {
        $info = $null
        $r = Import-DfVm $script:public -Name pub -Credential $script:root @boot -BootTimeout 300 `
            -WarningVariable warn -WarningAction SilentlyContinue -InformationVariable info
        $r.GetType().FullName | Should -Be 'DfVm.DfVmImportResult'
        $r.ImageFormat | Should -Be 'qcow2'
        $r.Copied | Should -BeFalse
        $r.HostKeyFingerprint | Should -Match '^ssh-ed25519 SHA256:[A-Za-z0-9+/]{43}$'
        $r.GuestOs | Should -Be 'Linux'
        @($warn) -join "`n" | Should -Match 'is Linux, not DragonFly'
        $r.Changes | Should -Contain "/root/.ssh/authorized_keys: added the VM's key (dfvm@pub)"
        ($r.Changes -join "`n") | Should -Match 'provision.sh: created /root/tiny'
        ($r.Kept -join "`n") | Should -Match 'password logins stay on'
        ($r.Checks -join "`n") | Should -Not -Match '(?m)^fail '
        ($r.Checks -join "`n") | Should -Match '(?m)^ok tar-extract: '
        $r.Snapshot | Should -Be 'clean'
        (Get-DfVmSnapshot -Name pub).Name | Should -Contain 'clean'
        # the first contact is shown with its fingerprint, the changes too
        ($info.MessageData.Message -join "`n") | Should -Match ([regex]::Escape($r.HostKeyFingerprint))
        ($info.MessageData.Message -join "`n") | Should -Match "changed: /root/.ssh/authorized_keys"

        # only the VM's key: nothing on the kernel command line, the key is on the imported disk
        $g = Invoke-DfVmCommand -Name pub 'cat /proc/cmdline; echo; cat /root/.ssh/authorized_keys; grep "^root:" /etc/passwd'
        $g.Output | Should -Not -Match 'dfvm\.authkey'
        $g.Output | Should -Match ([regex]::Escape((Get-Content (Join-Path $script:project 'vm/pub/id_ed25519.pub') -Raw).Trim()))
        $g.Output | Should -Match 'root:.*:/bin/sh'   # root's shell is the user's, untouched
        # the host key pinned at first contact is the one the guest has
        $hk = (Invoke-DfVmCommand -Name pub 'cat /etc/ssh/ssh_host_ed25519_key.pub').Output.Trim().Split(' ')[1]
        $fp = 'SHA256:' + [Convert]::ToBase64String([Security.Cryptography.SHA256]::HashData([Convert]::FromBase64String($hk))).TrimEnd('=')
        $r.HostKeyFingerprint | Should -Be "ssh-ed25519 $fp"

        $rows = @(Invoke-DfVmTest -Name pub -Suite Unit -Sync -InformationAction SilentlyContinue)
        @($rows | Where-Object Test -EQ 'TestAdd').Passed | Should -BeTrue -Because ($rows | Format-List Package, Test, Result, Output | Out-String)
        @($rows | Where-Object Test -EQ 'TestRoot').Passed | Should -BeTrue

        # the base: the user's image itself, byte for byte as before
        @((& qemu-img info -U --backing-chain --output=json (Join-Path $script:project 'vm/pub/disk.qcow2') | ConvertFrom-Json).filename)[-1] | Should -Be $script:public
        (Get-FileHash $script:public -Algorithm SHA256).Hash | Should -Be $script:publicHash
    }

    It 'refuses an image a running VM has open for writing (ImageInUse), and makes no VM' {
        $disk = (Get-DfVm -Name pub).DiskPath
        (Get-DfVm -Name pub).ProcessId | Should -Not -BeNullOrEmpty
        $err = $null
        Import-DfVm $disk -Name inuse -Credential $script:root @boot -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'ImageInUse,DfVm.PowerShell.Commands.ImportDfVmCommand'
        Test-Path (Join-Path $script:project 'vm/inuse') | Should -BeFalse
        Stop-DfVm -Name pub -Force -Confirm:$false
    }

    It 'a wrong password fails with GuestLoginFailed and leaves no VM folder' {
        $bad = [pscredential]::new('root', (ConvertTo-SecureString 'not-runner' -AsPlainText -Force))
        $err = $null
        Import-DfVm $script:public -Name wrong -Credential $bad @boot -ErrorVariable err -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'GuestLoginFailed,DfVm.PowerShell.Commands.ImportDfVmCommand'
        $err[0].Exception.Message | Should -Match 'refused root'
        Test-Path (Join-Path $script:project 'vm/wrong') | Should -BeFalse
        @(Get-ChildItem (Join-Path $script:project 'vm') -Force -Directory | Where-Object Name -Match 'wrong').Count | Should -Be 0
        (Get-FileHash $script:public -Algorithm SHA256).Hash | Should -Be $script:publicHash
    }

    It 'a second import of the same image makes a second VM on the same base; -DisablePasswordLogin makes sshd key-only' {
        $r = Import-DfVm $script:public -Name pub2 -Credential $script:root @boot -DisablePasswordLogin -WarningAction SilentlyContinue
        ($r.Changes -join "`n") | Should -Match 'sshd_config: PasswordAuthentication no'
        ($r.Changes -join "`n") | Should -Match 'reloaded sshd'
        (Invoke-DfVmCommand -Name pub2 '/usr/sbin/sshd -T | grep -i "^passwordauthentication"').Output.Trim() | Should -Be 'passwordauthentication no'
        # each disk's backing chain (disk, then the clean snapshot's layer) ends at the user's image
        $chain = { param($n) @((& qemu-img info -U --backing-chain --output=json (Join-Path $script:project "vm/$n/disk.qcow2") | ConvertFrom-Json).filename) }
        (& $chain pub2)[-1] | Should -Be $script:public
        (& $chain pub)[-1] | Should -Be $script:public
        (& $chain pub2)[0] | Should -Not -Be (& $chain pub)[0]
        Stop-DfVm -Name pub2 -Force -Confirm:$false
        # the first VM still has its own changes and its own key (Restore of clean resumes it)
        Restore-DfVmSnapshot -Name pub clean -Confirm:$false | Out-Null
        (Invoke-DfVmCommand -Name pub '/usr/sbin/sshd -T | grep -i "^passwordauthentication"').Output.Trim() | Should -Be 'passwordauthentication yes'
        Stop-DfVm -Name pub -Force -Confirm:$false
        (Get-FileHash $script:public -Algorithm SHA256).Hash | Should -Be $script:publicHash
    }

    It 'imports the seed-like image with the user''s own key and its clean copy as the clean snapshot: the user''s key stays, the suite runs, both images unchanged' {
        $info = $null
        $r = Import-DfVm $script:seedWork -CleanImage $script:seed -Name seed -KeyFile $script:userKey @boot -WarningAction SilentlyContinue -InformationVariable info
        $r.CleanImage | Should -Be $script:seed
        $r.Snapshot | Should -Be 'clean'
        # both disks got the VM's key, each change listed once and named by the disk it was made on
        $r.Changes | Should -Contain "clean copy: /root/.ssh/authorized_keys: added the VM's key (dfvm@seed)"
        $r.Changes | Should -Contain "/root/.ssh/authorized_keys: added the VM's key (dfvm@seed)"
        ($info.MessageData.Message -join "`n") | Should -Match "Snapshot 'clean' holds"
        $keys = (Invoke-DfVmCommand -Name seed 'cat /root/.ssh/authorized_keys').Output
        $keys | Should -Match ([regex]::Escape($script:userPub))
        $keys | Should -Match 'dfvm@seed'
        (Invoke-DfVmCommand -Name seed 'grep "^root:" /etc/passwd').Output | Should -Match ':/bin/csh'
        # the VM runs on the worked-on image; its chain ends there, the clean snapshot's at the clean copy
        (Invoke-DfVmCommand -Name seed 'cat /root/work-in-progress').Output.Trim() | Should -Be 'work'
        @((& qemu-img info -U --backing-chain --output=json (Join-Path $script:project 'vm/seed/disk.qcow2') | ConvertFrom-Json).filename)[-1] | Should -Be $script:seedWork
        @((& qemu-img info -U --backing-chain --output=json (Join-Path $script:project 'vm/seed/snapshots/clean.qcow2') | ConvertFrom-Json).filename)[-1] | Should -Be $script:seed
        $rows = @(Invoke-DfVmTest -Name seed -Suite Unit -Sync -InformationAction SilentlyContinue)
        @($rows | Where-Object Test -EQ 'TestRoot').Passed | Should -BeTrue -Because ($rows | Format-List Package, Test, Result, Output | Out-String)
        # back to the clean copy: no work file, and DfVm's own key still gets in
        Restore-DfVmSnapshot -Name seed clean -Confirm:$false | Out-Null
        $g = Invoke-DfVmCommand -Name seed 'test -e /root/work-in-progress && echo present || echo absent; grep -c dfvm@seed /root/.ssh/authorized_keys'
        $g.Output | Should -Match '(?s)absent.*\b1\b'
        Stop-DfVm -Name seed -Force -Confirm:$false
        (Get-FileHash $script:seed -Algorithm SHA256).Hash | Should -Be $script:seedHash
        (Get-FileHash $script:seedWork -Algorithm SHA256).Hash | Should -Be $script:seedWorkHash
    }

    It 'an image that does not boot to SSH fails with ImportBootTimeout and the serial tail, and makes no VM' {
        # a raw disk of zeros: the kernel starts, finds no root file system, and powers off
        $raw = Join-Path $script:images 'zeros.raw'
        & qemu-img create -q -f raw $raw 64M
        $err = $null
        Import-DfVm $raw -Name noboot -Credential $script:root @boot -BootTimeout 120 -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'ImportBootTimeout,DfVm.PowerShell.Commands.ImportDfVmCommand'
        $err[0].Exception.Message | Should -Match 'DFVM-GUEST: initrd failed'
        Test-Path (Join-Path $script:project 'vm/noboot') | Should -BeFalse
    }

    It 'refuses an image that is neither qcow2 nor raw (ImageFormatNotSupported), and makes no VM' {
        $vmdk = Join-Path $script:images 'other.vmdk'
        & qemu-img create -q -f vmdk $vmdk 16M
        $err = $null
        Import-DfVm $vmdk -Name fmt -Credential $script:root @boot -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'ImageFormatNotSupported,DfVm.PowerShell.Commands.ImportDfVmCommand'
        $err[0].Exception.Message | Should -Match 'vmdk'
        Test-Path (Join-Path $script:project 'vm/fmt') | Should -BeFalse
    }
}

Describe 'Import-DfVm -WhatIf' -Tag Unit {
    BeforeAll {
        . $PSScriptRoot/TestHelpers.ps1
        $script:wproject = New-TestProject -VmName wi
        $script:wimage = Join-Path $script:wproject 'disk.qcow2'
        & qemu-img create -q -f qcow2 $script:wimage 16M
        $script:wbefore = (Get-FileHash $script:wimage -Algorithm SHA256).Hash
        Push-Location $script:wproject
    }
    AfterAll {
        Pop-Location
        Remove-TestProject -Path $script:wproject
    }

    It '-CleanImage naming the image itself is CleanImageInvalid, and makes no VM' {
        $cred = [pscredential]::new('root', (ConvertTo-SecureString 'runner' -AsPlainText -Force))
        $err = $null
        Import-DfVm $script:wimage -CleanImage $script:wimage -Name wi -Credential $cred -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -Be 'CleanImageInvalid,DfVm.PowerShell.Commands.ImportDfVmCommand'
        Test-Path (Join-Path $script:wproject 'vm/wi') | Should -BeFalse
        (Get-FileHash $script:wimage -Algorithm SHA256).Hash | Should -Be $script:wbefore
    }

    It 'creates, boots and writes nothing, and returns nothing' {
        $cred = [pscredential]::new('root', (ConvertTo-SecureString 'runner' -AsPlainText -Force))
        $out = @(Import-DfVm $script:wimage -Name wi -Credential $cred -DisablePasswordLogin -WhatIf)
        $out.Count | Should -Be 0
        Test-Path (Join-Path $script:wproject 'vm') | Should -BeFalse
        (Get-FileHash $script:wimage -Algorithm SHA256).Hash | Should -Be $script:wbefore
    }
}
