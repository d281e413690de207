using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Install;
using DfVm.Core.Instances;
using DfVm.Core.Snapshots;
using DfVm.Core.Ssh;
using DfVm.Core.Sync;
using DfVm.Core.Testing;

namespace DfVm.Core
{
    /// <summary>
    /// What a test or the PowerShell layer may swap in when it makes an engine (the seams). Null: production.
    /// </summary>
    public sealed class EngineSeams
    {
        /// <summary>Told before each journaled step of a snapshot operation and of its recovery (fault tests).</summary>
        public ISnapshotStepProbe SnapshotSteps { get; set; }
    }

    /// <summary>
    /// The composition root of one VM store (a project's vm/ folder): it makes and owns the long-lived
    /// parts that act on the store's VMs and hands each its collaborators through its constructor (the
    /// installers and the importer, made per call, take the engine itself: they are workflows over all of it). The
    /// PowerShell layer keeps one engine per store for the session, so the warm SSH connections in
    /// <see cref="Connections"/> outlive a single cmdlet. DfVm.Core holds no mutable static state.
    /// </summary>
    public sealed class DfVmEngine : IDisposable
    {
        /// <summary>
        /// How long a sync waits for another command on the VM (another sync, a restore, a start)
        /// before failing with VmLocked: long enough for a large first sync or a cold boot.
        /// </summary>
        private static readonly TimeSpan SyncLockWait = TimeSpan.FromMinutes(5);

        public DfVmEngine(string vmRoot, EngineSeams seams = null)
        {
            Store = new VmStore(vmRoot);
            Connections = new GuestConnectionPool();
            Invalidation = new GuestInvalidation(Connections);
            Qemu = new QemuProcess(Store, Invalidation);
            Readiness = new GuestReadiness(Store, Qemu, Connections);
            // The one cycle, wired here: a start recovers an interrupted snapshot operation first, and the
            // snapshot manager starts, stops and relaunches VMs through the controller.
            Controller = new VmController(Store, Qemu, Readiness, Connections, Invalidation, () => Snapshots);
            Snapshots = new SnapshotManager(Store, Controller, Qemu, Invalidation, seams?.SnapshotSteps);
            Factory = new VmFactory(Store, Qemu, Invalidation);
            Provisioner = new ProvisionRunner(Controller);
        }

        /// <summary>The VM definitions and run-time state on disk (vm/&lt;name&gt;/instance.json, state.json).</summary>
        public VmStore Store { get; }

        /// <summary>One warm SSH connection per VM.</summary>
        public GuestConnectionPool Connections { get; }

        /// <summary>Ends the host's view of a guest (<see cref="GuestChanged"/>) or only its connection.</summary>
        public IGuestInvalidation Invalidation { get; }

        /// <summary>The QEMU processes: pid, launch, power-down, kill, cleanup.</summary>
        public QemuProcess Qemu { get; }

        /// <summary>Whether a booting guest is up (SSH login, panic, silence).</summary>
        public GuestReadiness Readiness { get; }

        /// <summary>Start, stop, status, connect, run a command: the facade most callers use.</summary>
        public VmController Controller { get; }

        /// <summary>Checkpoint, restore, remove and crash recovery of snapshots.</summary>
        public SnapshotManager Snapshots { get; }

        /// <summary>Creates and removes VM folders.</summary>
        public VmFactory Factory { get; }

        /// <summary>Runs the guest's provisioning script.</summary>
        public ProvisionRunner Provisioner { get; }

        /// <summary>A DragonFly install with nobody at the keyboard (fetches the ISO, runs the PFI phases, ends with 'clean').</summary>
        public UnattendedInstaller UnattendedInstaller() => new UnattendedInstaller(this);

        /// <summary>A DragonFly install by hand over VNC.</summary>
        public InteractiveInstaller InteractiveInstaller() => new InteractiveInstaller(this);

        /// <summary>Watches QEMU for a full host disk while <paramref name="paths"/>' VM runs an operation.</summary>
        public HostDiskWatch DiskWatch(VmPaths paths, IOperationReporter reporter) => new HostDiskWatch(Qemu, Invalidation, paths, reporter);

        /// <summary>
        /// The one invalidation: the guest changed under the host's view of it (a boot, a stop, a restore,
        /// a reinstall, a new host key). Its warm connection is closed and its sync manifest forgotten, so
        /// the next command connects afresh and the next sync lists the guest again.
        /// </summary>
        public void GuestChanged(VmPaths paths) => Invalidation.GuestChanged(paths);

        /// <summary>
        /// Syncs a host folder into the running VM (<see cref="ProjectSyncer"/> over the VM's warm connection).
        /// The VM lock covers the whole scan-send-save, so a second sync, or a restore swapping the guest
        /// underneath, waits and the manifest never lists what the guest does not hold; a full host disk is
        /// HostDiskFull, not a hang. <see cref="SyncOptions.ManifestPath"/> and <see cref="SyncOptions.VmDirectory"/>
        /// are this VM's.
        /// </summary>
        public Task<SyncOutcome> SyncProjectAsync(VmPaths paths, SyncOptions options, IOperationReporter reporter, CancellationToken ct)
        {
            reporter = reporter ?? NullReporter.Instance;
            options.ManifestPath = paths.SyncManifest;
            options.VmDirectory = Store.Root;
            return DiskWatch(paths, reporter).RunAsync(async token =>
            {
                using (VmLock.Acquire(paths, SyncLockWait, reporter, token))
                {
                    var connection = await Controller.ConnectAsync(paths, reporter, token).ConfigureAwait(false);
                    return await TransferProgress.RunAsync(reporter, ProgressActivities.Sync, $"Syncing {options.SourcePath} to {paths.Name}:{options.Destination}",
                        TransferProgress.SyncStatus, progress => new ProjectSyncer(connection).SyncAsync(options, progress, token)).ConfigureAwait(false);
                }
            }, ct);
        }

        /// <summary>
        /// Runs a suite in the VM, Invoke-DfVmTest's whole workflow (<see cref="TestRunWorkflow"/>): connect, the
        /// optional sync, where go builds, the run under the disk watch, the leak check's clean-up and, with
        /// <see cref="TestRunOptions.Watch"/>, the rounds after each save until <paramref name="ct"/> is cancelled.
        /// Rows and round ends go to <paramref name="callbacks"/>.
        /// </summary>
        public Task RunTestsAsync(VmPaths paths, TestRunOptions options, TestRunCallbacks callbacks, IOperationReporter reporter, CancellationToken ct) =>
            new TestRunWorkflow(this, paths, options, callbacks, reporter).RunAsync(ct);

        /// <summary>Closes the warm connections.</summary>
        public void Dispose() => Connections.Dispose();
    }
}
