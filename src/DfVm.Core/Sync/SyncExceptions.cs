using System;

namespace DfVm.Core.Sync
{
    /// <summary>Base of the sync errors; each passes its Sync id of <see cref="ErrorIds"/>.</summary>
    public abstract class SyncException : DfVmException
    {
        protected SyncException(string errorId, string message, Exception inner = null, DfVmErrorKind kind = DfVmErrorKind.InvalidOperation)
            : base(errorId, kind, message, null, inner) { }
    }

    /// <summary>The source directory does not exist.</summary>
    public sealed class SyncSourceNotFoundException : SyncException
    {
        public SyncSourceNotFoundException(string sourcePath)
            : base(ErrorIds.SyncSourceNotFound, "The sync source '" + sourcePath + "' does not exist or is not a directory.", null, DfVmErrorKind.NotFound)
        {
            SourcePath = sourcePath;
        }

        public string SourcePath { get; }
    }

    /// <summary>A guest command of the sync failed (tar, deletion, listing or hashing).</summary>
    public sealed class SyncFailedException : SyncException
    {
        public SyncFailedException(string message, int? exitCode, string guestStderr, Exception inner = null)
            : base(ErrorIds.SyncFailed, message, inner)
        {
            ExitCode = exitCode;
            GuestStderr = guestStderr ?? string.Empty;
        }

        /// <summary>The guest command's exit code, null when it did not finish.</summary>
        public int? ExitCode { get; }
        /// <summary>What the guest command wrote to stderr.</summary>
        public string GuestStderr { get; }
    }

    /// <summary>A host path cannot be synced (for example a name holding a line break).</summary>
    public sealed class SyncPathUnsupportedException : SyncException
    {
        public SyncPathUnsupportedException(string path, string message) : base(ErrorIds.SyncPathUnsupported, message)
        {
            Path = path;
        }

        public string Path { get; }
    }

    /// <summary>The guest destination is empty, relative or dangerous (like "/").</summary>
    public sealed class SyncDestinationInvalidException : SyncException
    {
        public SyncDestinationInvalidException(string destination, string reason)
            : base(ErrorIds.SyncDestinationInvalid, "The sync destination '" + destination + "' is not allowed: " + reason)
        {
            Destination = destination;
        }

        public string Destination { get; }
    }

    /// <summary>
    /// What a sync command printed in the guest is not what that command prints: a listing or
    /// hash list past its bound, a name that leaves the destination, a line that does not parse.
    /// The guest is untrusted; nothing was planned from it and nothing was changed.
    /// </summary>
    public sealed class SyncGuestOutputInvalidException : SyncException
    {
        public SyncGuestOutputInvalidException(string what, string reason)
            : base(ErrorIds.SyncGuestOutputInvalid, what + " in the guest printed what that command cannot print: " + reason +
                   ". The guest is not trusted: nothing was planned from its output (check the guest's find, od and sha256).")
        {
            Reason = reason;
        }

        public string Reason { get; }
    }
}
