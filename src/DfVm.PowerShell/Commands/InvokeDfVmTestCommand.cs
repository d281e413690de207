using System;
using System.Linq;
using System.Management.Automation;
using DfVm.Core;
using DfVm.Core.Testing;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// Runs a test suite of the config in the guest and writes one DfVmTestResult per test as soon
    /// as it ends. Stopping the pipeline (Ctrl+C, Select-Object -First) ends the remote go test.
    /// The run itself, from the connect to the last -Watch round, is the core's
    /// (<see cref="DfVmEngine.RunTestsAsync"/>, Core/Testing/TestRunWorkflow.cs); this cmdlet binds the
    /// parameters, counts the rows into the summary line, writes them, and with -CI fails on a red run.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "DfVmTest")]
    [OutputType(typeof(DfVmTestResult))]
    public sealed class InvokeDfVmTestCommand : InVmCmdlet
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

        /// <summary>No record of mounts and processes around each test binary (the config's LeakCheck = $false does the same); the packages run in parallel again.</summary>
        [Parameter]
        public SwitchParameter NoLeakCheck { get; set; }

        /// <summary>A package whose test binary left a mount or a process (or removed one it did not make) is Failed, Reason 'leaked' (the config's FailOnLeak = $true does the same).</summary>
        [Parameter]
        public SwitchParameter FailOnLeak { get; set; }

        /// <summary>After each test binary, unmount what it left (deepest first, with retries) and end the processes it left, so the next package starts clean; the rows still report them.</summary>
        [Parameter]
        public SwitchParameter CleanLeaks { get; set; }

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
            foreach (var missing in (Name ?? new string[0]).Where(n => !WildcardPattern.ContainsWildcardCharacters(n) && !engine.Store.Exists(n)))
            {
                _summary.Started(missing); // a VM that is not there never completes its run
            }

            // each VM counts as started before it is looked up: one gone by then is a run that never completed
            ForEachVm(Name, _project, _summary.Started, (name, paths) =>
            {
                var options = Options();
                RunOnWorker((pump, ct) =>
                {
                    RunSummary counted = _summary; // the first round counts in the command's summary; each later -Watch round in its own
                    return engine.RunTestsAsync(paths, options, new TestRunCallbacks
                    {
                        Row = row =>
                        {
                            var summary = counted;
                            pump.Post(() => { summary.Count(row); WriteObject(row); });
                        },
                        RoundStarting = round =>
                        {
                            if (round == 1) return;
                            counted = new RunSummary();
                            counted.Started(name);
                        },
                        RoundEnded = round =>
                        {
                            if (!Watch) return; // one run: EndProcessing says its summary
                            // A watch ends by Ctrl+C, never in EndProcessing: each round says its own summary.
                            var summary = counted;
                            if (round > 1) summary.Completed(name);
                            pump.Post(() => WriteSummary(summary));
                        },
                    }, pump, ct);
                });
                _summary.Completed(name);
            });
        }

        /// <summary>The run as the core takes it: the parameters, the project's suites, sync and leak keys, the module's exec wrapper.</summary>
        private TestRunOptions Options() => new TestRunOptions
        {
            Suite = Suite,
            Suites = _project.Config.Suites,
            Run = Run,
            Packages = Package,
            Timeout = MyInvocation.BoundParameters.ContainsKey(nameof(Timeout)) ? TimeSpan.FromSeconds(Timeout) : (TimeSpan?)null,
            Elevate = Elevate,
            ProjectRoot = _project.Root,
            GuestProjectPath = _project.GuestProjectPath,
            Sync = _project.SyncOptions(_project.Root, _project.GuestProjectPath),
            SyncFirst = Sync,
            BuildOn = BuildOn,
            GoExecWrapper = InstallDfVmGoExecCommand.WrapperSource(),
            NoLeakCheck = NoLeakCheck,
            CleanLeaks = CleanLeaks,
            FailOnLeak = FailOnLeak,
            ConfigLeakCheck = _project.Config.LeakCheck,
            ConfigFailOnLeak = _project.Config.FailOnLeak,
            Watch = Watch,
        };

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
    }
}
