namespace DfVm.Core.Install
{
    /// <summary>Stable error ids of the install layer (cmdlets use them for ErrorRecords).</summary>
    public static class InstallErrorIds
    {
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
    }
}
