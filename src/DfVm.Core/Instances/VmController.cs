using System;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Qemu;
using DfVm.Core.Ssh;

namespace DfVm.Core.Instances
{
    /// <summary>
    /// The thin facade the cmdlets and the other parts use to start, stop and inspect a VM and to run
    /// a command in it. The work is done by <see cref="QemuProcess"/> (the process) and
    /// <see cref="GuestReadiness"/> (is the guest up); SSH connections come from the engine's pool.
    /// </summary>
    public sealed class VmController
    {
        private readonly VmStore _store;
        private readonly QemuProcess _qemu;
        private readonly GuestReadiness _readiness;
        private readonly GuestConnectionPool _connections;
        private readonly IGuestInvalidation _invalidation;
        private readonly Func<Snapshots.IInterruptedSnapshots> _snapshots;

        /// <param name="snapshots">The snapshot journal's recovery, asked for when a start or stop needs it: the
        /// snapshot manager drives this controller itself (its relaunches and restores), so the engine makes it
        /// second and hands it over late; that one cycle is the engine's to wire, in plain sight.</param>
        public VmController(VmStore store, QemuProcess qemu, GuestReadiness readiness, GuestConnectionPool connections,
            IGuestInvalidation invalidation, Func<Snapshots.IInterruptedSnapshots> snapshots)
        {
            _store = store ?? throw new ArgumentNullException(nameof(store));
            _qemu = qemu ?? throw new ArgumentNullException(nameof(qemu));
            _readiness = readiness ?? throw new ArgumentNullException(nameof(readiness));
            _connections = connections ?? throw new ArgumentNullException(nameof(connections));
            _invalidation = invalidation ?? throw new ArgumentNullException(nameof(invalidation));
            _snapshots = snapshots ?? throw new ArgumentNullException(nameof(snapshots));
        }

        public VmStore Store => _store;
        private QemuProcess Qemu => _qemu;

        /// <summary>The QEMU pid when the VM's own QEMU is running, else null.</summary>
        public int? RunningPid(VmPaths paths) => Qemu.RunningPid(paths);

        /// <inheritdoc cref="QemuProcess.KillAsync"/>
        public Task KillAsync(VmPaths paths, IOperationReporter reporter, CancellationToken ct) => Qemu.KillAsync(paths, reporter, ct);

        /// <inheritdoc cref="QemuProcess.CleanStale"/>
        public void CleanStale(VmPaths paths, IOperationReporter reporter) => Qemu.CleanStale(paths, reporter);

        /// <inheritdoc cref="GuestReadiness.WaitReadyAsync"/>
        public Task<bool> WaitReadyAsync(VmDefinition def, VmPaths paths, int port, TimeSpan timeout, int silentSerialSeconds, IOperationReporter reporter, CancellationToken ct) =>
            _readiness.WaitReadyAsync(def, paths, port, timeout, silentSerialSeconds, reporter, ct);

