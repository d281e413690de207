using System;

namespace DfVm.Core.Qemu
{
    /// <summary>No greeting, reply or matching event arrived in time. The connection stays usable.</summary>
    public sealed class QmpTimeoutException : QmpException
    {
        public QmpTimeoutException(string message, TimeSpan timeout, Exception inner = null)
            : base(ErrorIds.QmpTimeout, message, inner, DfVmErrorKind.Timeout)
        {
            Timeout = timeout;
        }

        /// <summary>The limit that was exceeded.</summary>
        public TimeSpan Timeout { get; }
    }
}
