using System;
using System.Management.Automation;
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
            bool stopped = string.Equals(For, "Stopped", StringComparison.OrdinalIgnoreCase);
            var limit = TimeSpan.FromSeconds(Timeout);
            ForEachVm(Name, (name, paths) =>
                WriteObject(RunOnWorker((pump, ct) => Controller.WaitForAsync(paths, name, stopped, limit, pump, ct))));
        }
    }
}
