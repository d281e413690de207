using System;

namespace DfVm.Core.Testing
{
    /// <summary>A test run that could not start: unknown suite, bad suite, no project in the guest.</summary>
    public sealed class GuestTestException : DfVmException
    {
        public GuestTestException(string errorId, DfVmErrorKind kind, string message, string target = null, Exception inner = null)
            : base(errorId, kind, message, target, inner)
        {
        }
    }
}
