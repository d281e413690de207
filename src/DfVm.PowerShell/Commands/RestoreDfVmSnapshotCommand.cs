using System;
using System.Management.Automation;
using DfVm.Core.Snapshots;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// Puts a VM back to a snapshot. A disk snapshot: the disk, in well under a second (-Start boots it).
    /// A live snapshot: the guest resumes running where it was saved, answers SSH, its clock set to now.
    /// Over a running VM it asks first (the running guest is lost); -Force or -Confirm:$false do not ask; -WhatIf always only reports.
    /// </summary>
    [Cmdlet(VerbsData.Restore, "DfVmSnapshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ByName)]
    [OutputType(typeof(DfVmInstance))]
    public sealed class RestoreDfVmSnapshotCommand : SnapshotCmdlet
    {
        /// <summary>The snapshot: the first positional value, so that `Restore-DfVmSnapshot clean` works.</summary>
        [Parameter(Position = 0, Mandatory = true, ParameterSetName = ByName)]
        [ArgumentCompleter(typeof(SnapshotNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string SnapshotName { get; set; }

        /// <summary>Boot the VM after restoring a disk snapshot (a live snapshot always comes back running).</summary>
        [Parameter]
        public SwitchParameter Start { get; set; }

        /// <summary>Do not wait for SSH after starting (and leave the guest clock as saved).</summary>
        [Parameter]
        public SwitchParameter NoWait { get; set; }

        /// <summary>Seconds to wait for SSH.</summary>
        [Parameter]
        [ValidateRange(1, 86400)]
        public int Timeout { get; set; } = 300;

        /// <summary>Restore over a running VM without the extra question (-WhatIf still only reports).</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            string vm = TargetVm;
            string snapshot = InputObject?.Name ?? SnapshotName;
            var store = Store;
            ForEachItem(vm, () =>
            {
                var paths = store.Require(vm);
                var target = SnapshotStore.Get(paths, snapshot);
                bool running = Controller.RunningPid(paths) != null;
                string action = running
                    ? $"Restore snapshot '{snapshot}' over the RUNNING VM (its guest is ended and lost)"
                    : $"Restore snapshot '{snapshot}' (disk changes since are discarded)";
                string query = running ? $"VM '{vm}' is running: restoring '{snapshot}' ends its guest and loses its state. Restore?" : null;
                if (!ShouldProcessThenAsk(vm, action, Force, query, "Restore over a running VM")) return;
                var options = new RestoreOptions { Start = Start, NoWait = NoWait, Timeout = TimeSpan.FromSeconds(Timeout) };
                var manager = Engine.Snapshots;
                RunOnWorker((pump, ct) => manager.RestoreAsync(paths, target.Name, options, pump, ct));
                if (PassThru || Start) WriteObject(RunOnWorker((pump, ct) => Controller.GetAsync(paths, ct, pump)));
            });
        }
    }
}
