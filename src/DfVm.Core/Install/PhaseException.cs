using System;

namespace DfVm.Core.Install
{
    /// <summary>
    /// A PFI phase did not finish well: <see cref="ErrorIds.PhaseFailed"/> or
    /// <see cref="ErrorIds.PhaseTimeout"/>. The message ends with the last serial lines.
    /// </summary>
    public sealed class PhaseException : DfVmException
    {
        public PhaseException(string errorId, string vmName, string phase, string reason, string serialTail, TimeSpan elapsed)
            : base(errorId,
                   errorId == ErrorIds.PhaseTimeout ? DfVmErrorKind.Timeout : DfVmErrorKind.InvalidOperation,
                   $"Install phase '{phase}' of VM '{vmName}' {reason} (after {elapsed.TotalSeconds:0} s). Last serial lines:\n{serialTail}",
                   vmName)
        {
            Phase = phase;
            Reason = reason;
            SerialTail = serialTail;
            Elapsed = elapsed;
        }

        /// <summary>The phase name ("install", "packages", ...).</summary>
        public string Phase { get; }

        /// <summary>What went wrong, in words (the failed marker's reason, or which timeout).</summary>
        public string Reason { get; }

        /// <summary>The last 20 lines of the serial console.</summary>
        public string SerialTail { get; }

        public TimeSpan Elapsed { get; }
    }
}
