namespace DfVm.Core.Qemu
{
    /// <summary>QEMU replied to a command with <c>{"error":{"class":...,"desc":...}}</c>.</summary>
    public sealed class QmpCommandException : QmpException
    {
        public QmpCommandException(string command, string errorClass, string description)
            : base(ErrorIds.QmpCommandFailed, $"QMP command '{command}' failed: {errorClass}: {description}")
        {
            Command = command;
            ErrorClass = errorClass;
            Description = description;
        }

        /// <summary>The command that failed, e.g. "snapshot-load".</summary>
        public string Command { get; }

        /// <summary>The QMP error <c>class</c> ("GenericError", "CommandNotFound", "DeviceNotFound"...): branch on this.</summary>
        public string ErrorClass { get; }

        /// <summary>The human-readable <c>desc</c>: for messages only, never parse it.</summary>
        public string Description { get; }
    }
}
