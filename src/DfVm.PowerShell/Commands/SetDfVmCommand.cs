using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using DfVm.Core;
using DfVm.Core.Snapshots;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// Changes a VM's memory, CPU count or SSH port in its definition, without touching its disk.
    /// A running VM gets them at its next start. Memory and CPUs are refused while a live snapshot
    /// exists: QEMU can only load saved memory into a machine of the same size.
    /// </summary>
    [Cmdlet(VerbsCommon.Set, "DfVm", SupportsShouldProcess = true)]
    [OutputType(typeof(DfVmInstance))]
    public sealed class SetDfVmCommand : DfVmCmdlet
    {
        public const string LiveSnapshotWouldNotLoad = nameof(LiveSnapshotWouldNotLoad);

        /// <summary>VMs by name (wildcards allowed; default: the config's VM). Piped strings bind here, and so does any object's VmName, else its Name.</summary>
        [Parameter(Position = 0, ValueFromPipeline = true)]
        [Alias("VmName")]
        [VmNameTransformation]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(VmNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string[] Name { get; set; }

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
            foreach (var name in VmNames(Name, Project.Config.VmName))
            {
                ForEachItem(name, () =>
                {
                    var paths = store.Require(name);
                    var def = store.LoadDefinition(paths);
                    var changes = new List<string>();
                    if (MemoryMB.HasValue && MemoryMB.Value != def.MemoryMB) changes.Add($"memory {def.MemoryMB} -> {MemoryMB} MB");
                    if (Cpus.HasValue && Cpus.Value != def.Cpus) changes.Add($"CPUs {def.Cpus} -> {Cpus}");
                    bool machineChanges = changes.Count > 0;
                    if (SshPort.HasValue && SshPort.Value != def.SshPort) changes.Add($"SSH port {Port(def.SshPort)} -> {Port(SshPort.Value)}");
                    if (machineChanges)
                    {
                        var live = SnapshotStore.List(paths).Where(s => s.Live).Select(s => s.Name).ToList();
                        if (live.Count > 0)
                        {
                            throw new DfVmException(LiveSnapshotWouldNotLoad, DfVmErrorKind.InvalidOperation,
                                $"VM '{name}' has live snapshots ({string.Join(", ", live)}): they hold {def.MemoryMB} MB of guest memory and {def.Cpus} CPU(s), "
                                + "and QEMU cannot load them into a machine of another size. Remove them first (Remove-DfVmSnapshot; disk snapshots can stay), "
                                + "or take them again after the change.", name);
                        }
                    }
                    if (changes.Count > 0 && ShouldProcess(name, "Set " + string.Join(", ", changes)))
                    {
                        if (MemoryMB.HasValue) def.MemoryMB = MemoryMB.Value;
                        if (Cpus.HasValue) def.Cpus = Cpus.Value;
                        if (SshPort.HasValue) def.SshPort = SshPort.Value;
                        store.SaveDefinition(paths, def);
                        if (Controller.RunningPid(paths) != null)
                        {
                            WriteWarning($"VM '{name}' is running: {string.Join(", ", changes)} take effect at its next start (Restart-DfVm).");
                        }
                    }
                    if (PassThru) WriteObject(RunOnWorker((pump, ct) => Controller.GetAsync(paths, ct, pump)));
                });
            }
        }

        private static string Port(int port) => port == 0 ? "auto" : port.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
