using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core;
using DfVm.Core.Instances;
using DfVm.Core.Testing;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// Runs a test suite of the config in the guest and writes one DfVmTestResult per test as soon
    /// as it ends. Stopping the pipeline (Ctrl+C, Select-Object -First) ends the remote go test.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "DfVmTest")]
    [OutputType(typeof(DfVmTestResult))]
    public sealed class InvokeDfVmTestCommand : DfVmCmdlet
    {
        private const int ProgressActivityId = 71;
        private ProjectContext _project;

        /// <summary>A suite of the config's Suites (Unit, Integration, Phase4, E2E, All by default).</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(SuiteNameCompleter))]
        public string Suite { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(VmNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string[] Name { get; set; }

        /// <summary>Copy the project into the guest before running (Sync-DfVmProject).</summary>
        [Parameter]
        public SwitchParameter Sync { get; set; }

        /// <summary>A go test -run regex; replaces the suite's own -run.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public new string Run { get; set; }

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

        protected override void BeginProcessing()
        {
            try
            {
                _project = Path == null
                    ? Project
                    : ProjectContext.Discover(SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path));
                SuiteResolver.Resolve(_project.Config.Suites, Suite); // an unknown suite stops here, before any VM is touched
            }
            catch (Exception e) when (ErrorMapping.IsExpected(e))
            {
                ThrowTerminating(e, Suite);
            }
        }

        protected override void ProcessRecord()
        {
            var store = new VmStore(_project.VmRoot);
            var controller = new VmController(store);
            string guestPath = ProjectSync.DefaultDestination(_project.Config, _project.Root);
            foreach (var name in Name ?? new[] { _project.Config.VmName })
            {
                ForEachItem(name, () =>
                {
                    var paths = store.Require(name);
                    base.Run(async (pump, ct) => // base: the -Run parameter hides the pump's Run
                    {
                        var connection = await controller.ConnectAsync(paths, pump, ct).ConfigureAwait(false);
                        if (Sync)
                        {
                            await SyncBeforeRun(pump, controller, paths, guestPath, ct).ConfigureAwait(false);
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
                        };
                        var progress = new OperationProgress { ActivityId = ProgressActivityId, Activity = $"Running suite '{Suite}' in VM '{name}'", Status = "starting" };
                        try
                        {
                            await new HostDiskWatch(paths, pump).RunAsync(token => new GuestTestRunner().RunAsync(
                                connection, request, pump.WriteObject,
                                new ProgressToPump(p =>
                                {
                                    progress.Status = p.ToString();
                                    pump.Progress(progress);
                                }),
                                token), ct).ConfigureAwait(false);
                        }
                        finally
                        {
                            progress.Completed = true;
                            pump.Progress(progress);
                        }
                    });
                });
            }
        }

        /// <summary>
        /// -Sync: the project pushed into the guest first, the same way Sync-DfVmProject does it
        /// (incremental, config excludes). Its result goes to the verbose stream: the output is test rows only.
        /// </summary>
        private async Task SyncBeforeRun(Pump pump, VmController controller, VmPaths paths, string guestProjectPath, CancellationToken ct)
        {
            var outcome = await new HostDiskWatch(paths, pump).RunAsync(token => ProjectSync.RunAsync(controller, paths, _project.Config, _project.Root, guestProjectPath,
                false, false, false, null, pump, token), ct).ConfigureAwait(false);
            var r = outcome.Result;
            pump.Verbose($"Synced {r.Source} to {paths.Name}:{r.Destination}: {r.FilesSent} file(s) sent, {r.FilesDeleted} deleted, {r.BytesSent} bytes in {r.Duration.TotalSeconds:0.0} s.");
        }

        /// <summary>Hands progress straight to the pump (Progress&lt;T&gt; would post to the thread pool and reorder reports).</summary>
        private sealed class ProgressToPump : IProgress<TestRunProgress>
        {
            private readonly Action<TestRunProgress> _report;

            public ProgressToPump(Action<TestRunProgress> report) { _report = report; }

            public void Report(TestRunProgress value) => _report(value);
        }
    }
}
