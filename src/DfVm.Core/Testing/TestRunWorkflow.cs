using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.GoExec;
using DfVm.Core.Instances;
using DfVm.Core.Ssh;

namespace DfVm.Core.Testing
{
    /// <summary>
    /// Invoke-DfVmTest on one VM, from the connect to the last -Watch round (<see cref="DfVmEngine.RunTestsAsync"/>):
    /// connect and read the guest's release; with -Sync, sync the project (its progress nested under the test run's);
    /// build the request and prepare the leak check; choose where go builds (<see cref="BuildPlace"/>); run the
    /// suite under the host disk watch with progress (<see cref="GuestTestRunner"/>); remove the leak check's guest
    /// files. With -Watch, then wait for saves (<see cref="ProjectWatcher"/>): each batch is synced, the packages it
    /// affects among those the suite ran are listed (<see cref="AffectedPackages"/>) and run again, until cancelled.
    /// Rows and round ends go to <see cref="TestRunCallbacks"/>; the cmdlet counts, writes and sums them up.
    /// </summary>
    internal sealed class TestRunWorkflow
    {
        /// <summary>How long no save must come before a -Watch batch is taken (an editor's save is several events).</summary>
        private static readonly TimeSpan WatchQuiet = TimeSpan.FromMilliseconds(150);

        private readonly DfVmEngine _engine;
        private readonly VmPaths _paths;
        private readonly TestRunOptions _options;
        private readonly TestRunCallbacks _callbacks;
        private readonly IOperationReporter _reporter;

        internal TestRunWorkflow(DfVmEngine engine, VmPaths paths, TestRunOptions options, TestRunCallbacks callbacks, IOperationReporter reporter)
        {
            _engine = engine;
            _paths = paths;
            _options = options ?? throw new ArgumentNullException(nameof(options));
            _callbacks = callbacks ?? new TestRunCallbacks();
            _reporter = reporter ?? NullReporter.Instance;
        }

