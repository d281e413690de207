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
                if (running) RunOnWorker((pump, ct) => Controller.StopAsync(paths, Force, TimeSpan.FromSeconds(Timeout), pump, ct));
                var options = new StartOptions { NoWait = NoWait, Timeout = TimeSpan.FromSeconds(Timeout) };
                WriteObject(RunOnWorker((pump, ct) => Controller.StartAsync(paths, options, pump, ct)));
            });
        }
    }
}
