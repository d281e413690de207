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
    public sealed class CheckpointDfVmCommand : InVmCmdlet
    {
        /// <summary>Default: "&lt;vm&gt;-yyyyMMdd-HHmmss". The first positional value, so that `Checkpoint-DfVm clean` works.</summary>
        [Parameter(Position = 0)]
        [ValidateNotNullOrEmpty]
        public string SnapshotName { get; set; }

        protected override void ProcessRecord()
        {
            ForEachVm(Name, (name, paths) =>
            {
                if (!ShouldProcess(name, SnapshotName == null ? "Take a snapshot" : $"Take snapshot '{SnapshotName}'")) return;
                var manager = Engine.Snapshots;
                WriteObject(RunOnWorker((pump, ct) => manager.CheckpointAsync(paths, SnapshotName, pump, ct)));
            });
        }
    }
}
