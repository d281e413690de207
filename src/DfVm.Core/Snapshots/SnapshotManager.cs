using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Instances;
using DfVm.Core.Qemu;
using DfVm.Core.Util;

namespace DfVm.Core.Snapshots
{
    public sealed class RestoreOptions
    {
        /// <summary>Boot the VM after restoring a disk snapshot (a live snapshot always resumes running).</summary>
        public bool Start { get; set; }
        /// <summary>Return once QEMU runs, without waiting for SSH (and without setting the guest clock).</summary>
        public bool NoWait { get; set; }
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(180);
        /// <summary>Set the guest clock over SSH after resuming a live snapshot.</summary>
        public bool SyncClock { get; set; } = true;
    }

    /// <summary>
    /// Checkpoint, restore and remove on an external qcow2 chain. vm/&lt;name&gt;/disk.qcow2 is always the
    /// writable top; a checkpoint renames it into snapshots/ (read-only from then on, never copied) and
    /// puts a fresh empty overlay in its place, so it costs the same at any disk size. A running VM is
    /// paused for the moment it takes to switch QEMU to the new overlay (blockdev-snapshot) and to save
    /// its memory next to the layer; it then runs on in the same QEMU. Each operation holds the VM lock,
    /// writes snapshots/.journal.json first and removes it last; <see cref="RecoverAsync"/> finishes
    /// what a crash interrupted.
    /// </summary>
    public sealed class SnapshotManager : IInterruptedSnapshots
    {
        private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(5);
        private static readonly TimeSpan SaveTimeout = TimeSpan.FromMinutes(5);
        private readonly VmStore _store;
        private readonly VmController _controller;
        private readonly QemuProcess _qemu;
        private readonly IGuestInvalidation _invalidation;
        private readonly ISnapshotStepProbe _steps;

        /// <summary>Made by <see cref="DfVmEngine"/>; <paramref name="steps"/> is the fault tests' seam (null: none).</summary>
        public SnapshotManager(VmStore store, VmController controller, QemuProcess qemu, IGuestInvalidation invalidation, ISnapshotStepProbe steps = null)
        {
            _store = store ?? throw new ArgumentNullException(nameof(store));
            _controller = controller ?? throw new ArgumentNullException(nameof(controller));
            _qemu = qemu ?? throw new ArgumentNullException(nameof(qemu));
            _invalidation = invalidation ?? throw new ArgumentNullException(nameof(invalidation));
            _steps = steps;
        }

        private VmStore Store => _store;
        private VmController Controller => _controller;

        private void Step(string name)
        {
            if (_steps != null && !_steps.Before(name)) throw new SnapshotAbandonedException(name);
        }

        /// <summary>
        /// Finishes or undoes a checkpoint/restore/remove that was interrupted (process or QEMU killed),
        /// and removes stray temporary files. Call it while holding the VM lock, before starting QEMU.
        /// Cheap when there is nothing to do (one stat).
        /// </summary>
        public Task RecoverAsync(VmPaths paths, IOperationReporter reporter, CancellationToken ct) =>
            new SnapshotRecovery(this, _qemu, _controller, _invalidation, paths, reporter, Step).RunAsync(ct);

