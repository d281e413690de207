using System;

namespace DfVm.Core.GoExec
{
    /// <summary>The stable error ids of the go test exec wrapper and host builds.</summary>
    public static class GoExecErrorIds
    {
        /// <summary>Install-DfVmGoExec would overwrite a file DfVm did not write.</summary>
        public const string GoExecDestinationOccupied = nameof(GoExecDestinationOccupied);

        /// <summary>-GoOS/-GoArch is not a plain word (it becomes part of a file name).</summary>
        public const string GoExecTargetInvalid = nameof(GoExecTargetInvalid);

        /// <summary>-BuildOn Host: the guest's uname is no GOOS/GOARCH Go builds for (the guest is not trusted).</summary>
        public const string GoExecGuestTargetInvalid = nameof(GoExecGuestTargetInvalid);

        /// <summary>A host build was asked to run a command that is not a plain `go test` (only that runs on this machine).</summary>
        public const string HostBuildRefused = nameof(HostBuildRefused);
    }

    /// <summary>A failure to install the exec wrapper.</summary>
    public sealed class GoExecException : DfVmException
    {
        public GoExecException(string errorId, DfVmErrorKind kind, string message, string target = null, Exception inner = null)
            : base(errorId, kind, message, target, inner)
        {
        }
    }
}
