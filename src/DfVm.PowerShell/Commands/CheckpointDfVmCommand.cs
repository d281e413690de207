using System.Management.Automation;
using DfVm.Core.Snapshots;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// Takes a snapshot. A stopped VM: its disk, in constant time (no copy). A running VM: disk and memory;
    /// the guest runs on, and Restore-DfVmSnapshot brings it back running at this moment, without a boot.
    /// </summary>
    [Cmdlet(VerbsData.Checkpoint, "DfVm", SupportsShouldProcess = true)]
    [OutputType(typeof(DfVmSnapshot))]
    public sealed class CheckpointDfVmCommand : DfVmCmdlet
    {
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(VmNameCompleter))]
        public string[] Name { get; set; }

        /// <summary>Default: "&lt;vm&gt;-yyyyMMdd-HHmmss".</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string SnapshotName { get; set; }

        protected override void ProcessRecord()
        {
            var store = Store;
            foreach (var name in Name ?? new[] { Project.Config.VmName })
            {
                ForEachItem(name, () =>
                {
                    var paths = store.Require(name);
                    if (!ShouldProcess(name, SnapshotName == null ? "Take a snapshot" : $"Take snapshot '{SnapshotName}'")) return;
                    var manager = new SnapshotManager(store);
                    WriteObject(Run((pump, ct) => manager.CheckpointAsync(paths, SnapshotName, pump, ct)));
                });
            }
        }
    }
}