        /// <summary>
        /// Before a stop (the caller holds the VM lock): a journal left by a process killed after its guest ran again
        /// (a live restore waiting for SSH, a checkpoint's relaunch) is settled while that QEMU still runs, so the next
        /// start never resumes saved memory over what the guest did since. A QEMU that still waits for its saved state
        /// (prelaunch, inmigrate) has not run the guest: the journal stays, and the next start finishes the resume.
        /// </summary>
        public async Task SettleBeforeStopAsync(VmPaths paths, IOperationReporter reporter, CancellationToken ct)
        {
            var files = new SnapshotPaths(paths);
            if (!File.Exists(files.Journal) || Controller.RunningPid(paths) == null) return;
            string status = null;
            try
            {
                using (var qmp = await QmpClient.ConnectAsync(paths.QmpSocket, TimeSpan.FromSeconds(5), ct, reporter.Debug).ConfigureAwait(false))
                {
                    status = await qmp.QueryStatusAsync(ct).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is QmpException || e is IOException || e is TimeoutException)
            {
                reporter.Verbose($"QMP of VM '{paths.Name}' did not answer before the stop ({e.Message}); its snapshot journal is left to the next start.");
                return;
            }
            if (status == "inmigrate" || status == "prelaunch") return;
            await RecoverAsync(paths, reporter, ct).ConfigureAwait(false);
        }

        // ---------- checkpoint ----------

        /// <summary>
        /// Takes a snapshot (<paramref name="name"/> null: "&lt;vm&gt;-yyyyMMdd-HHmmss"). Stopped VM: disk only.
        /// Running VM: disk and memory; the guest runs on. Throws InvalidSnapshotName, SnapshotExists, SnapshotFailed.
        /// </summary>
        public async Task<DfVmSnapshot> CheckpointAsync(VmPaths paths, string name, IOperationReporter reporter, CancellationToken ct)
        {
            reporter = reporter ?? NullReporter.Instance;
            var files = new SnapshotPaths(paths);
            if (name != null) SnapshotNames.Validate(name, paths.Name);
            using (VmLock.Acquire(paths, LockWait, ct))
            {
                await RecoverAsync(paths, reporter, ct).ConfigureAwait(false);
                var def = Store.LoadDefinition(paths);
                name = name ?? UniqueDefaultName(files, paths.Name);
                if (File.Exists(files.Metadata(name)) || File.Exists(files.Image(name)) || File.Exists(files.State(name)))
                {
                    throw new DfVmException(ErrorIds.SnapshotExists, DfVmErrorKind.ResourceExists,
                        $"VM '{paths.Name}' already has a snapshot named '{name}'. Pick another -SnapshotName, or remove it first with Remove-DfVmSnapshot.", paths.Name);
                }
                if (!File.Exists(paths.Disk))
                {
                    throw new DfVmException(ErrorIds.SnapshotFailed, DfVmErrorKind.InvalidOperation,
                        $"VM '{paths.Name}' has no disk yet ({paths.Disk}): start it once before taking a snapshot.", paths.Name);
                }
                Directory.CreateDirectory(files.Directory);
                var record = new SnapshotRecord
                {
                    Name = name,
                    VmName = paths.Name,
                    Created = DateTime.UtcNow,
                    MemoryMB = def.MemoryMB,
                    Cpus = def.Cpus,
                    DefinitionMemoryMB = def.MemoryMB,
                    DefinitionCpus = def.Cpus,
                };
                bool running = Controller.RunningPid(paths) != null;
                var watch = Stopwatch.StartNew();
                try
                {
                    if (running)
                    {
                        record.Accelerator = Store.LoadState(paths)?.Accelerator;
                        await CheckpointRunningAsync(files, record, reporter, ct).ConfigureAwait(false);
                    }
                    else
                    {
                        await CheckpointStoppedAsync(files, record, ct).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (!(e is SnapshotAbandonedException))
                {
                    await RecoverAfterFailureAsync(paths, reporter, e).ConfigureAwait(false);
                    if (e is OperationCanceledException || !File.Exists(files.Metadata(name))) throw Wrap(e, paths, $"Snapshot '{name}' of VM '{paths.Name}' failed");
                    reporter.Warning($"Snapshot '{name}' hit a problem ({e.Message}) but was completed.");
                }
                reporter.Verbose($"Snapshot '{name}' of VM '{paths.Name}' taken in {watch.Elapsed.TotalSeconds:0.000} s ({(running ? "live: disk and memory" : "disk")}).");
                return SnapshotStore.Get(paths, name);
            }
        }

        private async Task CheckpointStoppedAsync(SnapshotPaths files, SnapshotRecord record, CancellationToken ct)
        {
            string image = files.Image(record.Name);
            Step("journal");
            SnapshotFiles.WriteJournal(files, new SnapshotJournal { Operation = SnapshotJournal.Checkpoint, Snapshot = record.Name, Record = record });
            Step("overlay");
            await SnapshotFiles.CreateOverlayAsync(files.DiskTemp, image, QcowHeader.Read(files.Vm.Disk).VirtualSize, ct).ConfigureAwait(false);
            Step("rename-disk");
            Native.Rename(files.Vm.Disk, image);
            Step("rename-overlay");
            Native.Rename(files.DiskTemp, files.Vm.Disk);
            Step("commit");
            SnapshotFiles.Commit(files, record);
            Step("journal-delete");
            File.Delete(files.Journal);
        }

        /// <summary>
        /// A running VM: pause, save memory and devices, quit QEMU, do the stopped checkpoint, then relaunch
        /// QEMU on the new overlay from the saved state, same SSH port, so the guest runs on where it was.
        /// QEMU never has a file renamed under it: it reopens images by path (a read-only switch after
        /// blockdev-snapshot does), so a rename under a running QEMU could swap a layer for another file.
        /// </summary>
        private async Task CheckpointRunningAsync(SnapshotPaths files, SnapshotRecord record, IOperationReporter reporter, CancellationToken ct)
        {
            var paths = files.Vm;
            string name = record.Name;
            var paused = Stopwatch.StartNew();
            bool wasRunning;
            SnapshotJournal journal;
            using (var qmp = await QmpClient.ConnectAsync(paths.QmpSocket, TimeSpan.FromSeconds(5), ct, reporter.Debug).ConfigureAwait(false))
            {
                string status = await qmp.QueryStatusAsync(ct).ConfigureAwait(false);
                if (status != "running" && status != "paused")
                {
                    throw new DfVmException(ErrorIds.SnapshotFailed, DfVmErrorKind.InvalidOperation,
                        $"VM '{paths.Name}' is '{status}' in QEMU: a live snapshot needs it running or paused.", paths.Name);
                }
                wasRunning = status == "running";
                // The saved memory is the running QEMU's, whatever the definition says now (Set-DfVm on a running
                // VM is for its next cold boot): the record and the relaunch take the machine QEMU runs.
                var previous = Store.LoadState(paths);
                var machine = await RunningMachineAsync(qmp, previous, ct).ConfigureAwait(false);
                if (machine.MemoryMB > 0) record.MemoryMB = machine.MemoryMB;
                if (machine.Cpus > 0) record.Cpus = machine.Cpus;
                record.CpuModel = previous?.CpuModel;
                journal = new SnapshotJournal
                {
                    Operation = SnapshotJournal.Checkpoint,
                    Snapshot = name,
                    Record = record,
                    WasRunning = wasRunning,
                    PreviousState = previous ?? new VmRuntimeState(),
                };
                Step("journal");
                SnapshotFiles.WriteJournal(files, journal);
                Step("stop");
                paused.Restart();
                if (wasRunning) await qmp.ExecuteAsync("stop", null, LiveState.CommandTimeout, ct).ConfigureAwait(false);
                Step("save-state");
                await LiveState.SaveAsync(qmp, files.StateTemp(name), SaveTimeout, Step, ct).ConfigureAwait(false);
                Step("mark-saved");
                journal.StateSaved = true;
                SnapshotFiles.WriteJournal(files, journal);
            }
            Step("quit");
            await Controller.KillAsync(paths, reporter, ct).ConfigureAwait(false);
            ulong size = QcowHeader.Read(paths.Disk).VirtualSize;
            Step("overlay");
            await SnapshotFiles.CreateOverlayAsync(files.DiskTemp, files.Image(name), size, ct).ConfigureAwait(false);
            Step("rename-disk");
            Native.Rename(paths.Disk, files.Image(name));
            Step("rename-overlay");
            Native.Rename(files.DiskTemp, paths.Disk);
            Step("rename-state");
            Native.Rename(files.StateTemp(name), files.State(name));
            Step("commit");
            record.Live = true;
            SnapshotFiles.Commit(files, record);
            // A whole state from here on: the VM is stopped, with a live snapshot it resumes from. The journal
            // stays until the guest runs again: a process that dies while the relaunched QEMU waits for its
            // state (prelaunch, inmigrate) leaves it paused for good, and recovery then finishes the resume.
            Step("relaunch");
            await ResumeAsync(paths, files.State(name), journal, Step, reporter, ct).ConfigureAwait(false);
            Step("journal-delete");
            File.Delete(files.Journal);
            reporter.Verbose($"VM '{paths.Name}' was paused for {paused.Elapsed.TotalSeconds:0.000} s.");
        }

        /// <summary>
        /// The size of the machine a running QEMU was launched with: asked of QMP (the one truth, also for a QEMU
        /// launched before state.json recorded it), else what the launch recorded. 0 where neither says.
        /// </summary>
        internal static async Task<(int MemoryMB, int Cpus)> RunningMachineAsync(QmpClient qmp, VmRuntimeState state, CancellationToken ct)
        {
            int memory = state?.MemoryMB ?? 0, cpus = state?.Cpus ?? 0;
            try
            {
                var summary = await qmp.ExecuteAsync("query-memory-size-summary", null, LiveState.CommandTimeout, ct).ConfigureAwait(false);
                if (summary.ValueKind == System.Text.Json.JsonValueKind.Object && summary.TryGetProperty("base-memory", out var b)
                    && b.TryGetInt64(out long bytes) && bytes > 0 && bytes / (1024 * 1024) <= int.MaxValue)
                {
                    memory = (int)(bytes / (1024 * 1024));
                }
                var list = await qmp.ExecuteAsync("query-cpus-fast", null, LiveState.CommandTimeout, ct).ConfigureAwait(false);
                if (list.ValueKind == System.Text.Json.JsonValueKind.Array && list.GetArrayLength() > 0) cpus = list.GetArrayLength();
            }
            catch (QmpCommandException)
            {
                // An older QEMU without these commands: what the launch recorded.
            }
            return (memory, cpus);
        }

        /// <summary>
        /// Relaunches the VM from the state it was just saved in. Nothing changed for the guest: its boot id,
        /// start time, readiness and the host's sync manifest are carried over.
        /// </summary>
        internal async Task ResumeAsync(VmPaths paths, string statePath, SnapshotJournal journal, Action<string> step, IOperationReporter reporter, CancellationToken ct)
        {
            var before = journal.PreviousState;
            byte[] manifest = File.Exists(paths.SyncManifest) ? File.ReadAllBytes(paths.SyncManifest) : null;
            var start = new StartOptions
            {
                CallerHoldsLock = true,
                NoWait = true,
                IncomingStatePath = statePath,
                SshPort = before.SshPort > 0 ? before.SshPort : (int?)null,
                BeforeStateLoad = s => step("relaunch:" + s),
                MemoryMB = journal.Record?.MemoryMB > 0 ? journal.Record.MemoryMB : (int?)null,
                Cpus = journal.Record?.Cpus > 0 ? journal.Record.Cpus : (int?)null,
                CpuModel = journal.Record?.LoadCpuModel(),
            };
            try
            {
                await Controller.StartAsync(paths, start, reporter, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is DfVmException || e is IOException)
            {
                throw new DfVmException(ErrorIds.SnapshotFailed, DfVmErrorKind.InvalidOperation,
                    $"Snapshot '{journal.Snapshot}' of VM '{paths.Name}' was taken, but the VM could not run on from it: {e.Message} " +
                    $"It is stopped; Restore-DfVmSnapshot -Name {paths.Name} -SnapshotName {journal.Snapshot} resumes it.", paths.Name, e);
            }
            if (!journal.WasRunning)
            {
                using (var qmp = await QmpClient.ConnectAsync(paths.QmpSocket, TimeSpan.FromSeconds(5), ct, reporter.Debug).ConfigureAwait(false))
                {
                    await qmp.ExecuteAsync("stop", null, LiveState.CommandTimeout, ct).ConfigureAwait(false);
                }
            }
            if (before.BootId != null)
            {
                Store.UpdateState(paths, now =>
                {
                    if (now == null) return false;
                    now.BootId = before.BootId;
                    now.StartTime = before.StartTime;
                    now.Ready = before.Ready;
                    return true;
                });
            }
            if (manifest != null) AtomicFile.WriteAllBytes(paths.SyncManifest, manifest);
        }

        private static string UniqueDefaultName(SnapshotPaths files, string vmName)
        {
            string name = SnapshotNames.Default(vmName, DateTime.Now);
            for (int i = 2; File.Exists(files.Metadata(name)) || File.Exists(files.Image(name)); i++)
            {
                string suffix = "-" + i;
                string stem = SnapshotNames.Default(vmName, DateTime.Now);
                name = (stem.Length + suffix.Length > 63 ? stem.Substring(0, 63 - suffix.Length) : stem) + suffix;
            }
            return name;
        }

        // ---------- restore ----------

        /// <summary>
        /// Puts the VM's disk back to the snapshot (a new empty overlay on its layer, renamed over disk.qcow2).
        /// A running VM is ended first (the caller asked for confirmation). A live snapshot then resumes the saved
        /// guest in a new QEMU (same SSH port) and, unless NoWait, waits for SSH and sets the guest clock.
        /// Returns true when the VM was started. Throws SnapshotNotFound, SnapshotFailed.
        /// </summary>
        public async Task<bool> RestoreAsync(VmPaths paths, string name, RestoreOptions options, IOperationReporter reporter, CancellationToken ct)
        {
            reporter = reporter ?? NullReporter.Instance;
            options = options ?? new RestoreOptions();
            var files = new SnapshotPaths(paths);
            using (VmLock.Acquire(paths, LockWait, ct))
            {
                await RecoverAsync(paths, reporter, ct).ConfigureAwait(false);
                var snapshot = SnapshotStore.Get(paths, name);
                var record = SnapshotStore.ReadRecord(files, name);
                var def = Store.LoadDefinition(paths);
                if (snapshot.Live && record.MemoryMB != 0 && record.MemoryMB != def.MemoryMB && record.DefinitionMemoryMB != def.MemoryMB)
                {
                    // Checked before anything is touched: the saved memory only loads into the same machine. The resume
                    // runs the snapshot's machine; a definition that differs only by the size Set-DfVm had set for the
                    // next cold boot when the snapshot was taken (a running VM) is that pending change, still owed.
                    throw new DfVmException(ErrorIds.SnapshotFailed, DfVmErrorKind.InvalidOperation,
                        $"Live snapshot '{name}' was taken with {record.MemoryMB} MB of memory; VM '{paths.Name}' now has {def.MemoryMB} MB. Set its memory back to {record.MemoryMB} MB to restore it.", paths.Name);
                }
                var watch = Stopwatch.StartNew();
                int? port = null;
                // A live restore is journaled: once the disk is swapped, its saved memory must be what the VM
                // runs on next (recovery resumes it), never a cold boot of the snapshot's layer.
                SnapshotJournal journal = null;
                if (snapshot.Live)
                {
                    journal = new SnapshotJournal { Operation = SnapshotJournal.Restore, Snapshot = name, Record = record, PreviousState = Store.LoadState(paths) };
                    Step("journal");
                    SnapshotFiles.WriteJournal(files, journal);
                }
                if (Controller.RunningPid(paths) != null)
                {
                    port = Store.LoadState(paths)?.SshPort;
                    Step("kill");
                    await Controller.KillAsync(paths, reporter, ct).ConfigureAwait(false);
                    Controller.CleanStale(paths, reporter);
                }
                Step("overlay");
                await SnapshotFiles.CreateOverlayAsync(files.DiskTemp, files.Image(name), QcowHeader.Read(files.Image(name)).VirtualSize, ct).ConfigureAwait(false);
                Step("swap");
                Native.Rename(files.DiskTemp, paths.Disk);
                _invalidation.GuestChanged(paths);
                if (journal != null)
                {
                    Step("mark-restored");
                    journal.DiskRestored = true;
                    SnapshotFiles.WriteJournal(files, journal);
                }
                reporter.Verbose($"Disk of VM '{paths.Name}' restored to snapshot '{name}' in {watch.Elapsed.TotalSeconds:0.000} s.");

                if (!snapshot.Live && !options.Start) return false;
                Step("start");
                var start = new StartOptions
                {
                    CallerHoldsLock = true,
                    NoWait = options.NoWait,
                    Timeout = options.Timeout,
                    SshPort = port,
                    IncomingStatePath = snapshot.Live ? files.State(name) : null,
                    BeforeStateLoad = step => Step("start:" + step),
                    MemoryMB = snapshot.Live && record.MemoryMB > 0 ? record.MemoryMB : (int?)null,
                    Cpus = snapshot.Live && record.Cpus > 0 ? record.Cpus : (int?)null,
                    CpuModel = snapshot.Live ? record.LoadCpuModel() : null,
                };
                if (journal != null)
                {
                    // The resumed guest has run from the moment of its 'cont' and may write its disk: the resume is no
                    // longer owed. A kill or Ctrl+C while waiting for SSH must not let recovery resume the saved memory
                    // again over what the guest wrote since.
                    start.AfterStateLoad = () =>
                    {
                        Step("start:resumed");
                        SnapshotFiles.DeleteIfExists(files.Journal);
                    };
                }
                try
                {
                    await Controller.StartAsync(paths, start, reporter, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (journal != null && !(e is SnapshotAbandonedException) && !(e is OperationCanceledException))
                {
                    // The resume failed for good (the message says so): nothing is owed any more.
                    SnapshotFiles.DeleteIfExists(files.Journal);
                    throw;
                }
                if (journal != null)
                {
                    Step("journal-delete");
                    SnapshotFiles.DeleteIfExists(files.Journal);
                }
                if (snapshot.Live && !options.NoWait)
                {
                    reporter.Verbose($"VM '{paths.Name}' answers SSH {watch.Elapsed.TotalSeconds:0.000} s after the restore began.");
                    if (options.SyncClock) await GuestClock.SetAsync(Controller, paths, reporter, ct).ConfigureAwait(false);
                }
                return true;
            }
        }

        // ---------- remove ----------

        /// <summary>
        /// Deletes a snapshot. One that others are stacked on (snapshots, or the current disk) is refused
        /// (SnapshotInUse) unless <paramref name="merge"/>: its data is then folded into each of them first
        /// (qemu-img rebase onto its own parent), so no disk content changes. Merging into the disk of a
        /// running VM, or into a layer it reads through, needs the VM stopped (VmMustBeStopped).
        /// </summary>
        public async Task RemoveAsync(VmPaths paths, string name, bool merge, IOperationReporter reporter, CancellationToken ct)
        {
            reporter = reporter ?? NullReporter.Instance;
            var files = new SnapshotPaths(paths);
            using (VmLock.Acquire(paths, LockWait, ct))
            {
                await RecoverAsync(paths, reporter, ct).ConfigureAwait(false);
                SnapshotStore.Get(paths, name);
                var graph = SnapshotGraph.Read(files);
                var children = graph.ChildrenOf(name).ToList();
                bool disk = graph.DiskParent == name;
                var dependants = children.Select(c => $"snapshot '{c}'").Concat(disk ? new[] { "the VM's current disk" } : new string[0]).ToList();
                if (dependants.Count > 0 && !merge)
                {
                    throw new DfVmException(ErrorIds.SnapshotInUse, DfVmErrorKind.InvalidOperation,
                        $"Snapshot '{name}' of VM '{paths.Name}' is the base of {string.Join(", ", dependants)}. Use -Merge to fold its data into them, or remove them first.", paths.Name);
                }
                if (dependants.Count > 0 && Controller.RunningPid(paths) != null)
                {
                    var active = graph.ActiveChain();
                    if (disk || children.Any(active.Contains))
                    {
                        throw new DfVmException(ErrorIds.VmMustBeStopped, DfVmErrorKind.InvalidOperation,
                            $"Merging snapshot '{name}' changes a disk layer that the running VM '{paths.Name}' reads. Stop it first (Stop-DfVm -Name {paths.Name}).", paths.Name);
                    }
                }
                var journal = new SnapshotJournal { Operation = SnapshotJournal.Remove, Snapshot = name, Merge = merge, Record = SnapshotStore.ReadRecord(files, name) };
                var watch = Stopwatch.StartNew();
                try
                {
                    Step("journal");
                    SnapshotFiles.WriteJournal(files, journal);
                    await SnapshotRecovery.FinishRemoveAsync(files, journal, Step, ct).ConfigureAwait(false);
                    Step("journal-delete");
                    File.Delete(files.Journal);
                }
                catch (Exception e) when (!(e is SnapshotAbandonedException))
                {
                    await RecoverAfterFailureAsync(paths, reporter, e).ConfigureAwait(false);
                    if (e is OperationCanceledException || File.Exists(files.Metadata(name))) throw Wrap(e, paths, $"Removing snapshot '{name}' of VM '{paths.Name}' failed");
                }
                reporter.Verbose($"Snapshot '{name}' of VM '{paths.Name}' removed{(dependants.Count > 0 ? " (merged into " + string.Join(", ", dependants) + ")" : "")} in {watch.Elapsed.TotalSeconds:0.000} s.");
            }
        }

        // ---------- shared ----------

        private async Task RecoverAfterFailureAsync(VmPaths paths, IOperationReporter reporter, Exception cause)
        {
            try
            {
                // Not probed: the failure being cleaned up after is the one under test.
                await new SnapshotRecovery(this, _qemu, _controller, _invalidation, paths, reporter, null).RunAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                reporter.Warning($"After '{cause.Message}', recovering VM '{paths.Name}' failed too ({e.Message}); the next snapshot operation or start tries again.");
            }
        }

        private static Exception Wrap(Exception e, VmPaths paths, string what)
        {
            if (e is DfVmException || e is OperationCanceledException) return e;
            return new DfVmException(ErrorIds.SnapshotFailed, DfVmErrorKind.InvalidOperation, $"{what}: {e.Message}", paths.Name, e);
        }
    }
}
