using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Util;

namespace DfVm.Core.Ssh
{
    /// <summary>What <see cref="GuestCapture.CaptureAsync"/> kept of a command: exit code, time, and its two streams.</summary>
    public sealed class CapturedCommand
    {
        internal CapturedCommand(GuestCommandOutcome outcome, CappedText output, CappedText error)
        {
            ExitCode = outcome.ExitCode;
            Duration = outcome.Duration;
            LinesCut = outcome.LinesCut;
            Output = output;
            Error = error;
        }

        public int ExitCode { get; }
        public TimeSpan Duration { get; }
        /// <summary>Lines longer than <see cref="OutputLimits.MaxLineChars"/> that were cut.</summary>
        public int LinesCut { get; }
        public CappedText Output { get; }
        public CappedText Error { get; }
    }

    /// <summary>
    /// The one way a guest command's output is captured, over <see cref="IGuestShell"/>'s line callbacks:
    /// every line goes on to the caller's callbacks as it comes and is kept, up to <c>limit</c> characters
    /// a stream. Command results use it with their bound; the sync's listings parse the lines as they stream
    /// (GuestListing's parsers keep only the result, bounded) and keep no text here.
    /// </summary>
    public static class GuestCapture
    {
        public static async Task<CapturedCommand> CaptureAsync(this IGuestShell shell, string command,
            Func<Stream, CancellationToken, Task> stdin, Action<string> onOutputLine, Action<string> onErrorLine,
            CancellationToken ct, int limit = OutputLimits.MaxCapturedChars)
        {
            var output = CappedText.ForLines(limit);
            var error = CappedText.ForLines(limit);
            var outcome = await shell.RunAsync(command, stdin,
                line => { output.AppendLine(line); onOutputLine?.Invoke(line); },
                line => { error.AppendLine(line); onErrorLine?.Invoke(line); },
                ct).ConfigureAwait(false);
            return new CapturedCommand(outcome, output, error);
        }
    }
}
