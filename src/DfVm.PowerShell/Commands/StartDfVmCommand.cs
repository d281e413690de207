using System;
using System.Management.Automation;
using DfVm.Core.Instances;

namespace DfVm.PowerShell.Commands
{
    /// <summary>Boots a VM and, unless -NoWait, waits until a real SSH login succeeds.</summary>
    [Cmdlet(VerbsLifecycle.Start, "DfVm", SupportsShouldProcess = true)]
    [OutputType(typeof(DfVmInstance))]
    public sealed class StartDfVmCommand : VmCmdlet
    {
        [Parameter]
        public SwitchParameter NoWait { get; set; }

        /// <summary>Seconds to wait for SSH.</summary>
        [Parameter]
        [ValidateRange(1, 86400)]
        public int Timeout { get; set; } = 300;

        /// <summary>SSH port for this start; 0 picks a free one.</summary>
        [Parameter]
        [ValidateRange(0, 65535)]
        public int? SshPort { get; set; }

        protected override void ProcessRecord()
        {
            ForEachVm(Name, (name, paths) =>
            {
                if (!ShouldProcess(name, "Start VM")) return;
                var options = new StartOptions { NoWait = NoWait, Timeout = TimeSpan.FromSeconds(Timeout), SshPort = SshPort };
                var vm = RunOnWorker((pump, ct) => Controller.StartAsync(paths, options, pump, ct));
                WriteObject(vm);
            });
        }
    }
}
