using System;

namespace DfVm.Core
{
    /// <summary>What kind of failure: the cmdlets map it to an ErrorCategory.</summary>
    public enum DfVmErrorKind
    {
        InvalidOperation,
        NotFound,
        InvalidArgument,
        ConnectionError,
        Timeout,
        Security,
        ResourceUnavailable,
        NotInstalled,
        ResourceExists,
        InvalidData,
        /// <summary>The result of an operation is wrong (a checksum that does not match).</summary>
        InvalidResult,
        /// <summary>The host cannot do this at all (an operating system DfVm does not drive QEMU on).</summary>
        NotSupported,
    }

    /// <summary>
    /// Base of every failure that can reach a user (the QMP, sync, image, SSH and install errors derive
    /// from it). <see cref="ErrorId"/> is stable (never built from the message) and becomes the
    /// ErrorRecord's FullyQualifiedErrorId prefix; <see cref="Kind"/> becomes its category. Both are set
    /// where the error is raised: the cmdlets map them without looking at types or text.
    /// </summary>
    public class DfVmException : Exception
    {
        public DfVmException(string errorId, DfVmErrorKind kind, string message, string target = null, Exception inner = null)
            : base(message, inner)
        {
            ErrorId = errorId;
            Kind = kind;
            Target = target;
        }

        /// <summary>The stable id. A family whose ids are fixed per class may override it.</summary>
        public virtual string ErrorId { get; }
        public DfVmErrorKind Kind { get; }
        /// <summary>The VM (or file) the error is about.</summary>
        public string Target { get; }
    }

    /// <summary>The stable error ids the core raises. The Pester suite checks each one is produced by a test.</summary>
    public static class ErrorIds
    {
        public const string VmNotFound = nameof(VmNotFound);
        public const string VmExists = nameof(VmExists);
        public const string InvalidVmName = nameof(InvalidVmName);
        public const string ReservedVmName = nameof(ReservedVmName);
        public const string VmLocked = nameof(VmLocked);
        public const string VmNotRunning = nameof(VmNotRunning);
        public const string VmDefinitionInvalid = nameof(VmDefinitionInvalid);
        public const string QemuNotInstalled = nameof(QemuNotInstalled);
        public const string QemuStartFailed = nameof(QemuStartFailed);
        public const string SshPortInUse = nameof(SshPortInUse);
        public const string GuestNotReady = nameof(GuestNotReady);
        /// <summary>Wait-DfVm: the VM was not ready (or not stopped) within -Timeout.</summary>
        public const string WaitTimeout = nameof(WaitTimeout);
        /// <summary>The guest wrote nothing on its serial console and offered no SSH, twice (issue 10).</summary>
        public const string GuestSilent = nameof(GuestSilent);
        /// <summary>QEMU stopped the guest on a write error: the host file system under the VM's disk is full (issue 10).</summary>
        public const string HostDiskFull = nameof(HostDiskFull);
        /// <summary>A guest command (a sync's tar, go's build) failed for want of space in the guest (issue 10).</summary>
        public const string GuestDiskFull = nameof(GuestDiskFull);
        public const string HostKeyMismatch = nameof(HostKeyMismatch);
        public const string SshAuthenticationFailed = nameof(SshAuthenticationFailed);
        public const string GuestConnectionLost = nameof(GuestConnectionLost);
        public const string BaseImageNotFound = nameof(BaseImageNotFound);
        public const string PlatformNotSupported = nameof(PlatformNotSupported);
        public const string LiveSnapshotWouldNotLoad = nameof(LiveSnapshotWouldNotLoad);
    }
}
