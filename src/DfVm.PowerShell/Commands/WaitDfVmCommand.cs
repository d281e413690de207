using System;
using System.Diagnostics;
using System.Management.Automation;
using System.Threading.Tasks;
using DfVm.Core;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// Waits until a VM accepts a real SSH login (-For Ready, the default) or has stopped (-For Stopped),
    /// at most -Timeout seconds, and outputs it. For `Start-DfVm -NoWait` now, `Wait-DfVm` later.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Wait, "DfVm")]
    [OutputType(typeof(DfVmInstance))]
    public sealed class WaitDfVmCommand : VmCmdlet
    {
        public const string WaitTimeout = nameof(WaitTimeout);

        /// <summary>Ready: until an SSH login succeeds. Stopped: until QEMU has exited.</summary>
        [Parameter]
        [ValidateSet("Ready", "Stopped")]
        public string For { get; set; } = "Ready";

        /// <summary>Seconds to wait before the WaitTimeout error.</summary>
        [Parameter]
        [ValidateRange(1, 86400)]
        public int Timeout { get; set; } = 300;

        protected override void ProcessRecord()
        {
            var store = Store;
            bool stopped = string.Equals(For, "Stopped", StringComparison.OrdinalIgnoreCase);
            ForEachVm(Name, (name, paths) =>
            {
                var limit = TimeSpan.FromSeconds(Timeout);
                var vm = RunOnWorker(async (pump, ct) =>
                {
                    var watch = Stopwatch.StartNew();
                    while (true)
                    {
                        var now = await Controller.GetAsync(paths, ct, pump).ConfigureAwait(false);
                        if (stopped ? now.State == DfVmState.Stopped : now.Ready) return now;
                        if (!stopped && now.State == DfVmState.Running)
                        {
                            // Running but not known ready: the login Start-DfVm waits for, within what is left.
                            var left = limit - watch.Elapsed;
                            if (left > TimeSpan.Zero)
                            {
                                try
                                {
                                    var state = store.LoadState(paths);
                                    await Controller.WaitReadyAsync(store.LoadDefinition(paths), paths, state?.SshPort ?? now.SshPort, left, 0, pump, ct).ConfigureAwait(false);
                                    return await Controller.GetAsync(paths, ct, pump).ConfigureAwait(false);
                                }
                                catch (DfVmException e) when (e.ErrorId == ErrorIds.GuestNotReady && e.Kind == DfVmErrorKind.Timeout)
                                {
                                    // out of time: the WaitTimeout below says so
                                }
                            }
                        }
                        if (watch.Elapsed >= limit)
                        {
                            throw new DfVmException(WaitTimeout, DfVmErrorKind.Timeout, stopped
                                ? $"VM '{name}' was still {now.State} after {Timeout} s. Stop it with Stop-DfVm (-Force quits QEMU at once)."
                                : $"VM '{name}' did not accept an SSH login within {Timeout} s (it is {now.State}). Start it with Start-DfVm; the console log is {paths.SerialLog}.", name);
                        }
                        await Task.Delay(TimeSpan.FromMilliseconds(250), ct).ConfigureAwait(false);
                    }
                });
                WriteObject(vm);
            });
        }
    }
}
