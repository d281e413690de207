using System;

namespace DfVm.Core.GoExec
{
    /// <summary>A failure to install the exec wrapper.</summary>
    public sealed class GoExecException : DfVmException
    {
        public GoExecException(string errorId, DfVmErrorKind kind, string message, string target = null, Exception inner = null)
            : base(errorId, kind, message, target, inner)
        {
        }
    }
}
