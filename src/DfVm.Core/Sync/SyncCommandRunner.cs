using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Ssh;
using DfVm.Core.Util;

namespace DfVm.Core.Sync
{
    /// <summary>
    /// Runs the sync's commands in the guest (<see cref="SyncShellCommands"/>) over <see cref="IGuestShell"/>,
    /// keeping stderr (and any stray stdout) in a <see cref="CappedText"/>. Nothing the guest prints is kept unbounded: a listing is parsed
    /// line by line as it streams (<see cref="RunParsedAsync"/>), and a parser that refuses a line
    /// ends the guest command at once. Counts the commands run.
    /// </summary>
    internal sealed class SyncCommandRunner
    {
        private readonly IGuestShell _shell;

        public SyncCommandRunner(IGuestShell shell)
        {
            _shell = shell;
        }

        /// <summary>What is kept of a stream the sync does not parse (stderr, a tar's stdout): enough for an error message.</summary>
        public const int KeptChars = 64 * 1024;

        public int CommandsRun { get; private set; }

        /// <summary>What the last command wrote on stderr (also when it exited 0), up to the usual capture bound.</summary>
        public IReadOnlyList<string> LastStderr { get; private set; } = new string[0];

        /// <summary>Runs <paramref name="command"/> (its output kept within the usual bound); throws <see cref="SyncFailedException"/> on a non-zero exit.</summary>
        public async Task RunAsync(string what, string command, Func<Stream, CancellationToken, Task> stdin, CancellationToken ct)
        {
            await RunParsedAsync(what, command, stdin, null, ct).ConfigureAwait(false);
        }

        /// <summary>
        /// Runs <paramref name="command"/> and hands each stdout line to <paramref name="onLine"/> as it
        /// comes, keeping none. When <paramref name="onLine"/> throws (the output is not what the command
        /// prints, or is past its bound), the guest command is ended and that exception is thrown.
        /// </summary>
        public async Task RunParsedAsync(string what, string command, Func<Stream, CancellationToken, Task> stdin,
            Action<string> onLine, CancellationToken ct)
        {
            CommandsRun++;
            Exception refused = null;
            GuestCommandOutcome outcome;
            // Kept: stderr (for the error message) and, without a parser, stdout, each to a small bound.
            var error = CappedText.ForLines(KeptChars);
            var output = CappedText.ForLines(KeptChars);
            using (var stop = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                Action<string> handler = output.AppendLine;
                if (onLine != null)
                {
                    handler = line =>
                    {
                        if (refused != null)
                        {
                            return;
                        }
                        try
                        {
                            onLine(line);
                        }
                        catch (Exception ex)
                        {
                            refused = ex;
                            stop.Cancel(); // ends the guest command (its process tree is killed)
                        }
                    };
                }
                try
                {
                    outcome = await _shell.RunAsync(command, stdin, handler, error.AppendLine, stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (refused != null && !ct.IsCancellationRequested)
                {
                    throw refused;
                }
            }
            if (refused != null)
            {
                throw refused;
            }
            string err = error.ToString().TrimEnd();
            LastStderr = err.Length == 0 ? new string[0] : err.Split('\n');
            if (outcome.ExitCode != 0)
            {
                throw new SyncFailedException(
                    what + " failed in the guest (exit " + outcome.ExitCode + ")" + (err.Length > 0 ? ": " + err : "."),
                    outcome.ExitCode, err);
            }
        }

        /// <summary>Writes fixed bytes as the command's stdin.</summary>
        public static Func<Stream, CancellationToken, Task> Bytes(byte[] data)
        {
            return async (s, ct) =>
            {
                await s.WriteAsync(data, 0, data.Length, ct).ConfigureAwait(false);
                await s.FlushAsync(ct).ConfigureAwait(false);
            };
        }
    }
}
