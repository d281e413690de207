using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core;
using DfVm.Core.Instances;

namespace DfVm.PowerShell
{
    /// <summary>
    /// Base of every DfVm cmdlet: a cancellation token that Ctrl+C (StopProcessing) trips, a pump
    /// that runs core work on a worker thread while every Write* happens on the pipeline thread,
    /// and the mapping from core exceptions to ErrorRecords with stable ids.
    /// </summary>
    public abstract class DfVmCmdlet : PSCmdlet
    {
        private readonly CancellationTokenSource _cancel = new CancellationTokenSource();
        private ProjectContext _project;

        protected CancellationToken CancellationToken => _cancel.Token;

        /// <summary>The project (config file, vm/ folder) found from the current directory.</summary>
        internal ProjectContext Project
        {
            get
            {
                if (_project == null)
                {
                    try
                    {
                        _project = ProjectContext.Discover(SessionState.Path.CurrentFileSystemLocation.ProviderPath);
                    }
                    catch (DfVmException e)
                    {
                        // A bad DfVm.config.psd1 stops the command: nothing can go on without it.
                        ThrowTerminatingError(ToErrorRecord(e));
                    }
                }
                return _project;
            }
        }

        /// <summary>The engine of the project's VM store: one per store for the session (<see cref="Engines"/>).</summary>
        internal DfVmEngine Engine => Engines.For(Project.VmRoot);

        internal VmStore Store => Engine.Store;

        internal VmController Controller => Engine.Controller;

        protected override void StopProcessing() => _cancel.Cancel();

        /// <summary>False for the cmdlets that need no VM host (go test output, reports, config files): they work on Windows too.</summary>
        protected virtual bool NeedsVmHost => true;

        /// <summary>A cmdlet that drives QEMU refuses at once on a host DfVm cannot drive it on (PlatformNotSupported).</summary>
        protected override void BeginProcessing()
        {
            var refusal = NeedsVmHost ? Core.Util.HostPlatform.Refusal(Core.Util.HostPlatform.IsWindows, MyInvocation.MyCommand.Name) : null;
            if (refusal != null) ThrowTerminatingError(ToErrorRecord(refusal));
        }

