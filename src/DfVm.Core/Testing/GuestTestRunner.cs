using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Instances;
using DfVm.Core.Ssh;

namespace DfVm.Core.Testing
{
    /// <summary>
    /// Runs a suite's `go test -json` in the guest and turns its output into
    /// <see cref="DfVmTestResult"/> rows while it runs: each row goes to the caller as soon as its
    /// test ends. An Include suite runs its parts one after the other. Go's non-zero exit on
    /// failing tests is data (the rows say what failed), not an exception.
    /// </summary>
    public sealed class GuestTestRunner
    {
        private static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(10);

        /// <summary>
        /// Runs <paramref name="request"/> through <paramref name="shell"/>. <paramref name="onResult"/>
        /// gets every row as it ends, on a thread of the shell's choosing, one call at a time.
        /// Cancelling ends the remote go test (and its test binaries). A lost connection throws
        /// <see cref="GuestConnectionLostException"/> after the rows seen before it were delivered.
        /// </summary>
        public async Task RunAsync(IGuestShell shell, GuestTestRequest request, Action<DfVmTestResult> onResult, IProgress<TestRunProgress> progress, CancellationToken cancellationToken)
        {
            if (shell == null)
            {
                throw new ArgumentNullException(nameof(shell));
            }

            if (request == null)
            {
                throw new ArgumentNullException(nameof(request));
            }

            IReadOnlyList<DfVmSuite> parts = SuiteResolver.Resolve(request.Suites ?? DfVmConfig.DefaultSuites(), request.Suite);
            var commands = new List<string>();
            foreach (DfVmSuite part in parts)
            {
                commands.Add(SuiteCommandLine.Build(part, request)); // every part checked before anything runs
            }

            var tally = new Tally(request.Suite, progress);
            for (int i = 0; i < parts.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await RunPartAsync(shell, parts[i], commands[i], SuiteCommandLine.UsesDoas(parts[i], request), request, onResult, tally, cancellationToken).ConfigureAwait(false);
            }
        }

