using System;

namespace DfVm.Core.Qemu
{
    /// <summary>Base of every error the QMP client throws. <see cref="ErrorId"/> is one of <see cref="QmpErrorIds"/>.</summary>
    public abstract class QmpException : Exception
    {
        protected QmpException(string errorId, string message, Exception inner = null) : base(message, inner)
        {
            ErrorId = errorId;
        }

        /// <summary>A stable id (never derived from message text), e.g. "QmpTimeout".</summary>
        public string ErrorId { get; }
    }
}
