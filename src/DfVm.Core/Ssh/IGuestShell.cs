using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace DfVm.Core.Ssh
{
    /// <summary>
    /// Runs POSIX sh command lines in a guest. The implementation does the quoting
    /// (the guest's login shell may be csh): callers pass the sh text as they mean it.
    /// </summary>
    public interface IGuestShell
    {
        /// <summary>
        /// Runs <paramref name="shCommand"/> with /bin/sh -c in the guest.
        /// <paramref name="writeStdin"/> (may be null) streams the command's standard input and
        /// is followed by EOF. Output lines are reported as they arrive, on a thread of the
        /// implementation's choosing. A non-zero exit is data, not an exception; a lost
        /// connection throws <see cref="GuestConnectionLostException"/>. Cancelling ends the
        /// remote command.
        /// </summary>
        Task<GuestCommandOutcome> RunAsync(
            string shCommand,
            Func<Stream, CancellationToken, Task> writeStdin,
            Action<string> onStdoutLine,
            Action<string> onStderrLine,
            CancellationToken cancellationToken);
    }

    public sealed class GuestCommandOutcome
    {
        public GuestCommandOutcome(int exitCode, TimeSpan duration)
        {
            ExitCode = exitCode;
            Duration = duration;
        }

        public int ExitCode { get; }
        public TimeSpan Duration { get; }
        /// <summary>Lines longer than <see cref="OutputLimits.MaxLineChars"/> that were cut (stdout and stderr).</summary>
        public int LinesCut { get; set; }
    }

    public class GuestConnectionLostException : DfVmException
    {
        public GuestConnectionLostException(string message, Exception inner = null)
            : base(ErrorIds.GuestConnectionLost, DfVmErrorKind.ConnectionError, message, null, inner) { }

        /// <summary>The guest pid of the command's shell when the connection was lost while it ran (0: unknown).</summary>
        public int RemotePid { get; set; }
    }
}
