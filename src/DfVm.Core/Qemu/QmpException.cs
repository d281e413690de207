using System;

namespace DfVm.Core.Qemu
{
    /// <summary>Base of every error the QMP client throws. Its <see cref="DfVmException.ErrorId"/> is one of the Qmp ids of <see cref="ErrorIds"/>.</summary>
    public abstract class QmpException : DfVmException
    {
        protected QmpException(string errorId, string message, Exception inner = null, DfVmErrorKind kind = DfVmErrorKind.InvalidOperation)
            : base(errorId, kind, message, null, inner)
        {
        }
    }
}
