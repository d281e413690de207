using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core;
using DfVm.Core.GoExec;
using DfVm.Core.Instances;
using DfVm.Core.Ssh;
using DfVm.Core.Testing;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// Runs a test suite of the config in the guest and writes one DfVmTestResult per test as soon
    /// as it ends. Stopping the pipeline (Ctrl+C, Select-Object -First) ends the remote go test.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "DfVmTest")]
    [OutputType(typeof(DfVmTestResult))]
    public sealed partial class InvokeDfVmTestCommand : InVmCmdlet
    {
        private ProjectContext _project;
        private readonly RunSummary _summary = new RunSummary();

        /// <summary>A suite of the config's Suites (Unit, Integration, Phase4, E2E, All by default).</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(SuiteNameCompleter))]
        public string Suite { get; set; }

        /// <summary>Copy the project into the guest before running (Sync-DfVmProject).</summary>
        [Parameter]
        public SwitchParameter Sync { get; set; }

        /// <summary>A go test -run regex; replaces the suite's own -run.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Run { get; set; }

        /// <summary>Package patterns (./internal/worker/...) that replace the suite's.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[] Package { get; set; }

        /// <summary>Seconds; passed to go test as -timeout (a test binary running longer panics; its tests come back Failed with Reason 'timeout').</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int Timeout { get; set; }

        /// <summary>Run through doas even when the suite does not say Elevate (only matters when the SSH user is not root).</summary>
        [Parameter]
        public SwitchParameter Elevate { get; set; }

        /// <summary>The project folder on this machine (its DfVm.config.psd1 and vm/); default: found from the current folder.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; }

        /// <summary>For CI steps: after the last result, a terminating TestsFailed error when any test or package failed or the run did not complete.</summary>
        [Parameter]
        public SwitchParameter CI { get; set; }

        /// <summary>Where go compiles the tests: Guest (go test in the VM, the default) or Host (go test here, each test binary run as root in the VM). The project config's BuildOn is not used: running go here is the user's choice.</summary>
        [Parameter]
        [ValidateSet("Guest", "Host")]
        public string BuildOn { get; set; }

        /// <summary>After the first run, watch the project: on each save sync what changed and run the affected packages again, until Ctrl+C.</summary>
        [Parameter]
        public SwitchParameter Watch { get; set; }

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            try
            {
                _project = Path == null
                    ? Project
                    : ProjectContext.Discover(SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path));
                SuiteResolver.Resolve(_project.Config.Suites, Suite); // an unknown suite stops here, before any VM is touched
                if (BuildOn == null && string.Equals(_project.Config.BuildOn, "Host", StringComparison.OrdinalIgnoreCase))
                {
                    WriteWarning($"{_project.Config.Path}: BuildOn = 'Host' is ignored: a project's config cannot make DfVm run anything on this machine, so the tests are built in the guest. To build here, ask for it yourself: -BuildOn Host, or $PSDefaultParameterValues['Invoke-DfVmTest:BuildOn'] = 'Host' in your profile.");
                }
            }
            catch (Exception e) when (ErrorMapping.IsExpected(e))
            {
                ThrowTerminating(e, Suite);
            }
        }

        protected override void ProcessRecord()
        {
            var engine = Engines.For(_project.VmRoot);
            var store = engine.Store;
            var controller = engine.Controller;
            string guestPath = _project.GuestProjectPath;
            foreach (var missing in (Name ?? new string[0]).Where(n => !WildcardPattern.ContainsWildcardCharacters(n) && !store.Exists(n)))
            {
                _summary.Started(missing); // a VM that is not there never completes its run
            }

            foreach (var name in VmNames(Name, _project))
            {
                _summary.Started(name);
                ForEachItem(name, () =>
                {
                    var paths = store.Require(name);
                    RunOnWorker(async (pump, ct) =>
                    {
                        var connection = await controller.ConnectAsync(paths, pump, ct).ConfigureAwait(false);
                        string release = await GuestRelease.ReadAsync(connection, ct).ConfigureAwait(false);
                        if (Sync)
                        {
                            await SyncBeforeRun(pump, engine, paths, guestPath, ct).ConfigureAwait(false);
                        }

                        var request = new GuestTestRequest
                        {
                            Suite = Suite,
                            Suites = _project.Config.Suites,
                            GuestProjectPath = guestPath,
                            Run = Run,
                            Packages = Package,
                            Timeout = MyInvocation.BoundParameters.ContainsKey(nameof(Timeout)) ? TimeSpan.FromSeconds(Timeout) : (TimeSpan?)null,
                            Elevate = Elevate,
                            SshUser = connection.Endpoint.User,
                            VmName = name,
                            LeakCheck = await LeakOptionsAsync(connection, ct).ConfigureAwait(false),
                        };
                        // Where go runs is the user's choice: -BuildOn (or $PSDefaultParameterValues), never the project's config.
                        IGuestShell shell = await BuildPlace.ChooseAsync(BuildOn, connection, paths, _project.Root, guestPath,
                            request, InstallDfVmGoExecCommand.WrapperSource(), pump, ct).ConfigureAwait(false);
                        var seen = new HashSet<string>(StringComparer.Ordinal);
                        Action<DfVmTestResult> onRow = row =>
                        {
                            lock (seen) seen.Add(row.Package ?? "");
                            var mine = row.WithVm(name, release);
                            pump.Post(() => { _summary.Count(mine); WriteObject(mine); });
                        };
                        // -Watch: the watcher starts before the first run, so a save made during it starts the next round
                        var watcher = Watch
                            ? new ProjectWatcher(_project.Root, new[] { _project.VmRoot }, WatchQuiet, _project.Config.SyncExclude, _project.Config.SyncIncludeGit)
                            : null;
                        using (watcher)
                        {
                        var progress = new OperationProgress { ActivityId = ProgressActivities.TestRun, Activity = $"Running suite '{Suite}' in VM '{name}'", Status = "starting" };
                        try
                        {
                            try
                            {
                            await engine.DiskWatch(paths, pump).RunAsync(token => new GuestTestRunner().RunAsync(
                                shell, request, onRow,
                                new Core.Util.InlineProgress<TestRunProgress>(p =>
                                {
                                    progress.Status = p.ToString();
                                    pump.Progress(progress);
                                }),
                                token), ct).ConfigureAwait(false);
                            }
                            finally
                            {
                                await ForgetLeakFilesAsync(connection, request.LeakCheck).ConfigureAwait(false);
                            }
                        }
                        finally
                        {
                            progress.Completed = true;
                            pump.Progress(progress);
                        }

                        if (Watch)
                        {
                            // A watch ends by Ctrl+C, never in EndProcessing: each round says its own summary.
                            pump.Post(() => WriteSummary(_summary));
                            await WatchAsync(pump, engine, paths, guestPath, shell, watcher, request, seen, row => row.WithVm(name, release),
                                () => ForgetLeakFilesAsync(connection, request.LeakCheck), ct).ConfigureAwait(false);
                        }
                        }
                    });
                    _summary.Completed(name);
                });
            }
        }

        /// <summary>
        /// The summary line, like Pester's, on the information stream (shown by default); then, with
        /// -CI, the terminating TestsFailed error a CI step fails on.
        /// </summary>
        protected override void EndProcessing()
        {
            WriteSummary(_summary);
            if (CI && !_summary.Green)
            {
                string vms = string.Join(", ", _summary.Vms);
                ThrowTerminating(new DfVmException(ErrorIds.TestsFailed, DfVmErrorKind.InvalidResult,
                    $"Suite '{Suite}' on {vms}: {_summary.Problem()}. {_summary.Line()}", vms)
                {
                    RecommendedAction = "Look at the rows whose Result is Failed (their Output and Reason) and at the errors written before this one, then run the suite again (-Run picks single tests).",
                });
            }
        }

        /// <summary>The summary line on the information stream, tagged so a script can pick it out.</summary>
        private void WriteSummary(RunSummary summary) =>
            Say(summary.Line(), "DfVmTestSummary");

        /// <summary>
        /// -Sync: the project pushed into the guest first, the same way Sync-DfVmProject does it
        /// (incremental, config excludes). Its result goes to the verbose stream: the output is test rows only.
        /// </summary>
        private async Task SyncBeforeRun(Pump pump, DfVmEngine engine, VmPaths paths, string guestProjectPath, CancellationToken ct)
        {
            var outcome = await engine.SyncProjectAsync(paths, _project.SyncOptions(_project.Root, guestProjectPath), pump, ct).ConfigureAwait(false);
            var r = outcome.Result;
            pump.Verbose($"Synced {r.Source} to {paths.Name}:{r.Destination}: {r.FilesSent} file(s) sent, {r.FilesDeleted} deleted, {r.BytesSent} bytes in {r.Duration.TotalSeconds:0.0} s.");
        }
    }
}
