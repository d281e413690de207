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
        /// -Watch: waits for saves under the project; each batch is synced into the guest, then the
        /// packages it affects (and their importers) among those the suite ran run again. Until Ctrl+C.
        /// </summary>
        private async Task WatchAsync(Pump pump, DfVmEngine engine, VmPaths paths, string guestPath, IGuestShell shell,
            GuestTestRequest request, HashSet<string> suitePackages, Func<DfVmTestResult, DfVmTestResult> tag, CancellationToken ct)
        {
            string listRoot = shell is HostGoShell ? _project.Root : guestPath;
            using (var watcher = new ProjectWatcher(_project.Root, new[] { _project.VmRoot }, WatchQuiet))
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
                    await SyncBeforeRun(pump, engine, paths, guestPath, ct).ConfigureAwait(false);
                    var listed = await shell.CaptureAsync("cd " + SuiteCommandLine.Quote(listRoot) + " && " + AffectedPackages.ListCommand,
                        null, null, null, ct, limit: int.MaxValue).ConfigureAwait(false);
                    var affected = new AffectedPackages(listed.Output.Lines(), listRoot).For(changed)
                        .Where(p => suitePackages.Count == 0 || suitePackages.Contains(p)).ToList();
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
                    };
                    var summary = new RunSummary();
                    summary.Started(paths.Name);
                    await new GuestTestRunner().RunAsync(shell, again, row =>
                    {
                        var mine = tag(row);
                        pump.Post(() => { summary.Count(mine); WriteObject(mine); });
                    }, null, ct).ConfigureAwait(false);
                    summary.Completed(paths.Name);
                    pump.Post(() => WriteSummary(summary));
                }
            }
        }
    }
}
