using System.Management.Automation;
using DfVm.Core.Snapshots;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// Deletes snapshots. One that other snapshots or the current disk are stacked on is refused
    /// (SnapshotInUse) unless -Merge, which first folds its data into them, so no disk content changes.
    /// </summary>
    [Cmdlet(VerbsCommon.Remove, "DfVmSnapshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ByName)]
    [OutputType(typeof(void))]
    public sealed class RemoveDfVmSnapshotCommand : SnapshotCmdlet
    {
        /// <summary>The snapshot: the first positional value, so that `Remove-DfVmSnapshot clean` works.</summary>
        [Parameter(Position = 0, Mandatory = true, ParameterSetName = ByName)]
        [ArgumentCompleter(typeof(SnapshotNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string[] SnapshotName { get; set; }

        /// <summary>Fold the snapshot's data into the snapshots (and disk) stacked on it, then delete it.</summary>
        [Parameter]
        public SwitchParameter Merge { get; set; }

        /// <summary>Do not ask the extra question (-WhatIf still only reports).</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            string vm = TargetVm;
            var store = Store;
            foreach (var snapshot in InputObject != null ? new[] { InputObject.Name } : SnapshotName)
            {
                ForEachItem(vm, () =>
                {
                    var paths = store.Require(vm);
                    var target = SnapshotStore.Get(paths, snapshot);
                    string detail = target.Children.Length > 0 || target.Current
                        ? (Merge ? $" (merged into {string.Join(", ", target.Children)}{(target.Current ? (target.Children.Length > 0 ? ", " : "") + "the current disk" : "")})" : "")
                        : "";
                    if (!ShouldProcessThenAsk($"{vm}/{snapshot}", "Remove snapshot" + detail, Force, $"Delete snapshot '{snapshot}' of VM '{vm}'{detail}?", "Remove snapshot")) return;
                    var manager = Engine.Snapshots;
                    RunOnWorker((pump, ct) => manager.RemoveAsync(paths, target.Name, Merge, pump, ct));
                });
            }
        }
    }
}
