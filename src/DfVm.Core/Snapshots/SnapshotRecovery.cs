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
    /// (roll forward); before that, leftovers are removed (roll back). A live checkpoint cut short while
    /// its QEMU still runs is undone and the guest let run again; one cut short after QEMU quit leaves a
    /// live snapshot the VM can be restored from.</item>
    /// <item>remove: finished (the remaining merges, then the files).</item>
    /// </list>
    /// Every step is idempotent: recovery itself may be cut short and run again.
    /// </summary>
    internal sealed class SnapshotRecovery
    {
        private readonly SnapshotManager _manager;
        private readonly QemuProcess _qemu;
        private readonly VmController _controller;
        private readonly IGuestInvalidation _invalidation;
        private readonly VmPaths _paths;
        private readonly SnapshotPaths _files;
        private readonly IOperationReporter _reporter;
        private readonly Action<string> _step;

        /// <param name="step">Called before each step with its name (the manager's probe; "recover:" is prepended).</param>
        public SnapshotRecovery(SnapshotManager manager, QemuProcess qemu, VmController controller, IGuestInvalidation invalidation,
            VmPaths paths, IOperationReporter reporter, Action<string> step)
        {
            _manager = manager;
            _qemu = qemu;
            _controller = controller;
            _invalidation = invalidation;
            _paths = paths;
            _files = new SnapshotPaths(paths);
            _reporter = reporter ?? NullReporter.Instance;
            _step = step;
        }

        public async Task RunAsync(CancellationToken ct)
        {
            // A QEMU a killed process was launching is waited for first: until it holds its pid file it looks like no
            // QEMU at all, and recovery would then resume or boot a second one beside it.
            await _qemu.SettleLaunchAsync(_paths, _reporter, ct).ConfigureAwait(false);
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
            else if (journal.Operation == SnapshotJournal.Restore)
            {
                await RecoverRestoreAsync(journal, ct).ConfigureAwait(false);
            }
            else if (journal.Operation == SnapshotJournal.Remove)
            {
                _reporter.Warning($"Finishing the removal of snapshot '{journal.Snapshot}' of VM '{_paths.Name}', which was interrupted.");
                await FinishRemoveAsync(_files, journal, Step, ct).ConfigureAwait(false);
            }
            Step("journal-delete");
            File.Delete(_files.Journal);
            SnapshotFiles.RemoveStrays(_files, _reporter);
        }

        private void Step(string name) => _step?.Invoke("recover:" + name);

        private async Task RecoverCheckpointAsync(SnapshotJournal journal, CancellationToken ct)
        {
            var controller = _controller;
            bool relaunchCut = false;
            if (journal.PreviousState != null && controller.RunningPid(_paths) != null)
            {
                // A live checkpoint renames nothing while QEMU runs: a QEMU alive now is either the old one
                // (cut short before it quit: nothing renamed yet) or the relaunched one (after the commit).
                try
                {
                    using (var qmp = await QmpClient.ConnectAsync(_paths.QmpSocket, TimeSpan.FromSeconds(5), ct, _reporter.Debug).ConfigureAwait(false))
                    {
                        string status = await qmp.QueryStatusAsync(ct).ConfigureAwait(false);
                        if (status == "inmigrate" || status == "prelaunch")
                        {
                            // The relaunched QEMU still waits for its saved state: the guest has not run a step on
                            // the new overlay, so the resume is done again (below), in a QEMU of its own.
                            Step("kill-relaunch");
                            qmp.Dispose();
                            await controller.KillAsync(_paths, _reporter, ct).ConfigureAwait(false);
                            controller.CleanStale(_paths, _reporter);
                            relaunchCut = true;
                        }
                        else
                        {
                            // Its memory may still be being saved (the process died mid-save), or the save ended
                            // and left the guest stopped in postmigrate: end the save first, then judge the state.
                            Step("settle-save");
                            status = await LiveState.SettleOutgoingAsync(qmp, ct).ConfigureAwait(false);
                            if (!File.Exists(_files.Metadata(journal.Snapshot)))
                            {
                                Step("discard");
                                SnapshotFiles.DeleteIfExists(_files.StateTemp(journal.Snapshot));
                                SnapshotFiles.DeleteIfExists(_files.DiskTemp);
                            }
                            if (journal.WasRunning && status != "running")
                            {
                                Step("resume");
                                await qmp.ExecuteAsync("cont", null, LiveState.CommandTimeout, ct).ConfigureAwait(false);
                            }
                            return;
                        }
                    }
                }
                catch (Exception e) when (e is QmpException || e is IOException)
                {
                    if (controller.RunningPid(_paths) != null) throw;
                    _reporter.Verbose($"QEMU of VM '{_paths.Name}' is gone ({e.Message}); recovering its files only.");
                }
            }
            await RecoverFilesAsync(journal, ct).ConfigureAwait(false);
            string name = journal.Snapshot;
            if (journal.PreviousState == null || !File.Exists(_files.Metadata(name)) || controller.RunningPid(_paths) != null) return;
            if (!relaunchCut || !File.Exists(_files.State(name)))
            {
                _reporter.Warning($"VM '{_paths.Name}' stopped during live snapshot '{name}'. Restore-DfVmSnapshot -Name {_paths.Name} -SnapshotName {name} resumes it where it was.");
                return;
            }
            // The relaunch was cut short before the guest ran: resume it from the memory it saved, as the
            // checkpoint would have. If QEMU cannot start now, the error says how to resume it later.
            _reporter.Warning($"VM '{_paths.Name}' was being resumed after live snapshot '{name}' when that was interrupted: resuming it from the saved memory now.");
            try
            {
                Step("resume-relaunch");
                await _manager.ResumeAsync(_paths, _files.State(name), journal, Step, _reporter, ct).ConfigureAwait(false);
            }
            catch (DfVmException e)
            {
                _reporter.Warning(e.Message);
            }
        }

        /// <summary>
        /// A live restore cut short. Before the disk swap nothing is owed (the VM's disk is unchanged; the
        /// half-made overlay goes). After it, the guest must resume from the snapshot's saved memory: a QEMU
        /// left half-loaded is ended, the disk made a fresh overlay on the layer again, and the saved state
        /// loaded into a new QEMU. A QEMU that already runs the resumed guest is left as it is.
        /// </summary>
        private async Task RecoverRestoreAsync(SnapshotJournal journal, CancellationToken ct)
        {
            string name = journal.Snapshot;
            if (!journal.DiskRestored)
            {
                Step("discard");
                SnapshotFiles.DeleteIfExists(_files.DiskTemp);
                _reporter.Warning($"The restore of snapshot '{name}' of VM '{_paths.Name}' was interrupted before it changed the disk: the disk is as it was.");
                return;
            }
            var controller = _controller;
            if (controller.RunningPid(_paths) != null)
            {
                string status = null;
                try
                {
                    using (var qmp = await QmpClient.ConnectAsync(_paths.QmpSocket, TimeSpan.FromSeconds(5), ct, _reporter.Debug).ConfigureAwait(false))
                    {
                        status = await qmp.QueryStatusAsync(ct).ConfigureAwait(false);
                        if (status == "paused")
                        {
                            // The saved memory was loaded whole (-S leaves QEMU paused then) and the process died before
                            // its 'cont': the guest has not run on this disk yet; letting it run is what was owed.
                            Step("resume");
                            await qmp.ExecuteAsync("cont", null, LiveState.CommandTimeout, ct).ConfigureAwait(false);
                            _reporter.Warning($"The restore of live snapshot '{name}' of VM '{_paths.Name}' was interrupted after its memory was loaded: the guest runs on from it.");
                            return;
                        }
                    }
                }
                catch (Exception e) when (e is QmpException || e is IOException)
                {
                    _reporter.Verbose($"QMP of VM '{_paths.Name}' did not answer ({e.Message}).");
                }
                if (status != null && status != "inmigrate" && status != "prelaunch") return; // resumed: only the journal was left
                Step("kill-incoming");
                await controller.KillAsync(_paths, _reporter, ct).ConfigureAwait(false);
                controller.CleanStale(_paths, _reporter);
            }
            if (DiskWrittenAfter(_files.Journal))
            {
                // A guest resumed from the snapshot ran and wrote its disk after the journal was last written (its
                // process was killed before it could settle the journal): that data is the guest's now. Resuming the
                // saved memory would throw it away, so the restore is taken as done; the VM boots from its disk.
                _reporter.Warning($"The restore of live snapshot '{name}' of VM '{_paths.Name}' was interrupted after the guest had resumed and written its disk: " +
                    "that disk is kept (the saved memory is not loaded again); Start-DfVm boots it.");
                return;
            }
            if (!File.Exists(_files.Image(name)) || !File.Exists(_files.State(name)))
            {
                _reporter.Warning($"The restore of snapshot '{name}' of VM '{_paths.Name}' was interrupted and the snapshot is gone: the VM is stopped.");
                return;
            }
            _reporter.Warning($"The restore of live snapshot '{name}' of VM '{_paths.Name}' was interrupted: resuming the VM from its saved memory now.");
            // The disk may have been written by a guest resumed and then killed: start again from the layer.
            Step("overlay");
            await SnapshotFiles.CreateOverlayAsync(_files.DiskTemp, _files.Image(name), QcowHeader.Read(_files.Image(name)).VirtualSize, ct).ConfigureAwait(false);
            Step("swap");
            Native.Rename(_files.DiskTemp, _paths.Disk);
            _invalidation.GuestChanged(_paths);
            Step("resume");
            int port = journal.PreviousState?.SshPort ?? 0;
            try
            {
                await controller.StartAsync(_paths, new StartOptions
                {
                    CallerHoldsLock = true,
                    NoWait = true,
                    IncomingStatePath = _files.State(name),
                    SshPort = port > 0 ? port : (int?)null,
                    MemoryMB = journal.Record?.MemoryMB > 0 ? journal.Record.MemoryMB : (int?)null,
                    Cpus = journal.Record?.Cpus > 0 ? journal.Record.Cpus : (int?)null,
                    CpuModel = journal.Record?.LoadCpuModel(),
                    // Resumed: the guest runs and may write; nothing is owed any more (RunAsync deletes the journal too).
                    AfterStateLoad = () => SnapshotFiles.DeleteIfExists(_files.Journal),
                }, _reporter, ct).ConfigureAwait(false);
            }
            catch (DfVmException e)
            {
                // Nothing more recovery can do (e.g. the port is taken now): the disk is at the snapshot.
                _reporter.Warning($"VM '{_paths.Name}' could not resume from snapshot '{name}' ({e.Message}). Restore-DfVmSnapshot -Name {_paths.Name} -SnapshotName {name} tries again.");
            }
        }

        /// <summary>True when disk.qcow2 was modified after <paramref name="journal"/> was last written.</summary>
        private bool DiskWrittenAfter(string journal)
        {
            if (!File.Exists(_paths.Disk) || !File.Exists(journal)) return false;
            return File.GetLastWriteTimeUtc(_paths.Disk) > File.GetLastWriteTimeUtc(journal);
        }

        /// <summary>
        /// QEMU is dead (or the checkpoint was of a stopped VM): the files decide. Once disk.qcow2 has been
        /// renamed into the snapshot, or the memory of a live checkpoint was saved whole, go forward.
        /// </summary>
        private async Task RecoverFilesAsync(SnapshotJournal journal, CancellationToken ct)
        {
            string name = journal.Snapshot;
            string image = _files.Image(name);
            bool forward = File.Exists(_files.Metadata(name)) || File.Exists(image) || (journal.StateSaved && File.Exists(_files.StateTemp(name)));
            if (!forward)
            {
                Step("discard");
                SnapshotFiles.DeleteIfExists(_files.DiskTemp);
                SnapshotFiles.DeleteIfExists(_files.StateTemp(name));
                return;
            }
            if (!File.Exists(image) && journal.StateSaved)
            {
                // The overlay may be half-written: make it again, then the renames.
                Step("overlay");
                await SnapshotFiles.CreateOverlayAsync(_files.DiskTemp, image, QcowHeader.Read(_paths.Disk).VirtualSize, ct).ConfigureAwait(false);
                Step("rename-disk");
                Native.Rename(_paths.Disk, image);
            }
            if (!File.Exists(_paths.Disk))
            {
                // Created whole before disk.qcow2 was renamed away; made again if someone deleted it.
                if (!File.Exists(_files.DiskTemp))
                {
                    await SnapshotFiles.CreateOverlayAsync(_files.DiskTemp, image, QcowHeader.Read(image).VirtualSize, ct).ConfigureAwait(false);
                }
                Step("rename-overlay");
                Native.Rename(_files.DiskTemp, _paths.Disk);
            }
            if (!File.Exists(_files.Metadata(name)))
            {
                if (journal.StateSaved && File.Exists(_files.StateTemp(name)))
                {
                    Step("rename-state");
                    Native.Rename(_files.StateTemp(name), _files.State(name));
                }
                Step("commit");
                journal.Record.Live = File.Exists(_files.State(name));
                SnapshotFiles.Commit(_files, journal.Record);
            }
        }

        /// <summary>The remaining merges of a remove, then its files (metadata first: the snapshot is gone once that is).</summary>
        internal static async Task FinishRemoveAsync(SnapshotPaths files, SnapshotJournal journal, Action<string> step, CancellationToken ct)
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
