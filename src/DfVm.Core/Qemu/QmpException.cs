using System;

namespace DfVm.Core.Qemu
{
    /// <summary>Base of every error the QMP client throws. <see cref="ErrorId"/> is one of <see cref="QmpErrorIds"/>.</summary>
    public abstract class QmpException : DfVmException
    {
        protected QmpException(string errorId, string message, Exception inner = null, DfVmErrorKind kind = DfVmErrorKind.InvalidOperation)
            : base(errorId, kind, message, null, inner)
        {
        }
    }
}
