using System;

namespace DfVm.Core.Qemu
{
    /// <summary>QEMU sent something the protocol does not allow (a greeting without a version, a reply of the wrong shape).</summary>
    public sealed class QmpProtocolException : QmpException
    {
        public QmpProtocolException(string message, Exception inner = null)
            : base(ErrorIds.QmpProtocolError, message, inner)
        {
        }
    }
}
