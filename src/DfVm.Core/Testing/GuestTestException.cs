using System;

namespace DfVm.Core.Testing
{
    /// <summary>The stable error ids of test runs in the guest.</summary>
    public static class GuestTestErrorIds
    {
        /// <summary>-Suite names no suite of the config.</summary>
        public const string SuiteNotFound = nameof(SuiteNotFound);

        /// <summary>A suite includes itself, or -Run/-Package/-Timeout was given for a command with no `go test` in it.</summary>
        public const string SuiteInvalid = nameof(SuiteInvalid);

        /// <summary>The project directory does not exist in the guest (not synced yet).</summary>
        public const string GuestProjectNotFound = nameof(GuestProjectNotFound);

        /// <summary>A test binary's leak record from the guest broke its rules (LeakRecord): refused, the rows kept.</summary>
        public const string LeakRecordInvalid = nameof(LeakRecordInvalid);

        /// <summary>The leak check's script could not be written in the guest (/var/tmp full or read-only).</summary>
        public const string LeakCheckUnavailable = nameof(LeakCheckUnavailable);
    }

    /// <summary>A test run that could not start: unknown suite, bad suite, no project in the guest.</summary>
    public sealed class GuestTestException : DfVmException
    {
        public GuestTestException(string errorId, DfVmErrorKind kind, string message, string target = null, Exception inner = null)
            : base(errorId, kind, message, target, inner)
        {
        }
    }
}
