using System.Management.Automation;
using DfVm.Core;
using DfVm.Core.Instances;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// Changes a VM's memory, CPU count or SSH port in its definition, without touching its disk
    /// (<see cref="VmSettings"/>, under the VM lock). A running VM gets them at its next start.
    /// </summary>
    [Cmdlet(VerbsCommon.Set, "DfVm", SupportsShouldProcess = true)]
    [OutputType(typeof(DfVmInstance))]
    public sealed class SetDfVmCommand : VmCmdlet
    {
        [Parameter]
        [ValidateRange(128, 1048576)]
        public int? MemoryMB { get; set; }

        [Parameter]
        [ValidateRange(1, 256)]
        public int? Cpus { get; set; }

        /// <summary>Fixed SSH port on 127.0.0.1, or 0 to choose a free one at each start.</summary>
        [Parameter]
        [ValidateRange(0, 65535)]
        public int? SshPort { get; set; }

        /// <summary>Output the VM afterwards.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            var store = Store;
            var settings = new VmSettings { MemoryMB = MemoryMB, Cpus = Cpus, SshPort = SshPort };
            ForEachVm(Name, (name, paths) =>
            {
                var changes = settings.Describe(paths, store.LoadDefinition(paths));
                if (changes.Count > 0 && ShouldProcess(name, "Set " + string.Join(", ", changes)))
                {
                    changes = settings.Apply(store, paths, CancellationToken);
                    if (changes.Count > 0 && Controller.RunningPid(paths) != null)
                    {
                        WriteWarning($"VM '{name}' is running: {string.Join(", ", changes)} take effect when it next boots (Restart-DfVm); until then it runs, and a live checkpoint saves it, with the size it was started with.");
                    }
                }
                if (PassThru) WriteObject(RunOnWorker((pump, ct) => Controller.GetAsync(paths, ct, pump)));
            });
        }
    }
}
