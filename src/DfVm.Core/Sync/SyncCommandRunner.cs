using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Ssh;

namespace DfVm.Core.Sync
{
    /// <summary>
    /// Runs the sync's commands in the guest (<see cref="SyncShellCommands"/>) through the one capture
    /// (<see cref="GuestCapture"/>), unbounded: a listing is never cut. Counts the commands run.
    /// </summary>
    internal sealed class SyncCommandRunner
    {
        private readonly IGuestShell _shell;

        public SyncCommandRunner(IGuestShell shell)
        {
            _shell = shell;
        }

        public int CommandsRun { get; private set; }

        /// <summary>What the last command wrote on stderr (also when it exited 0).</summary>
        public IReadOnlyList<string> LastStderr { get; private set; } = new string[0];

        /// <summary>Runs <paramref name="command"/>; throws <see cref="SyncFailedException"/> on a non-zero exit.</summary>
        public async Task<List<string>> RunAsync(string what, string command, Func<Stream, CancellationToken, Task> stdin,
            CancellationToken ct)
        {
            CommandsRun++;
            var outcome = await _shell.CaptureAsync(command, stdin, null, null, ct, limit: int.MaxValue).ConfigureAwait(false);
            string err = outcome.Error.ToString().TrimEnd();
            LastStderr = err.Length == 0 ? new string[0] : err.Split('\n');
            if (outcome.ExitCode != 0)
            {
                throw new SyncFailedException(
                    what + " failed in the guest (exit " + outcome.ExitCode + ")" + (err.Length > 0 ? ": " + err : "."),
                    outcome.ExitCode, err);
            }
            return new List<string>(outcome.Output.Lines());
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
