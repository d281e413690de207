# DfVm configuration for this project (made by New-DfVmConfig).
# Read as data, never run: only constant values (strings, numbers, $true/$false, @(...), @{...}).
# Every setting is written out with its default (or the value given to New-DfVmConfig);
# change what you need, delete what you do not.
@{
    # Name of the VM (a folder under VmDirectory). Cmdlets take -Name to pick another one.
    VmName           = '{{VmName}}'

    # Where VM state lives: disks, snapshots, keys, logs. Relative paths are from this file's folder.
    VmDirectory      = 'vm'

    # DragonFly BSD release Save-DfVmImage fetches and Install-DfVm installs.
    DragonFlyVersion = '{{DragonFlyVersion}}'

    # The VM's virtual hardware (New-DfVm).
    DiskSizeGB       = 20
    MemoryMB         = 2048
    Cpus             = 2

    # SSH is forwarded on 127.0.0.1 only. 'Auto' picks a free port at each start; or a fixed port number.
    SshPort          = 'Auto'

    # The guest user the cmdlets log in as. Suites with Elevate = $true go through doas when it is not root.
    SshUser          = 'root'

    # Where the project lives in the guest (Sync-DfVmProject copies it there; suites run there).
    GuestProjectPath = '{{GuestProjectPath}}'

    # Paths (gitignore syntax) Sync-DfVmProject leaves out, on top of .gitignore and vm/.
    # For example: @('*.log', 'testdata/big/')
    SyncExclude      = @()

    # Copy the .git folder to the guest as well.
    SyncIncludeGit   = $false

    # What Build-DfVmProject runs in GuestProjectPath (/bin/sh). DragonFly's make is BSD make and
    # gmake is not installed: for a GNU Makefile use 'gmake build' after 'pkg install -y gmake'.
    BuildCommand     = 'go build ./...'

    # Where Invoke-DfVmTest compiles the tests: always 'Guest' (go test runs in the VM) from here. A
    # project's config cannot make DfVm run anything on your machine: 'Host' is ignored with a warning.
    # To build here (go test for the guest's GOOS/GOARCH, each test binary run as root in the VM), say
    # so yourself: Invoke-DfVmTest -BuildOn Host, or in your profile
    # $PSDefaultParameterValues['Invoke-DfVmTest:BuildOn'] = 'Host'.
    BuildOn          = 'Guest'

    # Invoke-DfVmTest records the guest's mount table and processes around each test binary and puts
    # what a binary left (or undid that it did not make) on its package row: LeftMounts, LeftProcesses,
    # RemovedMounts, EndedProcesses. The packages of a checked run run one at a time. -NoLeakCheck
    # turns it off for one run. FailOnLeak = $true (or -FailOnLeak) makes a package that leaked Failed.
    LeakCheck        = $true
    FailOnLeak       = $false

    # Invoke-DfVmTest -Suite <name>. A suite is a Command run with /bin/sh in GuestProjectPath
    # (keep -json on go test: its output becomes DfVmTestResult objects), or an Include list of
    # other suites run in order. Elevate = $true runs the command through doas.
    Suites           = @{
        Unit        = @{ Command = 'go test -json -short ./...' }
        Integration = @{ Command = 'go test -json -run Integration ./...' }
        Phase4      = @{ Command = 'go test -json ./internal/worker/...'; Elevate = $true }
        E2E         = @{ Command = 'go test -json -run E2E .' }
        All         = @{ Include = 'Unit', 'Integration', 'Phase4', 'E2E' }
    }
}
