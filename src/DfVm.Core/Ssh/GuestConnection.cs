using System;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace DfVm.Core.Ssh
{
    /// <summary>Where and how to log in to one guest.</summary>
    public sealed class GuestEndpoint
    {
        public string VmName { get; set; }
        public string Host { get; set; } = "127.0.0.1";
        public int Port { get; set; }
        public string User { get; set; } = "root";
        public string PrivateKeyPath { get; set; }
        public string KnownHostsPath { get; set; }

        internal string Key => $"{VmName}|{Host}|{Port}|{User}|{PrivateKeyPath}";
    }

    /// <summary>
    /// One caller's handle on a VM's warm SSH connection (<see cref="GuestConnectionPool.GetAsync"/>): the
    /// pool's shared, authenticated session and this caller's own log, fixed when the handle was made, so
    /// two callers at once (two runspaces, a cmdlet and a background watch) each get only their own
    /// "guest $ ..." lines. Implements <see cref="IGuestShell"/>: every command goes as /bin/sh -c, its
    /// process tree is killed in the guest when the caller cancels. The session is the pool's to close:
    /// once it is (<c>IGuestInvalidation.ConnectionGone</c>, a dropped connection), every handle
    /// of it reports <see cref="IsConnected"/> false and its commands throw
    /// <see cref="GuestConnectionLostException"/>.
    /// </summary>
    public sealed class GuestConnection : IGuestShell
    {
        private const string PidMarker = "\u001eDFVM-PID ";
        private readonly GuestSession _session;
        private readonly GuestEndpoint _endpoint;
        private readonly Action<string> _log;

        internal GuestConnection(GuestSession session, Action<string> log)
        {
            _session = session;
            _endpoint = session.Endpoint;
            _log = log ?? (_ => { });
        }

        public GuestEndpoint Endpoint => _endpoint;

        /// <summary>
        /// "algorithm SHA256:..." when this connection's session pinned the guest's host key (first contact:
        /// nothing was pinned before), else null.
        /// </summary>
        public string PinnedAtFirstContact => _session.PinnedAtFirstContact;

        public bool IsConnected => _session.IsConnected;

        public async Task<GuestCommandOutcome> RunAsync(
            string shCommand,
            Func<Stream, CancellationToken, Task> writeStdin,
            Action<string> onStdoutLine,
            Action<string> onStderrLine,
            CancellationToken cancellationToken)
        {
            var client = _session.Client ?? throw new GuestConnectionLostException($"The SSH connection to VM '{_endpoint.VmName}' is closed.");
            string wrapped = "printf '\\036DFVM-PID %s\\n' \"$$\" >&2; " + shCommand;
            string exec = GuestCommandLine.Build(wrapped);
            _log("guest $ " + shCommand);

            var watch = Stopwatch.StartNew();
            SshCommand command;
            try
            {
                command = client.CreateCommand(exec, new UTF8Encoding(false));
            }
            catch (Exception e) when (e is SshConnectionException || e is ObjectDisposedException || e is InvalidOperationException)
            {
                throw new GuestConnectionLostException($"The SSH connection to VM '{_endpoint.VmName}' was lost: {e.Message}", e);
            }

            using (command)
            {
                int remotePid = 0;
                Task execute;
                try
                {
                    // Opening the session channel happens here, synchronously: a guest that stopped answering
                    // on a connection that still looks open times it out (SshOperationTimeoutException).
                    execute = command.ExecuteAsync(CancellationToken.None);
                }
                catch (Exception e) when (e is SshException || e is ObjectDisposedException || e is SocketException || e is InvalidOperationException)
                {
                    throw new GuestConnectionLostException($"The SSH connection to VM '{_endpoint.VmName}' was lost before '{shCommand}' could start: {e.Message}", e);
                }
                var stdout = PumpLines(command.OutputStream, onStdoutLine);
                var stderr = PumpLines(command.ExtendedOutputStream, line =>
                {
                    if (remotePid == 0 && line.StartsWith(PidMarker, StringComparison.Ordinal))
                    {
                        int.TryParse(line.Substring(PidMarker.Length).Trim(), out remotePid);
                        return;
                    }
                    onStderrLine?.Invoke(line);
                });

                // The input stream exists only while the command runs: open it right away, on this
                // thread, before a quick command can finish (opening it later raced with the end).
                Stream input = null;
                try { input = command.CreateInputStream(); }
                catch (InvalidOperationException) when (execute.IsCompleted) { /* already over: nothing to feed */ }
                Task stdinTask = Task.CompletedTask;
                if (input != null && writeStdin != null)
                {
                    stdinTask = Task.Run(async () =>
                    {
                        using (input)
                        {
                            await writeStdin(input, cancellationToken).ConfigureAwait(false);
                        }
                    });
                }
                else
                {
                    input?.Dispose(); // EOF at once: nothing waits on stdin
                }

                var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                using (cancellationToken.Register(() => cancelled.TrySetResult(true)))
                {
                    var first = await Task.WhenAny(execute, cancelled.Task).ConfigureAwait(false);
                    if (first == cancelled.Task)
                    {
                        await KillRemoteTreeAsync(remotePid).ConfigureAwait(false);
                        try { command.CancelAsync(true, 2000); } catch (Exception) { }
                        throw new OperationCanceledException(cancellationToken);
                    }
                }

                try
                {
                    await execute.ConfigureAwait(false);
                    await stdinTask.ConfigureAwait(false);
                }
                catch (Exception e) when (e is SshConnectionException || e is ObjectDisposedException || e is SocketException || e is SshException)
                {
                    throw new GuestConnectionLostException($"The SSH connection to VM '{_endpoint.VmName}' was lost while running '{shCommand}': {e.Message}", e) { RemotePid = remotePid };
                }
                await Task.WhenAll(stdout, stderr).ConfigureAwait(false);

                if (!client.IsConnected && command.ExitStatus == null)
                {
                    throw new GuestConnectionLostException($"The SSH connection to VM '{_endpoint.VmName}' was lost while running '{shCommand}'.") { RemotePid = remotePid };
                }
                int exit = command.ExitStatus ?? (command.ExitSignal != null ? 128 + SignalNumber(command.ExitSignal) : -1);
                return new GuestCommandOutcome(exit, watch.Elapsed) { LinesCut = stdout.Result + stderr.Result };
            }
        }

        /// <summary>
        /// An interactive login shell with a pseudo-terminal: what the user types (already raw)
        /// goes to the guest, what the guest prints goes to <paramref name="output"/>. Ends when the
        /// guest closes the shell (exit).
        /// </summary>
        public async Task RunInteractiveAsync(Func<byte[], int> readInput, Action<byte[], int> writeOutput,
            Func<Tuple<int, int>> windowSize, string terminal, CancellationToken ct)
        {
            var client = _session.Client ?? throw new GuestConnectionLostException($"The SSH connection to VM '{_endpoint.VmName}' is closed.");
            var size = windowSize();
            _log($"SSH interactive shell {terminal} {size.Item1}x{size.Item2}");
            using (var shell = client.CreateShellStream(terminal, (uint)size.Item1, (uint)size.Item2, 0, 0, 65536))
            {
                var closed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                shell.Closed += (s, e) => closed.TrySetResult(true);
                var reader = Task.Run(() =>
                {
                    var buffer = new byte[65536];
                    int n;
                    while ((n = shell.Read(buffer, 0, buffer.Length)) > 0) writeOutput(buffer, n);
                    closed.TrySetResult(true);
                });
                var input = new byte[4096];
                while (!closed.Task.IsCompleted && !ct.IsCancellationRequested)
                {
                    var now = windowSize();
                    if (now.Item1 != size.Item1 || now.Item2 != size.Item2)
                    {
                        size = now;
                        shell.ChangeWindowSize((uint)size.Item1, (uint)size.Item2, 0, 0);
                    }
                    int n = await Task.Run(() => readInput(input), ct).ConfigureAwait(false);
                    if (n < 0) break;
                    if (n > 0)
                    {
                        shell.Write(input, 0, n);
                        shell.Flush();
                    }
                }
                await Task.WhenAny(reader, Task.Delay(1000)).ConfigureAwait(false);
            }
        }

        /// <summary>
        /// Ends, on this connection, what a command begun on a connection since lost left running (its
        /// sshd was killed: without a terminal nothing tells the shell and its children to stop).
        /// </summary>
        public Task KillOrphanedTreeAsync(int pid) => KillRemoteTreeAsync(pid);

        private async Task KillRemoteTreeAsync(int pid)
        {
            var client = _session.Client;
            if (pid <= 0 || client == null || !client.IsConnected) return;
            string script = GuestProcessTree.KillScript(pid);
            _log("guest $ " + script);
            try
            {
                using (var kill = client.CreateCommand(GuestCommandLine.Build(script)))
                using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
                {
                    await kill.ExecuteAsync(cts.Token).ConfigureAwait(false);
                }
            }
            catch (Exception)
            {
                // Best effort: the connection may be gone, and then sshd ends the session's processes itself.
            }
        }

        private static int SignalNumber(string name)
        {
            switch (name)
            {
                case "HUP": return 1;
                case "INT": return 2;
                case "KILL": return 9;
                case "PIPE": return 13;
                case "TERM": return 15;
                default: return 0;
            }
        }

        private static Task<int> PumpLines(Stream stream, Action<string> onLine) =>
            Task.Run(() => OutputLimits.PumpBoundedLinesAsync(stream, onLine));
    }
}
