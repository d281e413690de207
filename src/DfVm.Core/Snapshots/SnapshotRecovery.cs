using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Instances;
using DfVm.Core.Qemu;
using DfVm.Core.Util;

namespace DfVm.Core.Snapshots
{
    /// <summary>
    /// Brings a VM back to a whole state after a checkpoint or remove was cut short, from its journal:
    /// <list type="bullet">
    /// <item>checkpoint: once disk.qcow2 has been renamed to the snapshot's layer, the snapshot is finished
    /// (roll forward); before that, leftovers are removed (roll back). With a live QEMU that has not yet
    /// switched to the new overlay, the rename is undone instead, so QEMU never writes into a snapshot.
    /// A paused guest is given back its run state.</item>
    /// <item>remove: finished (the remaining merges, then the files).</item>
    /// </list>
    /// Every step is idempotent: recovery itself may be cut short and run again.
    /// </summary>
    internal sealed class SnapshotRecovery
    {
        private readonly VmPaths _paths;
        private readonly SnapshotPaths _files;
        private readonly IOperationReporter _reporter;

        public SnapshotRecovery(VmPaths paths, IOperationReporter reporter)
        {
            _paths = paths;
            _files = new SnapshotPaths(paths);
            _reporter = reporter ?? NullReporter.Instance;
        }

        /// <summary>Test hook: called with a step name before each step (a test throws to stand for a crash).</summary>
        internal Action<string> BeforeStep { get; set; }

        public async Task RunAsync(CancellationToken ct)
        {
            if (!File.Exists(_files.Journal))
            {
                SnapshotFiles.RemoveStrays(_files, _reporter);
                return;
            }
            var journal = SnapshotFiles.ReadJournal(_files);
            if (journal == null || !SnapshotNames.IsValid(journal.Snapshot))
            {
                // The journal is written atomically, so this is not a torn write: someone edited it. Nothing to redo.
                _reporter.Warning($"Ignoring an unreadable snapshot journal {_files.Journal}.");
            }
            else if (journal.Operation == SnapshotJournal.Checkpoint)
            {
                _reporter.Warning($"Finishing snapshot '{journal.Snapshot}' of VM '{_paths.Name}', which was interrupted.");
                await RecoverCheckpointAsync(journal, ct).ConfigureAwait(false);
            }
            else if (journal.Operation == SnapshotJournal.Remove)
            {
                _reporter.Warning($"Finishing the removal of snapshot '{journal.Snapshot}' of VM '{_paths.Name}', which was interrupted.");
                await FinishRemoveAsync(_files, journal, ct, BeforeStep).ConfigureAwait(false);
            }
            Step("journal-delete");
            File.Delete(_files.Journal);
            SnapshotFiles.RemoveStrays(_files, _reporter);
        }

        private void Step(string name) => BeforeStep?.Invoke("recover:" + name);

        private async Task RecoverCheckpointAsync(SnapshotJournal journal, CancellationToken ct)
        {
            string name = journal.Snapshot;
            var controller = new VmController(new VmStore(Path.GetDirectoryName(_paths.Directory)));
            if (journal.OverlayNode != null && controller.RunningPid(_paths) != null)
            {
                try
                {
                    using (var qmp = await QmpClient.ConnectAsync(_paths.QmpSocket, TimeSpan.FromSeconds(5), ct, _reporter.Verbose).ConfigureAwait(false))
                    {
                        await RecoverLiveAsync(qmp, journal, ct).ConfigureAwait(false);
                        return;
                    }
                }
                catch (Exception e) when (e is QmpException || e is IOException)
                {
                    if (controller.RunningPid(_paths) != null) throw;
                    _reporter.Verbose($"QEMU of VM '{_paths.Name}' is gone ({e.Message}); recovering its files only.");
                }
            }
            RecoverFiles(journal);
        }

        /// <summary>QEMU is dead (or the checkpoint was of a stopped VM): the files alone decide.</summary>
        private void RecoverFiles(SnapshotJournal journal)
        {
            string name = journal.Snapshot;
            string image = _files.Image(name);
            if (!File.Exists(_files.Metadata(name)) && !File.Exists(image))
            {
                // Nothing was renamed yet: the VM is at its previous state.
                Step("discard");
                SnapshotFiles.DeleteIfExists(_files.DiskTemp);
                SnapshotFiles.DeleteIfExists(_files.StateTemp(name));
                return;
            }
            if (!File.Exists(_paths.Disk))
            {
                Step("rename-overlay");
                if (File.Exists(_files.DiskTemp)) Native.Rename(_files.DiskTemp, _paths.Disk);
                else throw new DfVmException(SnapshotErrorIds.SnapshotFailed, DfVmErrorKind.InvalidData,
                    $"VM '{_paths.Name}': both {_paths.Disk} and {_files.DiskTemp} are missing; its disk is {image}.", _paths.Name);
            }
            if (!File.Exists(_files.Metadata(name)))
            {
                Step("commit");
                journal.Record.Live = File.Exists(_files.State(name));
                SnapshotFiles.Commit(_files, journal.Record);
            }
        }

