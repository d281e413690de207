using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Guest;
using DfVm.Core.Images;
using DfVm.Core.Instances;
using DfVm.Core.Ssh;

using DfVm.Core.Util;

namespace DfVm.Core.Install
{
    /// <summary>
    /// Installs DragonFly onto a VM with nobody at the keyboard (the PFI route): fetches or finds
    /// the installer ISO, starts from an empty disk, writes each phase's PFI disc (pfi.conf, the
    /// phase script, authorized_keys with the VM's public key) and runs the phases (install,
    /// packages) with <see cref="PfiPhaseRunner"/>; then boots the installed system, pins its
    /// host key at the first SSH login, provisions it (<see cref="ProvisionRunner"/>), runs the guest
    /// self-check (<see cref="GuestSelfCheck"/>) and takes the <c>clean</c> snapshot while it runs. No password is set anywhere; SSH stays on 127.0.0.1.
    /// </summary>
    public sealed class UnattendedInstaller
    {
        private readonly DfVmEngine _engine;
        private readonly IInstallPlan _plan;
        private readonly Func<ImageRequest, IProgress<DownloadProgress>, CancellationToken, Task<DfVmImage>> _saveImage;
        private readonly Func<VmPaths, string, IOperationReporter, CancellationToken, Task> _checkpoint;

        /// <param name="engine">The VM store's engine (<see cref="DfVmEngine.UnattendedInstaller"/> makes the default one).</param>
        /// <param name="plan">Which phases to run: DragonFly's (<see cref="DragonFlyInstallPlan.Phases"/>) when null.
        /// Tests give phases of their own to run every step but the DragonFly boot on the Linux test guest.</param>
        /// <param name="saveImage">Fetches the ISO (default: a new <see cref="ImageDownloader"/>).</param>
        /// <param name="checkpoint">Takes the 'clean' snapshot of the running VM (default: the engine's <see cref="Snapshots.SnapshotManager"/>).</param>
        public UnattendedInstaller(DfVmEngine engine, IInstallPlan plan = null,
            Func<ImageRequest, IProgress<DownloadProgress>, CancellationToken, Task<DfVmImage>> saveImage = null,
            Func<VmPaths, string, IOperationReporter, CancellationToken, Task> checkpoint = null)
        {
            _engine = engine ?? throw new ArgumentNullException(nameof(engine));
            _plan = plan ?? DragonFlyInstallPlan.Phases;
            _saveImage = saveImage ?? ImageDownloader.SaveOnceAsync;
            _checkpoint = checkpoint ?? ((paths, name, reporter, ct) => engine.Snapshots.CheckpointAsync(paths, name, reporter, ct));
            Runner = new PfiPhaseRunner(engine.Controller);
        }

        private VmStore Store => _engine.Store;
        private VmController Controller => _engine.Controller;

        /// <summary>The phase runner (its grace periods can be tuned).</summary>
        public PfiPhaseRunner Runner { get; }

        public async Task<UnattendedInstallResult> InstallAsync(VmPaths paths, UnattendedInstallOptions options, IOperationReporter reporter,
            IProgress<DownloadProgress> downloadProgress, CancellationToken ct)
        {
            if (options == null) throw new ArgumentNullException(nameof(options));
            reporter = reporter ?? NullReporter.Instance;
            var def = Store.LoadDefinition(paths);
            CheckCanInstall(paths, def);
            // The per-VM lock for the whole run (no sync, restore or second install in between);
            // given back just before the snapshot, which takes it itself.
            var vmLock = VmLock.Acquire(paths, TimeSpan.FromSeconds(5), ct);
            try
            {
                CheckCanInstall(paths, def); // again, now that nobody else can start it
                return await InstallLockedAsync(paths, def, options, reporter, downloadProgress, () => { vmLock?.Dispose(); vmLock = null; }, ct).ConfigureAwait(false);
            }
            finally
            {
                vmLock?.Dispose();
            }
        }

