using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core;
using DfVm.Core.GoExec;
using DfVm.Core.Instances;
using DfVm.Core.Ssh;
using DfVm.Core.Testing;

namespace DfVm.PowerShell.Commands
{
    /// <summary>Invoke-DfVmTest's -Watch (the -BuildOn choice is <see cref="BuildPlace"/>).</summary>
    public sealed partial class InvokeDfVmTestCommand
    {
        private static readonly TimeSpan WatchQuiet = TimeSpan.FromMilliseconds(300);

        /// <summary>
        /// -Watch: waits for saves under the project (<paramref name="watcher"/> was started before the first
        /// run); each batch is synced into the guest, then the packages it affects (and their importers)
        /// among those the suite ran run again. Until Ctrl+C.
        /// </summary>
        private async Task WatchAsync(Pump pump, DfVmEngine engine, VmPaths paths, string guestPath, IGuestShell shell, ProjectWatcher watcher,
            GuestTestRequest request, HashSet<string> suitePackages, Func<DfVmTestResult, DfVmTestResult> tag, Func<Task> afterRound, CancellationToken ct)
        {
            var hostShell = shell as HostGoShell;
            string listRoot = hostShell != null ? _project.Root : guestPath;
            {
                pump.Verbose($"Watching {_project.Root} (Ctrl+C to stop).");
                int round = 1;
                while (true)
                {
                    IReadOnlyCollection<string> changed = await watcher.NextBatchAsync(ct).ConfigureAwait(false);
                    if (changed.Count == 0)
                    {
                        continue;
                    }

                    round++;
                    pump.Verbose($"Round {round}: {changed.Count} changed: {string.Join(", ", changed.Take(5))}{(changed.Count > 5 ? ", ..." : "")}");
                    // the listing is read line by line as it comes, up to AffectedPackages.MaxListChars (lines are cut at
                    // OutputLimits.MaxLineChars by either shell): a flood from the guest costs no more than that
                    var graph = new AffectedPackages(listRoot);
                    GuestCommandOutcome listed = hostShell != null
                        ? await SyncWhileListing(pump, engine, paths, guestPath, hostShell, graph, ct).ConfigureAwait(false)
                        : await SyncThenList(pump, engine, paths, guestPath, shell, listRoot, graph, ct).ConfigureAwait(false);
                    List<string> affected;
                    if (graph.Truncated)
                    {
                        pump.Warning($"Round {round}: the package listing was longer than {AffectedPackages.MaxListChars} characters and was not read further; running every package the suite ran.");
                        affected = suitePackages.Where(p => p.Length > 0).OrderBy(p => p, StringComparer.Ordinal).ToList();
                    }
                    else
                    {
                        affected = graph.For(changed).Where(p => suitePackages.Count == 0 || suitePackages.Contains(p)).ToList();
                    }

                    if (affected.Count == 0)
                    {
                        pump.Verbose($"Round {round}: no package of suite '{Suite}' is affected (go list exit {listed.ExitCode}).");
                        continue;
                    }

                    pump.Verbose($"Round {round}: running {string.Join(" ", affected)}");
                    var again = new GuestTestRequest
                    {
                        Suite = request.Suite,
                        Suites = request.Suites,
                        GuestProjectPath = request.GuestProjectPath,
                        Run = request.Run,
                        Packages = affected,
                        Timeout = request.Timeout,
                        Elevate = request.Elevate,
                        SshUser = request.SshUser,
                        LeakCheck = request.LeakCheck,
                        VmName = request.VmName,
                    };
                    var summary = new RunSummary();
                    summary.Started(paths.Name);
                    await new GuestTestRunner().RunAsync(shell, again, row =>
                    {
                        var mine = tag(row);
                        pump.Post(() => { summary.Count(mine); WriteObject(mine); });
                    }, null, ct).ConfigureAwait(false);
                    await afterRound().ConfigureAwait(false); // the next round's first binary takes its own before-record
                    summary.Completed(paths.Name);
                    pump.Post(() => WriteSummary(summary));
                }
            }
        }

        /// <summary>
        /// Built on the host, go list reads the host's tree, not the guest's: it runs while the sync sends the
        /// batch (each waits on a different machine), and the round starts when both are done.
        /// </summary>
        private async Task<GuestCommandOutcome> SyncWhileListing(Pump pump, DfVmEngine engine, VmPaths paths, string guestPath,
            HostGoShell hostShell, AffectedPackages graph, CancellationToken ct)
        {
            Task<GuestCommandOutcome> listing = hostShell.ListPackagesAsync(line => graph.Add(line), ct);
            try
            {
                await SyncBeforeRun(pump, engine, paths, guestPath, ct).ConfigureAwait(false);
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
        private async Task<GuestCommandOutcome> SyncThenList(Pump pump, DfVmEngine engine, VmPaths paths, string guestPath,
            IGuestShell shell, string listRoot, AffectedPackages graph, CancellationToken ct)
        {
            await SyncBeforeRun(pump, engine, paths, guestPath, ct).ConfigureAwait(false);
            return await shell.RunAsync("cd " + SuiteCommandLine.Quote(listRoot) + " && " + AffectedPackages.ListCommand,
                null, line => graph.Add(line), null, ct).ConfigureAwait(false);
        }
    }
}