        /// <summary>
        /// Runs <paramref name="operation"/> on a worker thread and drains what it reports
        /// (verbose, warnings, progress, objects posted with <see cref="Pump.Post"/>) on this thread
        /// until it ends. Its exception, if any, is rethrown here.
        /// </summary>
        internal T RunOnWorker<T>(Func<Pump, CancellationToken, Task<T>> operation)
        {
            var pump = new Pump(this);
            var task = Task.Run(() => operation(pump, _cancel.Token));
            task.ContinueWith(_ => pump.Complete(), TaskScheduler.Default);
            try
            {
                pump.Drain();
            }
            catch
            {
                // A Write* failed (the pipeline was stopped, e.g. by Select-Object -First): end the work too.
                _cancel.Cancel();
                try { task.Wait(TimeSpan.FromSeconds(30)); } catch (AggregateException) { }
                throw;
            }
            try
            {
                return task.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
        }

        internal void RunOnWorker(Func<Pump, CancellationToken, Task> operation) =>
            RunOnWorker<bool>(async (p, ct) => { await operation(p, ct).ConfigureAwait(false); return true; });

        /// <summary>An ErrorRecord for a core failure: stable id, fitting category, the VM as target.</summary>
        protected ErrorRecord ToErrorRecord(Exception e, object target = null) => ErrorMapping.ToErrorRecord(e, target);

        /// <summary>Runs per-item work; a core failure of one item becomes a non-terminating error.</summary>
        protected void ForEachItem(string item, Action action)
        {
            try
            {
                action();
            }
            catch (PipelineStoppedException) { throw; }
            catch (Exception e) when (ErrorMapping.IsExpected(e))
            {
                WriteError(ToErrorRecord(e, item));
            }
        }

        /// <summary>
        /// The documented confirmation pattern: ShouldProcess always (so -WhatIf, an inherited
        /// $WhatIfPreference and a wrapper function called with -WhatIf only report, and -Confirm asks),
        /// then, for a destructive step, the extra <paramref name="query"/> unless -Force. An explicit
        /// -Confirm answers the extra question too: -Confirm:$false does not ask, -Confirm already asked.
        /// </summary>
        protected bool ShouldProcessThenAsk(string target, string action, bool force, string query, string caption)
        {
            if (!ShouldProcess(target, action)) return false;
            if (query == null || force || MyInvocation.BoundParameters.ContainsKey("Confirm")) return true;
            return ShouldContinue(query, caption);
        }

        /// <summary>ShouldProcess that also says whether it declined because WhatIf is in effect (typed, inherited or a wrapper's).</summary>
        protected bool ShouldProcess(string target, string action, out bool whatIf)
        {
            bool yes = ShouldProcess($"Performing the operation \"{action}\" on target \"{target}\".", $"Are you sure you want to perform this action?\n{action} on target \"{target}\".", "Confirm", out ShouldProcessReason reason);
            whatIf = (reason & ShouldProcessReason.WhatIf) != 0;
            return yes;
        }

        /// <summary>
        /// The VMs a command acts on: the config's VM when none was given, else the names with
        /// wildcards expanded against the store; a literal name that matches nothing is a VmNotFound error.
        /// </summary>
        /// <param name="project">Whose VMs (default: the project of the current folder).</param>
        internal IReadOnlyList<string> VmNames(string[] names, ProjectContext project = null)
        {
            project = project ?? Project;
            if (names == null || names.Length == 0) return new[] { project.Config.VmName };
            return VmNameResolver.Expand(Engines.For(project.VmRoot).Store, names, e => WriteError(ToErrorRecord(e)));
        }

        /// <summary>
        /// Runs <paramref name="action"/> for each VM <paramref name="names"/> names (the config's VM when none),
        /// each as its own item: a VM that fails is a non-terminating error and the others go on.
        /// </summary>
        internal void ForEachVm(string[] names, Action<string, VmPaths> action) => ForEachVm(names, Project, null, action);

        /// <summary>
        /// <see cref="ForEachVm(string[], Action{string, VmPaths})"/> over the VMs of <paramref name="project"/>
        /// (Invoke-DfVmTest -Path), telling <paramref name="starting"/> each name before it is looked up.
        /// </summary>
        internal void ForEachVm(string[] names, ProjectContext project, Action<string> starting, Action<string, VmPaths> action)
        {
            var store = Engines.For(project.VmRoot).Store;
            foreach (var name in VmNames(names, project))
            {
                starting?.Invoke(name);
                ForEachItem(name, () => action(name, store.Require(name)));
            }
        }

        /// <summary>
        /// Shown on the host like Write-Host: the information stream with the PSHOST tag (and any more tags),
        /// so -InformationVariable captures it and 6>$null silences it.
        /// </summary>
        internal void Say(string text, params string[] tags)
        {
            var all = new string[tags.Length + 1];
            all[0] = "PSHOST";
            Array.Copy(tags, 0, all, 1, tags.Length);
            WriteInformation(new HostInformationMessage { Message = text }, all);
        }

        protected void ThrowTerminating(Exception e, object target = null) => ThrowTerminatingError(ToErrorRecord(e, target));

        /// <summary>Queues what worker threads produce; only the pipeline thread writes.</summary>
        internal sealed class Pump : IOperationReporter
        {
            private readonly BlockingCollection<Action> _queue = new BlockingCollection<Action>();
            private readonly DfVmCmdlet _cmdlet;

            internal Pump(DfVmCmdlet cmdlet) { _cmdlet = cmdlet; }

            public void Post(Action action)
            {
                try { _queue.Add(action); }
                catch (InvalidOperationException) { /* completed: the cmdlet is gone */ }
            }

            public void WriteObject(object o) => Post(() => _cmdlet.WriteObject(o));
            public void Verbose(string message) => Post(() => _cmdlet.WriteVerbose(message));
            public void Debug(string message) => Post(() => _cmdlet.WriteDebug(message));
            public void Warning(string message) => Post(() => _cmdlet.WriteWarning(message));
            public void Information(string message) => Post(() => _cmdlet.Say(message));
            public void WriteError(ErrorRecord record) => Post(() => _cmdlet.WriteError(record));

            public void Progress(OperationProgress p)
            {
                var record = new ProgressRecord(p.ActivityId, string.IsNullOrEmpty(p.Activity) ? "DfVm" : p.Activity, string.IsNullOrEmpty(p.Status) ? "working" : p.Status)
                {
                    ParentActivityId = p.ParentActivityId,
                    PercentComplete = Math.Min(100, p.PercentComplete),
                    SecondsRemaining = p.SecondsRemaining,
                    RecordType = p.Completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
                };
                Post(() => _cmdlet.WriteProgress(record));
            }

            internal void Complete() => _queue.CompleteAdding();

            internal void Drain()
            {
                foreach (var action in _queue.GetConsumingEnumerable()) action();
            }
        }
    }
}
