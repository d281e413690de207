using System;
using System.Management.Automation;
using DfVm.Core.Instances;

namespace DfVm.PowerShell.Commands
{
    /// <summary>Stops a VM (ACPI shutdown, or at once with -Force) and boots it again; waits for SSH unless -NoWait.</summary>
    [Cmdlet(VerbsLifecycle.Restart, "DfVm", SupportsShouldProcess = true)]
    [OutputType(typeof(DfVmInstance))]
    public sealed class RestartDfVmCommand : VmCmdlet
    {
        /// <summary>Quit QEMU at once instead of an ACPI shutdown.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>Seconds for the shutdown, and again for the SSH login after the boot.</summary>
        [Parameter]
        [ValidateRange(1, 86400)]
        public int Timeout { get; set; } = 300;

        /// <summary>Do not wait for SSH after the boot.</summary>
        [Parameter]
        public SwitchParameter NoWait { get; set; }

        protected override void ProcessRecord()
        {
            ForEachVm(Name, (name, paths) =>
            {
                bool running = Controller.RunningPid(paths) != null;
                if (!ShouldProcess(name, running ? (Force ? "Restart VM (quit QEMU at once, then boot)" : "Restart VM (ACPI shutdown, then boot)") : "Start VM (it is stopped)")) return;
                var options = new StartOptions { NoWait = NoWait, Timeout = TimeSpan.FromSeconds(Timeout) };
                // One hold of the VM lock over the stop and the start: another pwsh cannot act in between.
                WriteObject(RunOnWorker((pump, ct) => Controller.RestartAsync(paths, Force, TimeSpan.FromSeconds(Timeout), options, pump, ct)));
            });
        }
    }
}
