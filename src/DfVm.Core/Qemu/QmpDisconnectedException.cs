using System;

namespace DfVm.Core.Qemu
{
    /// <summary>
    /// The monitor socket could not be connected, or it was closed/reset (EOF, ECONNRESET, QEMU exited
    /// or was killed). Every pending call fails with it at once, and every later call fails immediately.
    /// </summary>
    public sealed class QmpDisconnectedException : QmpException
    {
        public QmpDisconnectedException(string message, Exception inner = null)
            : base(ErrorIds.QmpDisconnected, message, inner, DfVmErrorKind.ConnectionError)
        {
        }
    }
}