        private static async Task RunPartAsync(
            IGuestShell shell, DfVmSuite part, string command, bool elevated, GuestTestRequest request,
            Action<DfVmTestResult> onResult, Tally tally, CancellationToken cancellationToken)
        {
            var parser = new GoTestJsonParser(part.Name) { LeakCheck = request.LeakCheck };
            var gate = new object();
            bool stopped = false;
            bool noProject = false;
            int elevatedPid = 0;
            tally.StartPart(part.Name);

            void Deliver(IReadOnlyList<DfVmTestResult> rows)
            {
                foreach (DfVmTestResult row in rows)
                {
                    if (stopped)
                    {
                        return;
                    }

                    onResult?.Invoke(row);
                    tally.Count(row);
                }
            }

            string diskFull = null;

            void NoteDiskFull(string line)
            {
                // go's own build and tool errors (stderr; build-output events in newer go -json) saying the guest is out of space.
                if (diskFull == null && HostDiskWatch.GuestSaidDiskFull(line)) diskFull = line;
            }

            void OnStdout(string line)
            {
                if (line.IndexOf("\"build-output\"", StringComparison.Ordinal) >= 0) NoteDiskFull(line);
                lock (gate)
                {
                    if (!stopped)
                    {
                        Deliver(parser.Feed(line));
                    }
                }
            }

            void OnStderr(string line)
            {
                if (line == SuiteCommandLine.NoProjectMarker)
                {
                    noProject = true;
                    return;
                }

                NoteDiskFull(line);
                if (elevatedPid == 0 && line.StartsWith(SuiteCommandLine.ElevatedPidMarker, StringComparison.Ordinal))
                {
                    int.TryParse(line.Substring(SuiteCommandLine.ElevatedPidMarker.Length).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out elevatedPid);
                    return;
                }

                lock (gate)
                {
                    if (!stopped)
                    {
                        Deliver(parser.FeedStderr(line));
                    }
                }
            }

            GuestCommandOutcome outcome;
            try
            {
                outcome = await shell.RunAsync(command, null, OnStdout, OnStderr, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                lock (gate)
                {
                    stopped = true;
                }

                if (elevated && elevatedPid > 0)
                {
                    await EndElevatedTreeAsync(shell, elevatedPid).ConfigureAwait(false);
                }

                throw;
            }
            catch (GuestConnectionLostException)
            {
                lock (gate)
                {
                    stopped = true; // rows seen so far were delivered; a half stream is not completed into guesses
                }

                throw;
            }

            if (noProject)
            {
                throw new GuestTestException(ErrorIds.GuestProjectNotFound, DfVmErrorKind.NotFound,
                    $"The project directory '{request.GuestProjectPath}' does not exist in the guest. Copy the project there first (Invoke-DfVmTest -Sync, or Sync-DfVmProject), or set GuestProjectPath in DfVm.config.psd1.",
                    request.GuestProjectPath);
            }

            lock (gate)
            {
                Deliver(parser.Complete(outcome.ExitCode));
                stopped = true;
            }

            if (diskFull != null && outcome.ExitCode != 0)
            {
                // The rows say what failed; the error says why: not the code, the guest's disk.
                var full = HostDiskWatch.GuestFull(request.VmName ?? "?", diskFull);
                throw new GuestTestException(full.ErrorId, full.Kind, full.Message, request.VmName);
            }

            if (parser.InvalidLeakRecords.Count > 0)
            {
                // the rows were delivered; the records that broke the rules are named, not read
                var named = parser.InvalidLeakRecords.Take(5).Select(p => $"{(p.Key.Length == 0 ? "(no package)" : p.Key)}: {p.Value}");
                throw new GuestTestException(ErrorIds.LeakRecordInvalid, DfVmErrorKind.InvalidData,
                    $"The leak record of {parser.InvalidLeakRecords.Count} package(s) from VM '{request.VmName}' was refused (the guest's output broke its rules), so no leak is reported for them: {string.Join("; ", named)}",
                    request.VmName);
            }
        }

        /// <summary>
        /// The login user cannot signal what doas started as root: walk and end that tree through doas.
        /// Best effort, bounded in time; the cancellation goes on regardless.
        /// </summary>
        private static async Task EndElevatedTreeAsync(IGuestShell shell, int pid)
        {
            string script = GuestProcessTree.KillScript(pid);
            try
            {
                using (var cts = new CancellationTokenSource(CleanupTimeout))
                {
                    await shell.RunAsync("doas -n /bin/sh -c " + SuiteCommandLine.Quote(script), null, null, null, cts.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is OperationCanceledException || e is GuestConnectionLostException || e is System.IO.IOException)
            {
                // the connection may be gone, and then sshd's hangup ends the session's processes
            }
        }

        /// <summary>Counts delivered rows for progress reports.</summary>
        private sealed class Tally
        {
            private readonly string _suite;
            private readonly IProgress<TestRunProgress> _progress;
            private string _part;
            private int _packages;
            private int _passed;
            private int _failed;
            private int _skipped;

            public Tally(string suite, IProgress<TestRunProgress> progress)
            {
                _suite = suite;
                _progress = progress;
            }

            public void StartPart(string name)
            {
                _part = name;
                _progress?.Report(new TestRunProgress(_suite, _part, _packages, _passed, _failed, _skipped, null));
            }

            public void Count(DfVmTestResult row)
            {
                if (row.Kind == DfVmTestResultKind.Package)
                {
                    _packages++;
                }
                else if (row.Passed)
                {
                    _passed++;
                }
                else if (row.Failed)
                {
                    _failed++;
                }
                else
                {
                    _skipped++;
                }

                _progress?.Report(new TestRunProgress(_suite, _part, _packages, _passed, _failed, _skipped, row));
            }
        }
    }
}
