using System;

namespace DfVm.Core.Sync
{
    /// <summary>Base of the sync errors; <see cref="ErrorId"/> is the stable id a cmdlet surfaces.</summary>
    public abstract class SyncException : DfVmException
    {
        protected SyncException(string message, Exception inner = null, DfVmErrorKind kind = DfVmErrorKind.InvalidOperation)
            : base(null, kind, message, null, inner) { }

        public abstract override string ErrorId { get; }
    }

    /// <summary>The source directory does not exist.</summary>
    public sealed class SyncSourceNotFoundException : SyncException
    {
        public SyncSourceNotFoundException(string sourcePath)
            : base("The sync source '" + sourcePath + "' does not exist or is not a directory.", null, DfVmErrorKind.NotFound)
        {
            SourcePath = sourcePath;
        }

        public string SourcePath { get; }
        public override string ErrorId => "SyncSourceNotFound";
    }

    /// <summary>A guest command of the sync failed (tar, deletion, listing or hashing).</summary>
    public sealed class SyncFailedException : SyncException
    {
        public SyncFailedException(string message, int? exitCode, string guestStderr, Exception inner = null)
            : base(message, inner)
        {
            ExitCode = exitCode;
            GuestStderr = guestStderr ?? string.Empty;
        }

        /// <summary>The guest command's exit code, null when it did not finish.</summary>
        public int? ExitCode { get; }
        /// <summary>What the guest command wrote to stderr.</summary>
        public string GuestStderr { get; }
        public override string ErrorId => "SyncFailed";
    }

    /// <summary>A host path cannot be synced (for example a name holding a line break).</summary>
    public sealed class SyncPathUnsupportedException : SyncException
    {
        public SyncPathUnsupportedException(string path, string message) : base(message)
        {
            Path = path;
        }

        public string Path { get; }
        public override string ErrorId => "SyncPathUnsupported";
    }

    /// <summary>The guest destination is empty, relative or dangerous (like "/").</summary>
    public sealed class SyncDestinationInvalidException : SyncException
    {
        public SyncDestinationInvalidException(string destination, string reason)
            : base("The sync destination '" + destination + "' is not allowed: " + reason)
        {
            Destination = destination;
        }

        public string Destination { get; }
        public override string ErrorId => "SyncDestinationInvalid";
    }

    /// <summary>
    /// What a sync command printed in the guest is not what that command prints: a listing or
    /// hash list past its bound, a name that leaves the destination, a line that does not parse.
    /// The guest is untrusted; nothing was planned from it and nothing was changed.
    /// </summary>
    public sealed class SyncGuestOutputInvalidException : SyncException
    {
        public SyncGuestOutputInvalidException(string what, string reason)
            : base(what + " in the guest printed what that command cannot print: " + reason +
                   ". The guest is not trusted: nothing was planned from its output (check the guest's find, od and sha256).")
        {
            Reason = reason;
        }

        public string Reason { get; }
        public override string ErrorId => "SyncGuestOutputInvalid";
    }
}