        internal async Task RunAsync(CancellationToken ct)
        {
            var connection = await _engine.Controller.ConnectAsync(_paths, _reporter, ct).ConfigureAwait(false);
            string release = await GuestRelease.ReadAsync(connection, ct).ConfigureAwait(false);
            // the packages the first run delivered: a -Watch round runs only those of them a change affects
            var suitePackages = new HashSet<string>(StringComparer.Ordinal);
            ProjectWatcher watcher = null;
            try
            {
                GuestTestRequest request;
                IGuestShell shell;
                var progress = NewProgress();
                bool begun = false; // once shown (-Sync) or run, the activity ends with a Completed report
                try
                {
                    if (_options.SyncFirst)
                    {
                        Show(progress, "syncing"); // the parent the sync's progress nests under
                        begun = true;
                        await SyncAsync(ct).ConfigureAwait(false);
                        Show(progress, "starting");
                    }

                    request = await RequestAsync(connection, ct).ConfigureAwait(false);
                    // Where go runs is the user's choice: -BuildOn (or $PSDefaultParameterValues), never the project's config.
                    shell = await BuildPlace.ChooseAsync(_options.BuildOn, connection, _paths, _options.ProjectRoot, _options.GuestProjectPath,
                        request, _options.GoExecWrapper, _reporter, ct).ConfigureAwait(false);
                    // -Watch: the watcher starts before the first run, so a save made during it starts the next round
                    watcher = _options.Watch
                        ? new ProjectWatcher(_options.ProjectRoot, new[] { _engine.Store.Root }, WatchQuiet, _options.Sync.ExtraExcludes, _options.Sync.IncludeGit)
                        : null;
                    _callbacks.RoundStarting?.Invoke(1);
                    begun = true; // the runner reports at once
                    try
                    {
                        await _engine.DiskWatch(_paths, _reporter).RunAsync(token => new GuestTestRunner().RunAsync(
                            shell, request,
                            row =>
                            {
                                lock (suitePackages) suitePackages.Add(row.Package ?? "");
                                _callbacks.Row?.Invoke(row.WithVm(_paths.Name, release));
                            },
                            ProgressOf(progress), token), ct).ConfigureAwait(false);
                    }
                    finally
                    {
                        await ForgetLeakFilesAsync(connection, request.LeakCheck).ConfigureAwait(false);
                    }
                }
                finally
                {
                    if (begun) Complete(progress);
                }

                _callbacks.RoundEnded?.Invoke(1);
                if (watcher != null)
                {
                    try
                    {
                        await WatchAsync(connection, shell, watcher, request, suitePackages, release, ct).ConfigureAwait(false);
                    }
                    finally
                    {
                        await ForgetLeakFilesAsync(connection, request.LeakCheck).ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                watcher?.Dispose();
            }
        }

        /// <summary>
        /// -Watch: waits for saves under the project (<paramref name="watcher"/> was started before the first run);
        /// each batch is synced into the guest, then the packages it affects (and their importers) among
        /// <paramref name="suitePackages"/> run again. Until cancelled.
        /// </summary>
        private async Task WatchAsync(GuestConnection connection, IGuestShell shell, ProjectWatcher watcher, GuestTestRequest request,
            HashSet<string> suitePackages, string release, CancellationToken ct)
        {
            var hostShell = shell as HostGoShell;
            string listRoot = hostShell != null ? _options.ProjectRoot : _options.GuestProjectPath;
            _reporter.Verbose($"Watching {_options.ProjectRoot} (Ctrl+C to stop).");
            int round = 1;
            while (true)
            {
                IReadOnlyCollection<string> changed = await watcher.NextBatchAsync(ct).ConfigureAwait(false);
                if (changed.Count == 0)
                {
                    continue;
                }

                round++;
                _reporter.Verbose($"Round {round}: {changed.Count} changed: {string.Join(", ", changed.Take(5))}{(changed.Count > 5 ? ", ..." : "")}");
                var progress = NewProgress();
                Show(progress, $"round {round}: syncing"); // the parent the sync's progress nests under
                try
                {
                    // the listing is read line by line as it comes, up to AffectedPackages.MaxListChars (lines are cut at
                    // OutputLimits.MaxLineChars by either shell): a flood from the guest costs no more than that
                    var graph = new AffectedPackages(listRoot);
                    GuestCommandOutcome listed = hostShell != null
                        ? await SyncWhileListing(hostShell, graph, ct).ConfigureAwait(false)
                        : await SyncThenList(shell, listRoot, graph, ct).ConfigureAwait(false);
                    List<string> affected;
                    if (graph.Truncated)
                    {
                        _reporter.Warning($"Round {round}: the package listing was longer than {AffectedPackages.MaxListChars} characters and was not read further; running every package the suite ran.");
                        affected = suitePackages.Where(p => p.Length > 0).OrderBy(p => p, StringComparer.Ordinal).ToList();
                    }
                    else
                    {
                        affected = graph.For(changed).Where(p => suitePackages.Count == 0 || suitePackages.Contains(p)).ToList();
                    }

                    if (affected.Count == 0)
                    {
                        _reporter.Verbose($"Round {round}: no package of suite '{_options.Suite}' is affected (go list exit {listed.ExitCode}).");
                        continue;
                    }

                    _reporter.Verbose($"Round {round}: running {string.Join(" ", affected)}");
                    var again = request.Copy();
                    again.Packages = affected;
                    _callbacks.RoundStarting?.Invoke(round);
                    await new GuestTestRunner().RunAsync(shell, again, row => _callbacks.Row?.Invoke(row.WithVm(_paths.Name, release)),
                        ProgressOf(progress), ct).ConfigureAwait(false);
                    await ForgetLeakFilesAsync(connection, request.LeakCheck).ConfigureAwait(false); // the next round's first binary takes its own before-record
                }
                finally
                {
                    Complete(progress);
                }

                _callbacks.RoundEnded?.Invoke(round);
            }
        }

        /// <summary>
        /// Built on the host, go list reads the host's tree, not the guest's: it runs while the sync sends the
        /// batch (each waits on a different machine), and the round starts when both are done.
        /// </summary>
        private async Task<GuestCommandOutcome> SyncWhileListing(HostGoShell hostShell, AffectedPackages graph, CancellationToken ct)
        {
            Task<GuestCommandOutcome> listing = hostShell.ListPackagesAsync(line => graph.Add(line), ct);
            try
            {
                await SyncAsync(ct).ConfigureAwait(false);
            }
            catch
            {
                // the listing's outcome no longer matters, but it is not left running behind the error
                try { await listing.ConfigureAwait(false); } catch (Exception) { }
                throw;
            }
            return await listing.ConfigureAwait(false);
        }

        /// <summary>Built in the guest, go list reads the guest's tree: after the sync.</summary>
        private async Task<GuestCommandOutcome> SyncThenList(IGuestShell shell, string listRoot, AffectedPackages graph, CancellationToken ct)
        {
            await SyncAsync(ct).ConfigureAwait(false);
            return await shell.RunAsync("cd " + SuiteCommandLine.Quote(listRoot) + " && " + AffectedPackages.ListCommand,
                null, line => graph.Add(line), null, ct).ConfigureAwait(false);
        }

        /// <summary>
        /// The project pushed into the guest, the way Sync-DfVmProject does it (incremental, the config's excludes),
        /// its progress nested under the test run's. Its result goes to the verbose stream: the output is test rows only.
        /// </summary>
        private async Task SyncAsync(CancellationToken ct)
        {
            var outcome = await _engine.SyncProjectAsync(_paths, _options.Sync, new NestedReporter(_reporter, ProgressActivities.TestRun), ct).ConfigureAwait(false);
            var r = outcome.Result;
            _reporter.Verbose($"Synced {r.Source} to {_paths.Name}:{r.Destination}: {r.FilesSent} file(s) sent, {r.FilesDeleted} deleted, {r.BytesSent} bytes in {r.Duration.TotalSeconds:0.0} s.");
        }

        /// <summary>What the first run runs, as the user narrowed it, with the run's leak check prepared in the guest.</summary>
        private async Task<GuestTestRequest> RequestAsync(GuestConnection connection, CancellationToken ct) => new GuestTestRequest
        {
            Suite = _options.Suite,
            Suites = _options.Suites,
            GuestProjectPath = _options.GuestProjectPath,
            Run = _options.Run,
            Packages = _options.Packages,
            Timeout = _options.Timeout,
            Elevate = _options.Elevate,
            SshUser = connection.Endpoint.User,
            VmName = _paths.Name,
            LeakCheck = await LeakOptionsAsync(connection, ct).ConfigureAwait(false),
        };

        /// <summary>The run's leak check, or null when it is off; one round trip writes its script in the guest and asks which mount listing the guest has.</summary>
        private async Task<LeakCheckOptions> LeakOptionsAsync(IGuestShell guest, CancellationToken ct)
        {
            if (_options.NoLeakCheck || (!_options.ConfigLeakCheck && !_options.CleanLeaks && !_options.FailOnLeak))
            {
                return null;
            }

            var leakCheck = new LeakCheckOptions
            {
                Clean = _options.CleanLeaks,
                FailOnLeak = _options.FailOnLeak || _options.ConfigFailOnLeak,
            };
            await LeakCheck.PrepareAsync(guest, leakCheck, ct).ConfigureAwait(false);
            return leakCheck;
        }

        /// <summary>Removes the run's guest files (script, lock, last record) after it; best effort.</summary>
        private static Task ForgetLeakFilesAsync(GuestConnection connection, LeakCheckOptions leakCheck) =>
            leakCheck == null ? Task.CompletedTask : LeakCheck.RemoveGuestFilesAsync(connection, leakCheck, !string.Equals(connection.Endpoint.User, "root", StringComparison.Ordinal));

        private OperationProgress NewProgress() => new OperationProgress
        {
            ActivityId = ProgressActivities.TestRun,
            Activity = $"Running suite '{_options.Suite}' in VM '{_paths.Name}'",
            Status = "starting",
        };

        private void Show(OperationProgress progress, string status)
        {
            progress.Status = status;
            _reporter.Progress(progress);
        }

        /// <summary>The runner's counts as the activity's status, reported on the runner's thread in order.</summary>
        private IProgress<TestRunProgress> ProgressOf(OperationProgress progress) => new Util.InlineProgress<TestRunProgress>(p =>
        {
            progress.Status = p.ToString();
            _reporter.Progress(progress);
        });

        private void Complete(OperationProgress progress)
        {
            progress.Completed = true;
            _reporter.Progress(progress);
        }
    }
}
