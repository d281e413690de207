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
    /// <summary>Invoke-DfVmTest's -BuildOn Host (go test on this machine, test binaries run in the VM) and -Watch.</summary>
    public sealed partial class InvokeDfVmTestCommand
    {
        private static readonly TimeSpan WatchQuiet = TimeSpan.FromMilliseconds(300);

        /// <summary>
        /// The shell the suite's go test runs in: the guest connection (BuildOn Guest), or this
        /// machine with the exec wrapper (BuildOn Host) when Go is here, every part runs go test,
        /// and no package needs cgo; else a warning says why and the build stays in the guest.
        /// For a host build the request is adjusted: the cd guard checks the host project, no doas
        /// around go (the wrapper elevates each test binary).
        /// </summary>
        private async Task<IGuestShell> ShellForBuildAsync(GuestConnection connection, VmPaths paths, string guestPath,
            GuestTestRequest request, Pump pump, CancellationToken ct)
        {
            string where = BuildOn ?? _project.Config.BuildOn ?? "Guest";
            if (!string.Equals(where, "Host", StringComparison.OrdinalIgnoreCase))
            {
                return connection;
            }

            string go = HostGoTarget.FindGo(Environment.GetEnvironmentVariable("PATH"));
            if (go == null)
            {
                pump.Warning("BuildOn Host: no 'go' on this machine's PATH, so the tests are built in the guest (install Go here for host builds).");
                return connection;
            }

            var parts = SuiteResolver.Resolve(request.Suites, request.Suite);
            var noGoTest = parts.FirstOrDefault(p => !HostGoShell.HasGoTest(p.Command));
            if (noGoTest != null)
            {
                pump.Warning($"BuildOn Host: suite '{noGoTest.Name}' runs no 'go test' ({noGoTest.Command}), so the tests are built in the guest.");
                return connection;
            }

            var target = await HostGoTarget.AskGuestAsync(connection, ct).ConfigureAwait(false);
            var cgo = await HostGoTarget.CgoPackagesAsync(go, _project.Root, target.Item1, target.Item2, ct).ConfigureAwait(false);
            if (cgo.Count > 0)
            {
                pump.Warning($"BuildOn Host: {string.Join(", ", cgo)} need{(cgo.Count == 1 ? "s" : "")} cgo, which a CGO_ENABLED=0 build for {target.Item1}/{target.Item2} cannot compile, so the tests are built in the guest.");
                return connection;
            }

            pump.Verbose($"BuildOn Host: go test runs here ({go}, GOOS={target.Item1} GOARCH={target.Item2} CGO_ENABLED=0); each test binary runs as root in VM '{paths.Name}' at {guestPath}.");
            request.GuestProjectPath = _project.Root;
            request.SshUser = "root";
            var environment = new Dictionary<string, string>
            {
                ["GOOS"] = target.Item1,
                ["GOARCH"] = target.Item2,
                ["CGO_ENABLED"] = "0",
                ["DFVM_PROJECT"] = _project.Root,
                ["DFVM_VM"] = paths.Name,
                ["DFVM_VM_DIR"] = paths.Directory,
                ["DFVM_GUEST_PATH"] = guestPath,
            };
            return new HostGoShell(InstallDfVmGoExecCommand.WrapperSource(), environment);
        }

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
