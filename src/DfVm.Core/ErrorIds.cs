namespace DfVm.Core
{
    /// <summary>
    /// Every stable error id the module emits, in one place. An id becomes the first part of the
    /// ErrorRecord's FullyQualifiedErrorId (<c>VmNotFound,DfVm.PowerShell.Commands.GetDfVmCommand</c>),
    /// which users' scripts and tests match: an id string never changes once released. Each one is
    /// its own name (<c>nameof</c>), is set where the error is raised (a <see cref="DfVmException"/>
    /// constructor argument) and is produced by some test: tests/Pester/Module.Tests.ps1 reads this
    /// class by reflection, tests/DfVm.Core.Tests/ErrorIdsTests.cs checks it is the only one.
    /// </summary>
    public static class ErrorIds
    {
        // ---- VMs: names, definitions, locks --------------------------------------------------

        /// <summary>No VM of that name (or a VM was removed by another command while this one ran).</summary>
        public const string VmNotFound = nameof(VmNotFound);
        /// <summary>New-DfVm (without -Force) or Import-DfVm: a VM of that name exists already.</summary>
        public const string VmExists = nameof(VmExists);
        /// <summary>A VM name that is not 1-63 letters, digits, '-' or '_'.</summary>
        public const string InvalidVmName = nameof(InvalidVmName);
        /// <summary>A VM name DfVm uses for a folder of its own (the image cache).</summary>
        public const string ReservedVmName = nameof(ReservedVmName);
        /// <summary>Another DfVm command holds the VM's lock (or its state lock) for too long.</summary>
        public const string VmLocked = nameof(VmLocked);
        /// <summary>The command needs a running VM and the VM is stopped.</summary>
        public const string VmNotRunning = nameof(VmNotRunning);
        /// <summary>The VM's vm.json does not parse or holds a value DfVm cannot use.</summary>
        public const string VmDefinitionInvalid = nameof(VmDefinitionInvalid);
        /// <summary>A base image (New-DfVm -BaseImage, Import-DfVm's disk or -CleanImage) does not exist.</summary>
        public const string BaseImageNotFound = nameof(BaseImageNotFound);
        /// <summary>Set-DfVm: a new memory or CPU size would leave live snapshots that QEMU cannot load.</summary>
        public const string LiveSnapshotWouldNotLoad = nameof(LiveSnapshotWouldNotLoad);

        // ---- Host and QEMU -------------------------------------------------------------------

        /// <summary>A host that cannot drive QEMU (Windows outside WSL).</summary>
        public const string PlatformNotSupported = nameof(PlatformNotSupported);
        /// <summary>qemu-system or qemu-img is not on PATH.</summary>
        public const string QemuNotInstalled = nameof(QemuNotInstalled);
        /// <summary>QEMU exited at once, or while the guest was booting.</summary>
        public const string QemuStartFailed = nameof(QemuStartFailed);
        /// <summary>A qemu-img call (create, info, convert) exited non-zero.</summary>
        public const string QemuImgFailed = nameof(QemuImgFailed);
        /// <summary>The VM's SSH forward port on 127.0.0.1 is taken by another program.</summary>
        public const string SshPortInUse = nameof(SshPortInUse);
        /// <summary>QEMU stopped the guest on a write error: the host file system under the VM's disk is full.</summary>
        public const string HostDiskFull = nameof(HostDiskFull);

        // ---- QMP (the QEMU monitor) ----------------------------------------------------------

        /// <summary>QEMU answered a command with an <c>error</c> reply.</summary>
        public const string QmpCommandFailed = nameof(QmpCommandFailed);
        /// <summary>No greeting, reply or awaited event within the allowed time.</summary>
        public const string QmpTimeout = nameof(QmpTimeout);
        /// <summary>The monitor socket could not be reached, was closed or was reset.</summary>
        public const string QmpDisconnected = nameof(QmpDisconnected);
        /// <summary>A QMP job (snapshot-save/-load/-delete) concluded with an error.</summary>
        public const string QmpJobFailed = nameof(QmpJobFailed);
        /// <summary>QEMU sent something the protocol does not allow (bad greeting, malformed reply).</summary>
        public const string QmpProtocolError = nameof(QmpProtocolError);

        // ---- Guest readiness and SSH ---------------------------------------------------------

        /// <summary>The guest did not accept an SSH login within the boot timeout.</summary>
        public const string GuestNotReady = nameof(GuestNotReady);
        /// <summary>Wait-DfVm: the VM was not ready (or not stopped) within -Timeout.</summary>
        public const string WaitTimeout = nameof(WaitTimeout);
        /// <summary>The guest wrote nothing on its serial console and offered no SSH, twice.</summary>
        public const string GuestSilent = nameof(GuestSilent);
        /// <summary>A guest command (a sync's tar, go's build) failed for want of space in the guest.</summary>
        public const string GuestDiskFull = nameof(GuestDiskFull);
        /// <summary>The guest presented an SSH host key other than the one pinned for the VM.</summary>
        public const string HostKeyMismatch = nameof(HostKeyMismatch);
        /// <summary>The guest refused the VM's SSH key.</summary>
        public const string SshAuthenticationFailed = nameof(SshAuthenticationFailed);
        /// <summary>The SSH connection could not be opened or was lost (or QEMU ended) while a command ran.</summary>
        public const string GuestConnectionLost = nameof(GuestConnectionLost);

        // ---- Snapshots -----------------------------------------------------------------------

        /// <summary>The VM has no snapshot of that name.</summary>
        public const string SnapshotNotFound = nameof(SnapshotNotFound);
        /// <summary>Checkpoint-DfVm: the VM has a snapshot of that name already.</summary>
        public const string SnapshotExists = nameof(SnapshotExists);
        /// <summary>A snapshot name that is not 1-63 letters, digits, '-' or '_'.</summary>
        public const string InvalidSnapshotName = nameof(InvalidSnapshotName);
        /// <summary>Remove-DfVmSnapshot without -Merge: other snapshots are built on this one.</summary>
        public const string SnapshotInUse = nameof(SnapshotInUse);
        /// <summary>Remove-DfVmSnapshot -Merge would change a disk layer the running VM reads.</summary>
        public const string VmMustBeStopped = nameof(VmMustBeStopped);
        /// <summary>Saving or loading a live snapshot's memory failed.</summary>
        public const string SnapshotFailed = nameof(SnapshotFailed);

        // ---- Sync (Sync-DfVmProject, Invoke-DfVmTest -Sync) -----------------------------------

        /// <summary>The sync source folder does not exist.</summary>
        public const string SyncSourceNotFound = nameof(SyncSourceNotFound);
        /// <summary>A guest command of the sync failed (tar, deletion, listing or hashing).</summary>
        public const string SyncFailed = nameof(SyncFailed);
        /// <summary>A host path cannot be synced (a name holding a line break, say).</summary>
        public const string SyncPathUnsupported = nameof(SyncPathUnsupported);
        /// <summary>The guest destination is empty, relative or dangerous (like "/").</summary>
        public const string SyncDestinationInvalid = nameof(SyncDestinationInvalid);
        /// <summary>A guest listing or hash list is not what the command prints (past its bound, a name leaving the tree, a bad line).</summary>
        public const string SyncGuestOutputInvalid = nameof(SyncGuestOutputInvalid);

        // ---- Copy-DfVmItem -------------------------------------------------------------------

        /// <summary>Copy-DfVmItem -FromGuest: a guest path that matches nothing, is not absolute, or has wildcards DfVm does not pass on.</summary>
        public const string GuestPathNotFound = nameof(GuestPathNotFound);
        /// <summary>-ToGuest: the host path does not exist.</summary>
        public const string HostPathNotFound = nameof(HostPathNotFound);
        /// <summary>The copy failed on the guest or on this machine (or the host destination is not a folder).</summary>
        public const string CopyFailed = nameof(CopyFailed);
        /// <summary>-FromGuest without -Force: a file or symlink of the same name is on the host already (nothing was written).</summary>
        public const string DestinationExists = nameof(DestinationExists);
        /// <summary>-FromGuest: what the guest sent is not a valid list and archive (nothing was written).</summary>
        public const string GuestArchiveInvalid = nameof(GuestArchiveInvalid);
        /// <summary>-FromGuest: the warning id of an archive entry that was not copied (device node, link out of the tree, ...).</summary>
        public const string CopySkippedEntry = nameof(CopySkippedEntry);

        // ---- Images (Save-DfVmImage, Install-DfVm) --------------------------------------------

        /// <summary>The mirror answered 404 for the image.</summary>
        public const string ImageNotFound = nameof(ImageNotFound);
        /// <summary>The transfer failed (connection dropped, stalled, unexpected HTTP status); the .part file is kept.</summary>
        public const string ImageDownloadFailed = nameof(ImageDownloadFailed);
        /// <summary>A downloaded or decompressed file does not have the expected checksum; it was deleted.</summary>
        public const string ImageChecksumMismatch = nameof(ImageChecksumMismatch);
        /// <summary>No checksum is known for the image (the mirror's md5.txt has none and the module knows none).</summary>
        public const string ImageChecksumUnavailable = nameof(ImageChecksumUnavailable);
        /// <summary>The mirror's md5.txt and the module's built-in checksum disagree.</summary>
        public const string ImageChecksumConflict = nameof(ImageChecksumConflict);
        /// <summary>The compressed image is not valid data; it was deleted.</summary>
        public const string ImageDecompressFailed = nameof(ImageDecompressFailed);
        /// <summary>Save-DfVmImage -Uri: not an http(s) URL, or its last segment is not a plain file name.</summary>
        public const string InvalidImageUri = nameof(InvalidImageUri);
        /// <summary>-Mirror of Save-DfVmImage or Install-DfVm: not an absolute http(s) URL.</summary>
        public const string InvalidMirror = nameof(InvalidMirror);

        // ---- Install-DfVm and provisioning ---------------------------------------------------

        /// <summary>A PFI phase printed its failed marker, the guest kernel panicked, or QEMU exited before the done marker.</summary>
        public const string PhaseFailed = nameof(PhaseFailed);
        /// <summary>A PFI phase ran past its overall timeout or printed nothing for too long.</summary>
        public const string PhaseTimeout = nameof(PhaseTimeout);
        /// <summary>The VM is running; installing needs it stopped.</summary>
        public const string VmIsRunning = nameof(VmIsRunning);
        /// <summary>A disc or ISO to attach is missing.</summary>
        public const string InstallMediaNotFound = nameof(InstallMediaNotFound);
        /// <summary>The VM boots a kernel directly (the Linux test guest): there is nothing to install DragonFly onto.</summary>
        public const string NotDragonFlyVm = nameof(NotDragonFlyVm);
        /// <summary>The VM has snapshots that a fresh install would leave pointing at a system that is gone.</summary>
        public const string InstallWouldOrphanSnapshots = nameof(InstallWouldOrphanSnapshots);
        /// <summary>A guest project folder that is not an absolute path.</summary>
        public const string InvalidGuestPath = nameof(InvalidGuestPath);
        /// <summary>The VM's SshUser is not a name provisioning can write a doas rule for.</summary>
        public const string InvalidSshUser = nameof(InvalidSshUser);
        /// <summary>provision.sh exited non-zero.</summary>
        public const string ProvisionFailed = nameof(ProvisionFailed);

        // ---- Import-DfVm ---------------------------------------------------------------------

        /// <summary>The guest refused the password or key the user gave for the first login.</summary>
        public const string GuestLoginFailed = nameof(GuestLoginFailed);
        /// <summary>The image did not boot to an SSH banner within the timeout (or QEMU ended first).</summary>
        public const string ImportBootTimeout = nameof(ImportBootTimeout);
        /// <summary>Another QEMU (a running VM) holds the image open for writing.</summary>
        public const string ImageInUse = nameof(ImageInUse);
        /// <summary>The image is not qcow2 or raw (qemu-img info says which format it is).</summary>
        public const string ImageFormatNotSupported = nameof(ImageFormatNotSupported);
        /// <summary>-CleanImage names the image itself (the clean copy must be a file of its own).</summary>
        public const string CleanImageInvalid = nameof(CleanImageInvalid);

        // ---- Guest self-check (Test-DfVmGuest, the last step of Install-DfVm -Unattended) ----

        /// <summary>One or more checks of the guest self-check failed; the message names them.</summary>
        public const string GuestSelfCheckFailed = nameof(GuestSelfCheckFailed);

        // ---- Test runs (Invoke-DfVmTest, ConvertFrom-GoTestJson) -----------------------------

        /// <summary>-Suite names no suite of the config.</summary>
        public const string SuiteNotFound = nameof(SuiteNotFound);
        /// <summary>A suite includes itself, or -Run/-Package/-Timeout was given for a command with no `go test` in it.</summary>
        public const string SuiteInvalid = nameof(SuiteInvalid);
        /// <summary>The project directory does not exist in the guest (not synced yet).</summary>
        public const string GuestProjectNotFound = nameof(GuestProjectNotFound);
        /// <summary>Invoke-DfVmTest -CI: a test failed or the run did not finish.</summary>
        public const string TestsFailed = nameof(TestsFailed);
        /// <summary>ConvertFrom-GoTestJson -Path: no file matches the path.</summary>
        public const string FileNotFound = nameof(FileNotFound);
        /// <summary>A test binary's leak record from the guest broke its rules (LeakRecord): refused, the rows kept.</summary>
        public const string LeakRecordInvalid = nameof(LeakRecordInvalid);
        /// <summary>The leak check's script could not be written in the guest (/var/tmp full or read-only).</summary>
        public const string LeakCheckUnavailable = nameof(LeakCheckUnavailable);

        // ---- Go exec wrapper and host builds (Install-DfVmGoExec, -BuildOn Host) --------------

        /// <summary>Install-DfVmGoExec would overwrite a file DfVm did not write.</summary>
        public const string GoExecDestinationOccupied = nameof(GoExecDestinationOccupied);
        /// <summary>-GoOS/-GoArch is not a plain word (it becomes part of a file name).</summary>
        public const string GoExecTargetInvalid = nameof(GoExecTargetInvalid);
        /// <summary>-BuildOn Host: the guest's uname is no GOOS/GOARCH Go builds for (the guest is not trusted).</summary>
        public const string GoExecGuestTargetInvalid = nameof(GoExecGuestTargetInvalid);
        /// <summary>A host build was asked to run a command that is not a plain `go test` (only that runs on this machine).</summary>
        public const string HostBuildRefused = nameof(HostBuildRefused);

        // ---- Config and the project (DfVm.config.psd1) ---------------------------------------

        /// <summary>DfVm.config.psd1 does not parse, holds an unknown key or a value of the wrong type.</summary>
        public const string ConfigInvalid = nameof(ConfigInvalid);
        /// <summary>New-DfVmConfig without -Force: the folder has a DfVm.config.psd1 already.</summary>
        public const string ConfigExists = nameof(ConfigExists);
        /// <summary>Get-DfVmConfig -Path: the path does not exist.</summary>
        public const string PathNotFound = nameof(PathNotFound);

        // ---- Interactive -----------------------------------------------------------------------

        /// <summary>Enter-DfVm without an interactive terminal.</summary>
        public const string TerminalRequired = nameof(TerminalRequired);

        // ---- Framework exceptions a cmdlet can meet (ErrorMapping) ---------------------------

        /// <summary>A .NET TimeoutException that no DfVm error wraps.</summary>
        public const string OperationTimeout = nameof(OperationTimeout);
        /// <summary>A file or folder the user may not read or write (UnauthorizedAccessException).</summary>
        public const string PermissionDenied = nameof(PermissionDenied);
        /// <summary>A host file system error (IOException) that no DfVm error wraps.</summary>
        public const string IOError = nameof(IOError);
        /// <summary>Anything else: a bug in DfVm, reported with its exception.</summary>
        public const string UnexpectedError = nameof(UnexpectedError);
    }
}