        private async Task<UnattendedInstallResult> InstallLockedAsync(VmPaths paths, VmDefinition def, UnattendedInstallOptions options, IOperationReporter reporter,
            IProgress<DownloadProgress> downloadProgress, Action releaseLock, CancellationToken ct)
        {

            // 1. The installer ISO (returned at once when cached and verified).
            reporter.Verbose($"Looking for the DragonFly {options.Version} installer ISO in {options.ImagesDirectory}.");
            var image = await _saveImage(new ImageRequest
            {
                Version = options.Version,
                Kind = ImageKind.Iso,
                Mirror = options.Mirror,
                ImagesDirectory = options.ImagesDirectory,
            }, downloadProgress, ct).ConfigureAwait(false);
            reporter.Verbose($"Installer ISO: {image.Path}.");

            // 2. An empty disk, a key the discs carry, no stale host key pin or warm connection.
            string publicKey = SshKeyPair.EnsureExists(paths.PrivateKey, paths.PublicKey, "dfvm@" + def.Name);
            if (File.Exists(paths.Disk))
            {
                reporter.Verbose($"Removing the old disk {paths.Disk}: the install starts from an empty one.");
                File.Delete(paths.Disk); // Start recreates it (empty, or a fresh overlay of the base image)
            }
            new HostKeyPin(paths.KnownHosts, def.Name).Forget();
            _engine.GuestChanged(paths);

            // 3. The phases.
            var planned = _plan.Build(image.Path, publicKey, paths, def, options);
            var results = new List<PhaseResult>();
            var warnings = new List<string>();
            Runner.CallerHoldsLock = true;
            var builder = new PfiDiscBuilder();
            foreach (var step in planned)
            {
                builder.Build(step.DiscPath, step.DiscFiles, "DFVM_" + step.Phase.Name);
                reporter.Verbose($"Wrote PFI disc {step.DiscPath} for phase '{step.Phase.Name}'.");
                var result = await Runner.RunPhaseAsync(paths, step.Phase, step.Boot, reporter, ct).ConfigureAwait(false);
                results.Add(result);
                if (!result.PoweredOff)
                {
                    warnings.Add($"Phase '{result.Phase}' finished but the guest did not power itself off (ACPI power-off not working?); DfVm ended QEMU after {Runner.ShutdownGrace.TotalSeconds:0} s.");
                }
            }
            foreach (var step in planned) AtomicFile.TryDelete(step.DiscPath);
            TryRemoveEmptyDirectory(DragonFlyInstallPlan.DiscDirectory(paths));

            // 4. First boot of the installed system: the first SSH login pins its host key.
            reporter.Verbose($"Booting the installed system of VM '{def.Name}'.");
            await Controller.StartAsync(paths, new StartOptions { Timeout = options.StartTimeout, CallerHoldsLock = true }, reporter, ct).ConfigureAwait(false);

            // 5. Provisioning over SSH.
            var provision = await _engine.Provisioner
                .RunAsync(paths, options.ProjectDirectories, line => reporter.Verbose("[provision] " + line), reporter, ct).ConfigureAwait(false);
            if (!provision.Result.Succeeded) throw ProvisionRunner.Failure(provision);

            // 6. A warm build cache: the standard library compiled once here, so a guest build
            // after a restore of the snapshot does not compile it again.
            if (options.WarmGoBuildCache)
            {
                var warm = await Controller.InvokeCommandAsync(paths, WarmGoCommand, line => reporter.Verbose("[warm] " + line), reporter, ct).ConfigureAwait(false);
                if (warm.ExitCode != 0)
                {
                    warnings.Add($"Building the guest Go's standard library into its build cache failed (exit {warm.ExitCode}): {warm.Error}. The first guest build after a restore compiles it.");
                    reporter.Warning(warnings[warnings.Count - 1]);
                }
                else
                {
                    reporter.Verbose($"Built the guest Go's standard library into root's build cache in {warm.Duration.TotalSeconds:0} s.");
                }
            }

            // 7. The guest self-check (Test-DfVmGuest): every assumption DfVm makes in the guest holds,
            // or the install fails naming what does not, before a 'clean' snapshot of it is taken.
            IReadOnlyList<DfVmGuestCheck> checks = new DfVmGuestCheck[0];
            if (options.SelfCheck)
            {
                string projectPath = options.ProjectDirectories != null && options.ProjectDirectories.Count > 0 ? options.ProjectDirectories[0] : "/";
                checks = await new GuestSelfCheck(Controller).RunAsync(paths, projectPath, reporter, ct).ConfigureAwait(false);
                foreach (var c in checks) reporter.Verbose($"[self-check] {c.Name}: {(c.Passed ? "passed" : "FAILED")} ({c.Found})");
                if (checks.Any(c => !c.Passed))
                {
                    throw GuestSelfCheck.Failure(def.Name, checks, string.IsNullOrEmpty(options.SnapshotName)
                        ? $"The VM is installed, provisioned and running. Fix what failed, then check again with Test-DfVmGuest -Name {def.Name}."
                        : $"The VM is installed, provisioned and running; no '{options.SnapshotName}' snapshot was taken. Fix what failed, check again with Test-DfVmGuest -Name {def.Name}, then take it: Checkpoint-DfVm {options.SnapshotName} -Name {def.Name}.");
                }
            }

            // 8. The clean snapshot, taken live.
            releaseLock();
            string snapshot = null;
            if (!string.IsNullOrEmpty(options.SnapshotName))
            {
                await _checkpoint(paths, options.SnapshotName, reporter, ct).ConfigureAwait(false);
                snapshot = options.SnapshotName;
                reporter.Verbose($"Took snapshot '{snapshot}' of VM '{def.Name}'.");
            }

            return new UnattendedInstallResult
            {
                Vm = await Controller.GetAsync(paths, ct, reporter).ConfigureAwait(false),
                Image = image,
                Phases = results,
                Provision = provision,
                Snapshot = snapshot,
                Checks = checks,
                Warnings = warnings,
            };
        }