        private async Task RecoverLiveAsync(QmpClient qmp, SnapshotJournal journal, CancellationToken ct)
        {
            string name = journal.Snapshot;
            string top = await LiveState.TopNodeAsync(qmp, ct).ConfigureAwait(false);
            string status = await qmp.QueryStatusAsync(ct).ConfigureAwait(false);
            if (top != journal.OverlayNode && !File.Exists(_files.Metadata(name)))
            {
                // QEMU still writes to the old top: undo the rename so that file is disk.qcow2 again.
                Step("live-rollback");
                await LiveState.DropNodeAsync(qmp, journal.OverlayNode, ct).ConfigureAwait(false);
                if (!File.Exists(_paths.Disk) && File.Exists(_files.Image(name))) Native.Rename(_files.Image(name), _paths.Disk);
                SnapshotFiles.DeleteIfExists(_files.DiskTemp);
                SnapshotFiles.DeleteIfExists(_files.StateTemp(name));
                SnapshotFiles.DeleteIfExists(_files.State(name));
            }
            else
            {
                if (!File.Exists(_paths.Disk) && File.Exists(_files.DiskTemp))
                {
                    Step("rename-overlay");
                    Native.Rename(_files.DiskTemp, _paths.Disk);
                }
                if (!File.Exists(_files.Metadata(name)))
                {
                    bool live = File.Exists(_files.State(name));
                    if (!live && (status == "paused" || status == "postmigrate"))
                    {
                        // The guest has not run since it was stopped for this snapshot: saving now gives the same state.
                        Step("save-state");
                        try
                        {
                            await LiveState.SaveAsync(qmp, _files.StateTemp(name), TimeSpan.FromMinutes(5), ct).ConfigureAwait(false);
                            Native.Rename(_files.StateTemp(name), _files.State(name));
                            live = true;
                        }
                        catch (Exception e) when (e is DfVmException || e is QmpCommandException)
                        {
                            _reporter.Warning($"Snapshot '{name}' keeps the disk only: its memory could not be saved ({e.Message}).");
                        }
                    }
                    Step("commit");
                    journal.Record.Live = live;
                    SnapshotFiles.Commit(_files, journal.Record);
                }
            }
            if (journal.WasRunning && status != "running")
            {
                Step("resume");
                await qmp.ExecuteAsync("cont", null, LiveState.CommandTimeout, ct).ConfigureAwait(false);
            }
        }

        /// <summary>The remaining merges of a remove, then its files (metadata first: the snapshot is gone once that is).</summary>
        internal static async Task FinishRemoveAsync(SnapshotPaths files, SnapshotJournal journal, CancellationToken ct, Action<string> step)
        {
            string name = journal.Snapshot;
            string image = files.Image(name);
            if (File.Exists(image))
            {
                var graph = SnapshotGraph.Read(files);
                var children = graph.ChildrenOf(name).ToList();
                bool disk = graph.DiskParent == name;
                if (children.Count > 0 || disk)
                {
                    if (!journal.Merge)
                    {
                        // Something was stacked on it after all: keep it (recreate its metadata).
                        if (!File.Exists(files.Metadata(name)) && journal.Record != null) Json.Write(files.Metadata(name), journal.Record, SnapshotFiles.ReadOnly);
                        return;
                    }
                    string newBacking = graph.BackingPathOf(name);
                    foreach (var child in children)
                    {
                        step?.Invoke("rebase:" + child);
                        await SnapshotFiles.RebaseAsync(files.Image(child), newBacking, true, ct).ConfigureAwait(false);
                    }
                    if (disk)
                    {
                        step?.Invoke("rebase:disk");
                        await SnapshotFiles.RebaseAsync(files.Vm.Disk, newBacking, false, ct).ConfigureAwait(false);
                    }
                }
            }
            step?.Invoke("delete-metadata");
            SnapshotFiles.DeleteIfExists(files.Metadata(name));
            step?.Invoke("delete-state");
            SnapshotFiles.DeleteIfExists(files.State(name));
            step?.Invoke("delete-image");
            SnapshotFiles.DeleteIfExists(image);
        }
    }
}
