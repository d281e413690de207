using System;
using System.Management.Automation;

namespace DfVm.PowerShell.Commands
{
    /// <summary>Presses the ACPI power button until the guest shuts down (or -Timeout), then quits QEMU. -Force quits at once.</summary>
    [Cmdlet(VerbsLifecycle.Stop, "DfVm", SupportsShouldProcess = true)]
    [OutputType(typeof(DfVmInstance))]
    public sealed class StopDfVmCommand : VmCmdlet
    {
        /// <summary>Quit QEMU at once (like pulling the plug).</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>Seconds to wait for a clean shutdown.</summary>
        [Parameter]
        [ValidateRange(1, 3600)]
        public int Timeout { get; set; } = 60;

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            ForEachVm(Name, (name, paths) =>
            {
                if (!ShouldProcess(name, Force ? "Stop VM (quit QEMU at once)" : "Stop VM (ACPI shutdown)")) return;
                RunOnWorker((pump, ct) => Controller.StopAsync(paths, Force, TimeSpan.FromSeconds(Timeout), pump, ct));
                if (PassThru) WriteObject(RunOnWorker((pump, ct) => Controller.GetAsync(paths, ct, pump)));
            });
        }
    }
}