        /// <summary>
        /// Run as root in the provisioned guest: compiles the standard library (for the guest's own
        /// GOOS/GOARCH and root's go env, e.g. CGO_ENABLED) into root's build cache.
        /// </summary>
        public const string WarmGoCommand = "PATH=$PATH:/usr/local/bin:/usr/local/go/bin; export PATH; go build std";

        /// <summary>Throws unless the VM is stopped, boots DragonFly from its disk (or runs a test plan) and has no snapshots.</summary>
        internal void CheckCanInstall(VmPaths paths, VmDefinition def)
        {
            if (Controller.RunningPid(paths) != null)
            {
                throw new DfVmException(InstallErrorIds.VmIsRunning, DfVmErrorKind.InvalidOperation,
                    $"VM '{def.Name}' is running. Stop it (Stop-DfVm -Name {def.Name}) before installing onto its disk.", def.Name);
            }
            if (def.Boot != null && !string.IsNullOrEmpty(def.Boot.Kernel) && _plan.BootsInstallerIso)
            {
                throw new DfVmException(InstallErrorIds.NotDragonFlyVm, DfVmErrorKind.InvalidOperation,
                    $"VM '{def.Name}' boots a kernel directly ({def.Boot.Kernel}); DragonFly installs onto a VM made by New-DfVm without -Kernel.", def.Name);
            }
            int snapshots = Snapshots.SnapshotStore.Count(paths);
            if (snapshots > 0)
            {
                throw new DfVmException(InstallErrorIds.InstallWouldOrphanSnapshots, DfVmErrorKind.InvalidOperation,
                    $"VM '{def.Name}' has {snapshots} snapshot(s) of the system an install would erase. Remove them (Get-DfVmSnapshot -Name {def.Name} | Remove-DfVmSnapshot) or make the VM anew (New-DfVm -Name {def.Name} -Force).", def.Name);
            }
        }

        private static void TryRemoveEmptyDirectory(string dir)
        {
            try
            {
                if (Directory.Exists(dir) && Directory.GetFileSystemEntries(dir).Length == 0) Directory.Delete(dir);
            }
            catch (IOException) { }
        }
    }
}