        /// <summary>
        /// Wait-DfVm: polls until the VM accepts a real SSH login (<paramref name="untilStopped"/> false) or
        /// its QEMU has exited (true), at most <paramref name="limit"/>; a running VM not yet known ready gets
        /// the login Start-DfVm waits for, within what is left. Past the limit: WaitTimeout.
        /// </summary>
        public async Task<DfVmInstance> WaitForAsync(VmPaths paths, string name, bool untilStopped, TimeSpan limit, IOperationReporter reporter, CancellationToken ct)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                var now = await GetAsync(paths, ct, reporter).ConfigureAwait(false);
                if (untilStopped ? now.State == DfVmState.Stopped : now.Ready) return now;
                if (!untilStopped && now.State == DfVmState.Running)
                {
                    var left = limit - watch.Elapsed;
                    if (left > TimeSpan.Zero)
                    {
                        try
                        {
                            var state = Store.LoadState(paths);
                            await WaitReadyAsync(Store.LoadDefinition(paths), paths, state?.SshPort ?? now.SshPort, left, 0, reporter, ct).ConfigureAwait(false);
                            return await GetAsync(paths, ct, reporter).ConfigureAwait(false);
                        }
                        catch (DfVmException e) when (e.ErrorId == ErrorIds.GuestNotReady && e.Kind == DfVmErrorKind.Timeout)
                        {
                            // out of time: the WaitTimeout below says so
                        }
                    }
                }
                if (watch.Elapsed >= limit)
                {
                    int seconds = (int)Math.Round(limit.TotalSeconds);
                    throw new DfVmException(ErrorIds.WaitTimeout, DfVmErrorKind.Timeout, untilStopped
                        ? $"VM '{name}' was still {now.State} after {seconds} s. Stop it with Stop-DfVm (-Force quits QEMU at once)."
                        : $"VM '{name}' did not accept an SSH login within {seconds} s (it is {now.State}). Start it with Start-DfVm; the console log is {paths.SerialLog}.", name);
                }
                await Task.Delay(TimeSpan.FromMilliseconds(250), ct).ConfigureAwait(false);
            }
        }

        // ---------- status (no lock, no SSH) ----------

        public async Task<DfVmInstance> GetAsync(VmPaths paths, CancellationToken ct, IOperationReporter reporter = null)
        {
            var def = Store.LoadDefinition(paths);
            var state = Store.LoadState(paths);
            var vm = new DfVmInstance
            {
                Name = def.Name,
                Path = paths.Directory,
                MemoryMB = def.MemoryMB,
                Cpus = def.Cpus,
                DiskPath = paths.Disk,
                DiskSizeGB = def.DiskSizeGB,
                DiskUsedBytes = File.Exists(paths.Disk) ? new FileInfo(paths.Disk).Length : 0,
                SerialLogPath = paths.SerialLog,
                HostKeyFingerprint = new HostKeyPin(paths.KnownHosts, def.Name).PinnedFingerprint(),
                SshPort = def.SshPort,
                Snapshots = Snapshots.SnapshotStore.Count(paths),
                State = DfVmState.Stopped,
            };

            int? pid = RunningPid(paths);
            if (pid == null) return vm;

            vm.ProcessId = pid;
            vm.StartTime = state?.StartTime.ToLocalTime();
            vm.SshPort = state?.SshPort ?? def.SshPort;
            vm.Accelerator = state?.Accelerator;
            try
            {
                using (var qmp = await QmpClient.ConnectAsync(paths.QmpSocket, TimeSpan.FromSeconds(2), ct, WireLog(reporter)).ConfigureAwait(false))
                {
                    vm.QemuStatus = await qmp.QueryStatusAsync(ct).ConfigureAwait(false);
                }
                vm.State = MapStatus(vm.QemuStatus);
            }
            catch (Exception e) when (e is QmpException || e is IOException || e is SocketException || e is TimeoutException || e is DfVmException)
            {
                // Another client may hold the single QMP connection: the process is alive, its status unknown.
                reporter?.Verbose($"QMP of VM '{def.Name}' did not answer: {e.Message}");
                vm.State = DfVmState.Unknown;
            }
            vm.Ready = vm.State == DfVmState.Running && state != null && state.Ready;
            return vm;
        }


        private static DfVmState MapStatus(string status)
        {
            switch (status)
            {
                case "running": return DfVmState.Running;
                case "paused":
                case "suspended":
                case "restore-vm":
                case "save-vm":
                case "debug":
                case "io-error":
                    return DfVmState.Paused;
                case "prelaunch":
                case "inmigrate":
                    return DfVmState.Starting;
                case "shutdown":
                case "guest-panicked":
                    return DfVmState.Stopped;
                default: return DfVmState.Unknown;
            }
        }

        // ---------- start ----------

        public async Task<DfVmInstance> StartAsync(VmPaths paths, StartOptions options, IOperationReporter reporter, CancellationToken ct)
        {
            reporter = reporter ?? NullReporter.Instance;
            // A second start while another boots the VM waits for it (up to its own timeout), then finds it running.
            using (options.CallerHoldsLock ? null : VmLock.Acquire(paths, options.Timeout, reporter, ct))
            {
                // A checkpoint or restore cut short (killed process) is finished or undone first,
                // so the disk below is never a half state. A caller holding the lock (a snapshot
                // operation, or recovery itself resuming a restore) has recovered already.
                if (!options.CallerHoldsLock) await _snapshots().RecoverAsync(paths, reporter, ct).ConfigureAwait(false);
                else await Qemu.SettleLaunchAsync(paths, reporter, ct).ConfigureAwait(false);
                var def = Store.LoadDefinition(paths);
                if (RunningPid(paths) != null)
                {
                    var running = Store.LoadState(paths);
                    if (!options.NoWait && running != null && !running.Ready)
                    {
                        // Running but not yet reachable (an earlier start gave up waiting): wait, start nothing.
                        reporter.Verbose($"VM '{def.Name}' is running but has not accepted SSH yet: waiting.");
                        await _readiness.WaitReadyAsync(def, paths, running.SshPort, options.Timeout, 0, reporter, ct).ConfigureAwait(false);
                    }
                    else
                    {
                        reporter.Verbose($"VM '{def.Name}' is already running: nothing to do.");
                    }
                    return await GetAsync(paths, ct, reporter).ConfigureAwait(false);
                }

                // A resume from saved memory runs the machine the memory came from; a boot runs the definition's.
                if (options.MemoryMB > 0) def.MemoryMB = options.MemoryMB.Value;
                if (options.Cpus > 0) def.Cpus = options.Cpus.Value;
                Qemu.CleanStale(paths, reporter);
                string publicKey = SshKeyPair.EnsureExists(paths.PrivateKey, paths.PublicKey, "dfvm@" + def.Name);
                await QemuProcess.EnsureDiskAsync(def, paths, ct).ConfigureAwait(false);

                var accel = AcceleratorProbe.Choose(def.Accelerator);
                if (accel.Reason != null && !string.Equals(def.Accelerator, "tcg", StringComparison.OrdinalIgnoreCase))
                {
                    reporter.Warning(accel.Reason);
                }

                int port = await Qemu.LaunchAsync(def, paths, accel.Accelerator, options, publicKey, reporter, ct).ConfigureAwait(false);

                if (!options.NoWait)
                {
                    await WaitReadyOrRelaunchAsync(def, paths, accel.Accelerator, port, options, publicKey, reporter, ct).ConfigureAwait(false);
                }
                return await GetAsync(paths, ct, reporter).ConfigureAwait(false);
            }
        }

        /// <summary>
        /// Waits for SSH. A guest that writes not one byte on its serial console and offers no SSH banner
        /// for a bounded time (KVM: <see cref="VmDefinition.KvmWatchdogSeconds"/>; TCG:
        /// <see cref="StartOptions.SilentSerialTimeout"/>) is a QEMU whose guest never ran: it is relaunched
        /// once (under TCG) with a warning, and a second silence fails with GuestSilent instead of waiting
        /// out the whole timeout. A resume from saved memory prints nothing by nature and is not watched.
        /// </summary>
        private async Task WaitReadyOrRelaunchAsync(VmDefinition def, VmPaths paths, string accelerator, int port, StartOptions options, string publicKey, IOperationReporter reporter, CancellationToken ct)
        {
            bool relaunched = false;
            while (true)
            {
                int silentSeconds = options.IncomingStatePath != null ? 0
                    : accelerator == "kvm" ? def.KvmWatchdogSeconds
                    : (int)Math.Ceiling(options.SilentSerialTimeout.TotalSeconds);
                if (await _readiness.WaitReadyAsync(def, paths, port, options.Timeout, silentSeconds, reporter, ct).ConfigureAwait(false)) return;
                if (relaunched)
                {
                    string tail = SerialLog.Tail(paths.SerialLog);
                    await Qemu.KillAsync(paths, reporter, ct).ConfigureAwait(false);
                    Qemu.CleanStale(paths, reporter);
                    throw new DfVmException(ErrorIds.GuestSilent, DfVmErrorKind.Timeout,
                        $"VM '{def.Name}' printed nothing on its serial console and offered no SSH for {silentSeconds} s, twice (relaunched once). " +
                        $"QEMU was ended. Its guest never ran: check the VM's kernel, disk and boot settings, then Start-DfVm again. Serial log ({paths.SerialLog}):\n" +
                        (string.IsNullOrEmpty(tail) ? "(empty)" : tail), def.Name);
                }
                if (accelerator == "kvm")
                {
                    reporter.Warning($"VM '{def.Name}' printed nothing on its serial console for {silentSeconds} s under KVM (KVM is present but not working here). Restarting it under TCG.");
                    accelerator = "tcg";
                }
                else
                {
                    reporter.Warning($"VM '{def.Name}' printed nothing on its serial console and offered no SSH for {silentSeconds} s under TCG: its guest is not running. Relaunching QEMU once.");
                }
                await Qemu.KillAsync(paths, reporter, ct).ConfigureAwait(false);
                port = await Qemu.LaunchAsync(def, paths, accelerator, options, publicKey, reporter, ct).ConfigureAwait(false);
                relaunched = true;
            }
        }

        // ---------- stop ----------

        public async Task StopAsync(VmPaths paths, bool force, TimeSpan timeout, IOperationReporter reporter, CancellationToken ct)
        {
            reporter = reporter ?? NullReporter.Instance;
            using (VmLock.Acquire(paths, TimeSpan.FromSeconds(5), ct))
            {
                await StopHoldingLockAsync(paths, force, timeout, reporter, ct).ConfigureAwait(false);
            }
        }

        /// <summary>
        /// Stops the VM and boots it again under one hold of the VM lock: no other DfVm command (another pwsh) can
        /// act between the stop and the start. <paramref name="options"/>.Timeout is also how long to wait for the lock.
        /// </summary>
        public async Task<DfVmInstance> RestartAsync(VmPaths paths, bool force, TimeSpan stopTimeout, StartOptions options, IOperationReporter reporter, CancellationToken ct)
        {
            reporter = reporter ?? NullReporter.Instance;
            using (VmLock.Acquire(paths, options.Timeout, reporter, ct))
            {
                await _snapshots().RecoverAsync(paths, reporter, ct).ConfigureAwait(false);
                await StopHoldingLockAsync(paths, force, stopTimeout, reporter, ct).ConfigureAwait(false);
                options.CallerHoldsLock = true;
                return await StartAsync(paths, options, reporter, ct).ConfigureAwait(false);
            }
        }

        private async Task StopHoldingLockAsync(VmPaths paths, bool force, TimeSpan timeout, IOperationReporter reporter, CancellationToken ct)
        {
            await Qemu.SettleLaunchAsync(paths, reporter, ct).ConfigureAwait(false);
            int? pid = RunningPid(paths);
            if (pid == null)
            {
                Qemu.CleanStale(paths, reporter);
                return;
            }
            try
            {
                await _snapshots().SettleBeforeStopAsync(paths, reporter, ct).ConfigureAwait(false);
            }
            catch (DfVmException e)
            {
                reporter.Warning($"VM '{paths.Name}': settling an interrupted snapshot operation before the stop failed ({e.Message}); the next start tries again.");
            }
            _invalidation.GuestChanged(paths);
            if (force)
            {
                await Qemu.KillAsync(paths, reporter, ct).ConfigureAwait(false);
            }
            else
            {
                await Qemu.PowerDownAsync(paths, pid.Value, timeout, reporter, ct).ConfigureAwait(false);
            }
            Qemu.CleanStale(paths, reporter);
        }

        // ---------- commands ----------

        public async Task<GuestConnection> ConnectAsync(VmPaths paths, IOperationReporter reporter, CancellationToken ct, string user = null)
        {
            var def = Store.LoadDefinition(paths);
            var state = Store.LoadState(paths);
            if (RunningPid(paths) == null || state == null)
            {
                string remedy = $"Start it with Start-DfVm -Name {def.Name}.";
                throw new DfVmException(ErrorIds.VmNotRunning, DfVmErrorKind.InvalidOperation, $"VM '{def.Name}' is not running. {remedy}", def.Name)
                {
                    RecommendedAction = remedy,
                };
            }
            // A guest QEMU stopped on a full host disk runs on if there is room again; else HostDiskFull, not a hang.
            await new HostDiskWatch(_qemu, _invalidation, paths, reporter).ResumeIfRoomAsync(ct).ConfigureAwait(false);
            var endpoint = GuestReadiness.Endpoint(def, paths, state.SshPort);
            if (user != null) endpoint.User = user; // provisioning logs in as root whatever SshUser is
            // The pool hands back the warm connection, or opens a new one when it was dropped.
            return await _connections.GetAsync(endpoint, TimeSpan.FromSeconds(15), ct, Log(reporter)).ConfigureAwait(false);
        }

        /// <summary>
        /// The one way a guest command is run and captured (Invoke-DfVmCommand, Build-DfVmProject, provisioning,
        /// the guest clock): each line goes to the callbacks as it comes, the result keeps bounded stdout and
        /// stderr, a full host disk is HostDiskFull instead of a hang, and a command whose connection was lost
        /// has its orphaned processes ended. <paramref name="stdin"/> (may be null) feeds the command.
        /// <paramref name="user"/> (null: the VM's SshUser) logs in as another user with the VM's key.
        /// </summary>
        public async Task<DfVmCommandResult> InvokeCommandAsync(VmPaths paths, string command, Action<string> onOutputLine, IOperationReporter reporter, CancellationToken ct,
            Action<string> onErrorLine = null, Func<System.IO.Stream, CancellationToken, Task> stdin = null, string user = null)
        {
            var connection = await ConnectAsync(paths, reporter, ct, user).ConfigureAwait(false);
            CapturedCommand outcome;
            try
            {
                // Bounded: a command printing gigabytes streams on, but the result keeps only the first part.
                outcome = await new HostDiskWatch(_qemu, _invalidation, paths, reporter).RunAsync(
                    token => connection.CaptureAsync(command, stdin, onOutputLine, onErrorLine, token), ct).ConfigureAwait(false);
            }
            catch (GuestConnectionLostException lost) when (lost.RemotePid > 0)
            {
                await EndOrphanedCommandAsync(paths, lost.RemotePid, reporter, ct, user).ConfigureAwait(false);
                throw;
            }
            string bounded = OutputLimits.Describe(paths.Name, outcome.LinesCut, outcome.Output, outcome.Error);
            if (bounded != null) reporter?.Warning(bounded);
            return new DfVmCommandResult
            {
                VmName = paths.Name,
                Command = command,
                ExitCode = outcome.ExitCode,
                Output = outcome.Output.ToString(),
                Error = outcome.Error.ToString(),
                Duration = outcome.Duration,
            };
        }

        /// <summary>
        /// The connection went while a command ran (its sshd killed, the network cut): the command's
        /// process tree may still run in the guest. Best effort over a new connection: end it.
        /// </summary>
        private async Task EndOrphanedCommandAsync(VmPaths paths, int remotePid, IOperationReporter reporter, CancellationToken ct, string user = null)
        {
            try
            {
                _invalidation.ConnectionGone(paths);
                var fresh = await ConnectAsync(paths, reporter, ct, user).ConfigureAwait(false);
                reporter?.Verbose($"Ending guest process {remotePid} and its children, left by the lost connection.");
                await fresh.KillOrphanedTreeAsync(remotePid).ConfigureAwait(false);
            }
            catch (Exception e) when (e is DfVmException || e is IOException || e is TimeoutException)
            {
                reporter?.Verbose($"Could not end guest process {remotePid} after the connection was lost: {e.Message}");
            }
        }

    
        private static Action<string> Log(IOperationReporter reporter) => reporter == null ? (Action<string>)null : reporter.Verbose;
        private static Action<string> WireLog(IOperationReporter reporter) => reporter == null ? (Action<string>)null : reporter.Debug;
    }
}
