namespace DfVm.Core.Qemu
{
    /// <summary>Stable error ids carried by <see cref="QmpException.ErrorId"/>; cmdlets surface them as-is.</summary>
    public static class QmpErrorIds
    {
        /// <summary>QEMU answered a command with an <c>error</c> reply.</summary>
        public const string CommandFailed = "QmpCommandFailed";
        /// <summary>No greeting, reply or awaited event within the allowed time.</summary>
        public const string Timeout = "QmpTimeout";
        /// <summary>The monitor socket could not be reached, was closed or was reset.</summary>
        public const string Disconnected = "QmpDisconnected";
        /// <summary>A QMP job (snapshot-save/-load/-delete) concluded with an error.</summary>
        public const string JobFailed = "QmpJobFailed";
        /// <summary>QEMU sent something the protocol does not allow (bad greeting, malformed reply).</summary>
        public const string ProtocolError = "QmpProtocolError";
    }
}
