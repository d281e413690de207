using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Qemu;
using DfVm.Core.Ssh;
using DfVm.Core.Util;

namespace DfVm.Core.Instances
{
    public sealed class StartOptions
    {
        public bool NoWait { get; set; }
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(180);
        /// <summary>Overrides the definition's port for this start (0 = choose a free one).</summary>
        public int? SshPort { get; set; }
        public IReadOnlyList<AttachedMedia> Media { get; set; }
        /// <summary>Launch with -incoming defer -S, load this migration stream, then cont (no boot).</summary>
        public string IncomingStatePath { get; set; }
        /// <summary>The caller already holds the VM lock (a restore that starts the VM it just prepared).</summary>
        public bool CallerHoldsLock { get; set; }

        /// <summary>
        /// Under TCG, a boot whose guest writes nothing on the serial console and offers no SSH banner
        /// for this long is taken for a guest that never ran (relaunched once, then GuestSilent).
        /// </summary>
        public TimeSpan SilentSerialTimeout { get; set; } = TimeSpan.FromSeconds(90);

        /// <summary>
        /// Appended to QEMU's argv for this start only, e.g. <c>-boot order=d</c> to boot the
        /// installer CD, or <c>-vga std -vnc 127.0.0.1:1</c> for an interactive install.
        /// </summary>
        public IReadOnlyList<string> ExtraQemuArgs { get; set; }
    }

    /// <summary>Starts, stops and inspects VMs: QEMU processes, QMP, readiness over SSH.</summary>
    public sealed class VmController
    {
        private static readonly TimeSpan QmpTimeout = TimeSpan.FromSeconds(5);
        private readonly VmStore _store;

        public VmController(VmStore store)
        {
            _store = store;
        }

        public VmStore Store => _store;

        // ---------- inspection (no lock, no SSH) ----------

        /// <summary>The QEMU pid when the VM's own QEMU is running, else null.</summary>
        public int? RunningPid(VmPaths paths)
        {
            if (!Native.IsLockedByOther(paths.PidFile)) return null;
            int pid = ReadPid(paths);
            return pid > 0 ? pid : (int?)null;
        }

        /// <summary>
        /// True only while the process is the QEMU of this VM: QEMU holds a write lock on its
        /// -pidfile for its whole life and writes its pid there (QEMU.md); the kernel drops the
        /// lock when it dies. So a locked pid file names a live QEMU, on Linux and macOS alike
        /// (no /proc), through any spelling of the path (a symlinked project), and a recycled pid
        /// now owned by another program is never taken for ours.
        /// </summary>
        public static bool IsOurQemu(int pid, VmPaths paths) =>
            pid > 0 && Native.IsLockedByOther(paths.PidFile) && ReadPid(paths) == pid;

        private static int ReadPid(VmPaths paths)
        {
            try
            {
                return File.Exists(paths.PidFile) && int.TryParse(File.ReadAllText(paths.PidFile).Trim(), out int pid) ? pid : 0;
            }
            catch (IOException) { return 0; }
        }

        public async Task<DfVmInstance> GetAsync(VmPaths paths, CancellationToken ct, IOperationReporter reporter = null)
        {
            var def = _store.LoadDefinition(paths);
            var state = _store.LoadState(paths);
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
                SshPort = def.SshPort,
                Snapshots = SnapshotCounter?.Invoke(paths) ?? 0,
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
                using (var qmp = await QmpClient.ConnectAsync(paths.QmpSocket, TimeSpan.FromSeconds(2), ct, Log(reporter)).ConfigureAwait(false))
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

        /// <summary>Set by the snapshot layer: how many snapshots a VM has.</summary>
        public static Func<VmPaths, int> SnapshotCounter { get; set; }

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
            using (options.CallerHoldsLock ? null : VmLock.Acquire(paths, TimeSpan.FromSeconds(5), ct))
            {
                // A checkpoint or restore cut short (killed process) is finished or undone first,
                // so the disk below is never a half state. A caller holding the lock (a snapshot
                // operation, or recovery itself resuming a restore) has recovered already.
                if (!options.CallerHoldsLock) Snapshots.SnapshotStore.Recover(paths, reporter);
                var def = _store.LoadDefinition(paths);
                if (RunningPid(paths) != null)
                {
                    var running = _store.LoadState(paths);
                    if (!options.NoWait && running != null && !running.Ready)
                    {
                        // Running but not yet reachable (an earlier start gave up waiting): wait, start nothing.
                        reporter.Verbose($"VM '{def.Name}' is running but has not accepted SSH yet: waiting.");
                        await WaitReadyAsync(def, paths, running.SshPort, options.Timeout, 0, reporter, ct).ConfigureAwait(false);
                    }
                    else
                    {
                        reporter.Verbose($"VM '{def.Name}' is already running: nothing to do.");
                    }
                    return await GetAsync(paths, ct, reporter).ConfigureAwait(false);
                }

                CleanStale(paths, reporter);
                string publicKey = SshKeyPair.EnsureExists(paths.PrivateKey, paths.PublicKey, "dfvm@" + def.Name);
                await EnsureDiskAsync(def, paths, ct).ConfigureAwait(false);

                var accel = AcceleratorProbe.Choose(def.Accelerator);
                if (accel.Reason != null && !string.Equals(def.Accelerator, "tcg", StringComparison.OrdinalIgnoreCase))
                {
                    reporter.Warning(accel.Reason);
                }

                int port = await LaunchAsync(def, paths, accel.Accelerator, options, publicKey, reporter, ct).ConfigureAwait(false);

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
                if (await WaitReadyAsync(def, paths, port, options.Timeout, silentSeconds, reporter, ct).ConfigureAwait(false)) return;
                if (relaunched)
                {
                    string tail = SerialLog.Tail(paths.SerialLog);
                    await KillAsync(paths, reporter, ct).ConfigureAwait(false);
                    CleanStale(paths, reporter);
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
                await KillAsync(paths, reporter, ct).ConfigureAwait(false);
                port = await LaunchAsync(def, paths, accelerator, options, publicKey, reporter, ct).ConfigureAwait(false);
                relaunched = true;
            }
        }

        private static async Task EnsureDiskAsync(VmDefinition def, VmPaths paths, CancellationToken ct)
        {
            if (File.Exists(paths.Disk)) return;
            if (!string.IsNullOrEmpty(def.BaseImage))
            {
                if (!File.Exists(def.BaseImage))
                {
                    throw new DfVmException(ErrorIds.BaseImageNotFound, DfVmErrorKind.NotFound,
                        $"The base image of VM '{def.Name}' is missing: {def.BaseImage}.", def.Name);
                }
                await QemuImg.CreateOverlayAsync(paths.Disk, def.BaseImage, ct).ConfigureAwait(false);
            }
            else
            {
                await QemuImg.CreateAsync(paths.Disk, def.DiskSizeGB, ct).ConfigureAwait(false);
            }
        }

        private async Task<int> LaunchAsync(VmDefinition def, VmPaths paths, string accelerator, StartOptions options, string publicKey, IOperationReporter reporter, CancellationToken ct)
        {
            int port = options.SshPort ?? def.SshPort;
            if (port == 0)
            {
                port = PortProbe.PickFree();
                reporter.Verbose($"Chose free port 127.0.0.1:{port} for SSH.");
            }
            else if (!PortProbe.IsFree(port))
            {
                throw PortInUse(def.Name, port);
            }

            var argv = QemuCommandLine.Build(def, paths, accelerator, port, publicKey, options.Media,
                incomingDefer: options.IncomingStatePath != null);
            if (options.ExtraQemuArgs != null) argv.AddRange(options.ExtraQemuArgs);
            string qemu = QemuTools.SystemEmulator;
            reporter.Verbose("Starting: " + qemu + " " + string.Join(" ", argv.Select(ShellDisplay)));
            if (File.Exists(paths.SerialLog))
            {
                Native.Rename(paths.SerialLog, paths.SerialLog + ".1");
            }

            var outcome = await ProcessRunner.RunAsync(qemu, argv, TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
            if (outcome.ExitCode != 0)
            {
                string err = outcome.StdErr.Trim();
                if (err.Contains("host forwarding rule") || err.Contains("hostfwd"))
                {
                    throw PortInUse(def.Name, port, err);
                }
                throw new DfVmException(ErrorIds.QemuStartFailed, DfVmErrorKind.InvalidOperation,
                    $"QEMU could not start VM '{def.Name}' (exit {outcome.ExitCode}): {err}", def.Name);
            }

            int pid = ReadPid(paths);
            if (File.Exists(paths.QmpSocket)) Native.Chmod(paths.QmpSocket, 0x180);
            _store.SaveState(paths, new VmRuntimeState
            {
                Pid = pid,
                SshPort = port,
                Accelerator = accelerator,
                StartTime = DateTime.UtcNow,
                BootId = Guid.NewGuid().ToString("N"),
                Ready = false,
            });
            GuestChanged(paths);
            reporter.Verbose($"QEMU pid {pid} started under {accelerator.ToUpperInvariant()}; SSH on 127.0.0.1:{port}.");
            // A live restore resumes the saved guest; if that fails, no half-loaded QEMU stays.
            if (options.IncomingStatePath != null)
            {
                try { await Snapshots.IncomingState.LoadAsync(paths, options.IncomingStatePath, reporter, ct).ConfigureAwait(false); }
                catch { await KillAsync(paths, reporter, CancellationToken.None).ConfigureAwait(false); CleanStale(paths, reporter); throw; }
            }
            return port;
        }

        private static DfVmException PortInUse(string vm, int port, string qemuText = null)
        {
            string holder = PortProbe.DescribeHolder(port);
            return new DfVmException(ErrorIds.SshPortInUse, DfVmErrorKind.ResourceUnavailable,
                $"Port 127.0.0.1:{port} for VM '{vm}' is already taken" + (holder != null ? $" by {holder}" : "") +
                $". Stop that program, pick another port (Start-DfVm -SshPort <n>), or let DfVm choose one (-SshPort 0)." +
                (qemuText != null ? " QEMU said: " + qemuText : ""), vm);
        }

        /// <summary>
        /// Waits until a real SSH login succeeds (a TCP accept means nothing under user
        /// networking). Returns false only when the silence watchdog fired: not one byte on the
        /// serial console and no SSH banner for <paramref name="silentSerialSeconds"/> (0: not watched).
        /// </summary>
        public async Task<bool> WaitReadyAsync(VmDefinition def, VmPaths paths, int port, TimeSpan timeout, int silentSerialSeconds, IOperationReporter reporter, CancellationToken ct)
        {
            var watch = Stopwatch.StartNew();
            var endpoint = Endpoint(def, paths, port);
            long lastSerial = SerialLog.Length(paths.SerialLog);
            var lastSerialChange = Stopwatch.StartNew();
            string lastProblem = "no SSH banner yet";
            bool bannerSeen = false;
            var progress = new OperationProgress { ActivityId = 41, Activity = $"Starting VM '{def.Name}'" };
            try
            {
                while (true)
                {
                    ct.ThrowIfCancellationRequested();
                    if (RunningPid(paths) == null)
                    {
                        throw new DfVmException(ErrorIds.QemuStartFailed, DfVmErrorKind.InvalidOperation,
                            $"QEMU of VM '{def.Name}' exited while the guest was booting. Last serial lines:\n{SerialLog.Tail(paths.SerialLog)}", def.Name);
                    }
                    if (watch.Elapsed > timeout)
                    {
                        throw new DfVmException(ErrorIds.GuestNotReady, DfVmErrorKind.Timeout,
                            $"VM '{def.Name}' did not accept an SSH login within {timeout.TotalSeconds:0} s ({lastProblem}). Last 20 serial lines:\n{SerialLog.Tail(paths.SerialLog)}", def.Name);
                    }

                    long serial = SerialLog.Length(paths.SerialLog);
                    if (serial != lastSerial)
                    {
                        lastSerial = serial;
                        lastSerialChange.Restart();
                        string tail = SerialLog.Tail(paths.SerialLog, 40);
                        if (tail.Contains("Kernel panic") || tail.Contains("panic: ") || tail.Contains("Fatal trap"))
                        {
                            // No point waiting out the timeout: the guest's kernel has stopped.
                            throw new DfVmException(ErrorIds.GuestNotReady, DfVmErrorKind.InvalidOperation,
                                $"The guest kernel of VM '{def.Name}' panicked while booting; QEMU is left running for inspection (Stop-DfVm -Force ends it). Last 20 serial lines:\n{SerialLog.Tail(paths.SerialLog)}", def.Name);
                        }
                    }
                    if (silentSerialSeconds > 0 && lastSerial == 0 && !bannerSeen && lastSerialChange.Elapsed.TotalSeconds > silentSerialSeconds)
                    {
                        return false;
                    }

                    progress.Status = $"waiting for SSH on 127.0.0.1:{port} ({watch.Elapsed.TotalSeconds:0} s)";
                    reporter.Progress(progress);

                    // A short read timeout: until the guest's sshd listens, user networking accepts the
                    // connection and then says nothing, so a long wait here only delays the next try.
                    if (await BannerAsync(port, ct, readTimeoutMs: 700).ConfigureAwait(false))
                    {
                        bannerSeen = true;
                        try
                        {
                            GuestConnectionPool.Drop(paths.PrivateKey);
                            await GuestConnectionPool.GetAsync(endpoint, TimeSpan.FromSeconds(10), ct, reporter.Verbose).ConfigureAwait(false);
                            var state = _store.LoadState(paths);
                            if (state != null) { state.Ready = true; _store.SaveState(paths, state); }
                            reporter.Verbose($"VM '{def.Name}' accepted an SSH login after {watch.Elapsed.TotalSeconds:0.0} s.");
                            return true;
                        }
                        catch (HostKeyMismatchException) { throw; }
                        catch (DfVmException e) { lastProblem = e.Message; }
                        catch (IOException e) { lastProblem = e.Message; }
                    }
                    await Task.Delay(100, ct).ConfigureAwait(false);
                }
            }
            finally
            {
                progress.Completed = true;
                reporter.Progress(progress);
            }
        }

        /// <summary>Connects and reads one line: true when it starts with "SSH-".</summary>
        public static async Task<bool> BannerAsync(int port, CancellationToken ct, int readTimeoutMs = 2500)
        {
            using (var client = new TcpClient())
            {
                try
                {
                    var connect = client.ConnectAsync("127.0.0.1", port);
                    if (await Task.WhenAny(connect, Task.Delay(1000, ct)).ConfigureAwait(false) != connect) return false;
                    await connect.ConfigureAwait(false);
                    var stream = client.GetStream();
                    var buffer = new byte[256];
                    var read = stream.ReadAsync(buffer, 0, buffer.Length, ct);
                    if (await Task.WhenAny(read, Task.Delay(readTimeoutMs, ct)).ConfigureAwait(false) != read) return false;
                    int n = await read.ConfigureAwait(false);
                    return n >= 4 && Encoding.ASCII.GetString(buffer, 0, n).StartsWith("SSH-", StringComparison.Ordinal);
                }
                catch (Exception e) when (e is SocketException || e is IOException || e is ObjectDisposedException)
                {
                    return false;
                }
            }
        }

        public static GuestEndpoint Endpoint(VmDefinition def, VmPaths paths, int port) => new GuestEndpoint
        {
            VmName = def.Name,
            Port = port,
            User = def.SshUser ?? "root",
            PrivateKeyPath = paths.PrivateKey,
            KnownHostsPath = paths.KnownHosts,
        };

        // ---------- stop ----------

        public async Task StopAsync(VmPaths paths, bool force, TimeSpan timeout, IOperationReporter reporter, CancellationToken ct)
        {
            reporter = reporter ?? NullReporter.Instance;
            using (VmLock.Acquire(paths, TimeSpan.FromSeconds(5), ct))
            {
                int? pid = RunningPid(paths);
                if (pid == null)
                {
                    CleanStale(paths, reporter);
                    return;
                }
                GuestConnectionPool.Drop(paths.PrivateKey);
                if (force)
                {
                    await KillAsync(paths, reporter, ct).ConfigureAwait(false);
                }
                else
                {
                    await PowerDownAsync(paths, pid.Value, timeout, reporter, ct).ConfigureAwait(false);
                }
                CleanStale(paths, reporter);
            }
        }

        private async Task PowerDownAsync(VmPaths paths, int pid, TimeSpan timeout, IOperationReporter reporter, CancellationToken ct)
        {
            var watch = Stopwatch.StartNew();
            var progress = new OperationProgress { ActivityId = 42, Activity = $"Stopping VM '{paths.Name}'" };
            try
            {
                using (var qmp = await QmpClient.ConnectAsync(paths.QmpSocket, QmpTimeout, ct, Log(reporter)).ConfigureAwait(false))
                using (var events = qmp.Subscribe())
                {
                    while (watch.Elapsed < timeout && IsOurQemu(pid, paths))
                    {
                        progress.Status = $"ACPI power button pressed ({watch.Elapsed.TotalSeconds:0} s)";
                        reporter.Progress(progress);
                        try
                        {
                            await qmp.ExecuteAsync("system_powerdown", null, QmpTimeout, ct).ConfigureAwait(false);
                            var remaining = timeout - watch.Elapsed;
                            var wait = remaining < TimeSpan.FromSeconds(3) ? remaining : TimeSpan.FromSeconds(3);
                            if (wait > TimeSpan.Zero)
                            {
                                await events.WaitAsync(e => e.Name == "SHUTDOWN", wait, ct).ConfigureAwait(false);
                                reporter.Verbose($"VM '{paths.Name}' shut down after {watch.Elapsed.TotalSeconds:0.0} s.");
                                break;
                            }
                        }
                        catch (QmpTimeoutException) { /* the press was lost: press again */ }
                        catch (TimeoutException) { }
                        catch (QmpDisconnectedException) { break; /* QEMU exited after the guest powered off */ }
                    }
                    if (IsOurQemu(pid, paths) && watch.Elapsed >= timeout)
                    {
                        reporter.Warning($"VM '{paths.Name}' did not shut down within {timeout.TotalSeconds:0} s of the power button; QEMU was told to quit (like pulling the plug).");
                    }
                    if (IsOurQemu(pid, paths))
                    {
                        try { await qmp.QuitAsync(QmpTimeout, ct).ConfigureAwait(false); }
                        catch (QmpException) { }
                    }
                }
            }
            catch (Exception e) when (e is QmpException || e is IOException || e is SocketException || e is TimeoutException)
            {
                reporter.Verbose($"QMP unavailable ({e.Message}); ending QEMU pid {pid} with signals.");
            }
            finally
            {
                progress.Completed = true;
                reporter.Progress(progress);
            }
            await WaitExitOrKillAsync(paths, pid, reporter, ct).ConfigureAwait(false);
        }

        /// <summary>Ends the VM's QEMU at once (QMP quit, else signals to the verified pid).</summary>
        public async Task KillAsync(VmPaths paths, IOperationReporter reporter, CancellationToken ct)
        {
            int? pid = RunningPid(paths);
            if (pid == null) return;
            try
            {
                using (var qmp = await QmpClient.ConnectAsync(paths.QmpSocket, QmpTimeout, ct, Log(reporter)).ConfigureAwait(false))
                {
                    await qmp.QuitAsync(QmpTimeout, ct).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is QmpException || e is IOException || e is SocketException || e is TimeoutException)
            {
                reporter?.Verbose($"QMP quit failed ({e.Message}); using signals.");
            }
            await WaitExitOrKillAsync(paths, pid.Value, reporter, ct).ConfigureAwait(false);
            GuestConnectionPool.Drop(paths.PrivateKey);
        }

        private static async Task WaitExitOrKillAsync(VmPaths paths, int pid, IOperationReporter reporter, CancellationToken ct)
        {
            var watch = Stopwatch.StartNew();
            bool termSent = false;
            while (IsOurQemu(pid, paths))
            {
                if (watch.Elapsed > TimeSpan.FromSeconds(5) && !termSent)
                {
                    reporter?.Verbose($"Sending SIGTERM to QEMU pid {pid}.");
                    Native.Kill(pid, Native.SIGTERM);
                    termSent = true;
                }
                if (watch.Elapsed > TimeSpan.FromSeconds(10))
                {
                    reporter?.Verbose($"Sending SIGKILL to QEMU pid {pid}.");
                    Native.Kill(pid, Native.SIGKILL);
                }
                if (watch.Elapsed > TimeSpan.FromSeconds(20))
                {
                    // Only a process stuck in the kernel survives SIGKILL; nothing more can be done from here.
                    reporter?.Warning($"QEMU pid {pid} of VM '{paths.Name}' has not ended 10 s after SIGKILL (stuck in the kernel?).");
                    return;
                }
                await Task.Delay(50, ct).ConfigureAwait(false);
            }
        }

        /// <summary>
        /// Removes what a dead QEMU left: pid file, sockets, run-time state. Never while a live
        /// QEMU holds the pid file's lock or the disk's image lock.
        /// </summary>
        public void CleanStale(VmPaths paths, IOperationReporter reporter)
        {
            if (RunningPid(paths) != null) return;
            // A QEMU that is quitting removes its pid file a moment before it closes the disk: give it that moment.
            var exiting = Stopwatch.StartNew();
            while (Native.IsInUseByOther(paths.Disk) && exiting.Elapsed < TimeSpan.FromSeconds(3)) Thread.Sleep(50);
            if (Native.IsInUseByOther(paths.Disk))
            {
                // A QEMU holds the disk (QEMU locks images it opens) but not our pid file: one started by
                // hand, or whose pid file was deleted. Its socket is the only way to reach it: keep it.
                reporter?.Warning($"The disk of VM '{paths.Name}' is in use by another process (a QEMU whose pid file is gone, or one started outside DfVm); {paths.QmpSocket} and the run-time state are left as they are. End that process first.");
                return;
            }
            foreach (var file in new[] { paths.PidFile, paths.QmpSocket, Path.Combine(paths.Directory, "serial.sock") })
            {
                if (File.Exists(file))
                {
                    reporter?.Verbose($"Removing stale {file}.");
                    File.Delete(file);
                }
            }
            _store.ClearState(paths);
            GuestConnectionPool.Drop(paths.PrivateKey);
        }

        /// <summary>The guest changed under the host's view of it: forget the warm connection and the sync manifest.</summary>
        public static void GuestChanged(VmPaths paths)
        {
            GuestConnectionPool.Drop(paths.PrivateKey);
            if (File.Exists(paths.SyncManifest)) File.Delete(paths.SyncManifest);
        }

        // ---------- commands ----------

        public async Task<GuestConnection> ConnectAsync(VmPaths paths, IOperationReporter reporter, CancellationToken ct)
        {
            var def = _store.LoadDefinition(paths);
            var state = _store.LoadState(paths);
            if (RunningPid(paths) == null || state == null)
            {
                throw new DfVmException(ErrorIds.VmNotRunning, DfVmErrorKind.InvalidOperation,
                    $"VM '{def.Name}' is not running. Start it with Start-DfVm -Name {def.Name}.", def.Name);
            }
            // A guest QEMU stopped on a full host disk runs on if there is room again; else HostDiskFull, not a hang.
            await new HostDiskWatch(paths, reporter).ResumeIfRoomAsync(ct).ConfigureAwait(false);
            var endpoint = Endpoint(def, paths, state.SshPort);
            // The pool hands back the warm connection, or opens a new one when it was dropped.
            return await GuestConnectionPool.GetAsync(endpoint, TimeSpan.FromSeconds(15), ct, Log(reporter)).ConfigureAwait(false);
        }

        /// <summary>
        /// The one way a guest command is run and captured (Invoke-DfVmCommand, Build-DfVmProject, provisioning,
        /// the guest clock): each line goes to the callbacks as it comes, the result keeps bounded stdout and
        /// stderr, a full host disk is HostDiskFull instead of a hang, and a command whose connection was lost
        /// has its orphaned processes ended. <paramref name="stdin"/> (may be null) feeds the command.
        /// </summary>
        public async Task<DfVmCommandResult> InvokeCommandAsync(VmPaths paths, string command, Action<string> onOutputLine, IOperationReporter reporter, CancellationToken ct,
            Action<string> onErrorLine = null, Func<System.IO.Stream, CancellationToken, Task> stdin = null)
        {
            var connection = await ConnectAsync(paths, reporter, ct).ConfigureAwait(false);
            // Bounded: a command printing gigabytes streams on, but the result keeps only the first part.
            var output = new CappedText();
            var error = new CappedText();
            GuestCommandOutcome outcome;
            try
            {
                outcome = await new HostDiskWatch(paths, reporter).RunAsync(token => connection.RunAsync(command, stdin,
                    line => { output.AppendLine(line); onOutputLine?.Invoke(line); },
                    line => { error.AppendLine(line); onErrorLine?.Invoke(line); },
                    token), ct).ConfigureAwait(false);
            }
            catch (GuestConnectionLostException lost) when (lost.RemotePid > 0)
            {
                await EndOrphanedCommandAsync(paths, lost.RemotePid, reporter, ct).ConfigureAwait(false);
                throw;
            }
            string bounded = CappedText.Describe(paths.Name, outcome.LinesCut, output, error);
            if (bounded != null) reporter?.Warning(bounded);
            return new DfVmCommandResult
            {
                VmName = paths.Name,
                Command = command,
                ExitCode = outcome.ExitCode,
                Output = output.ToString(),
                Error = error.ToString(),
                Duration = outcome.Duration,
            };
        }

        /// <summary>
        /// The connection went while a command ran (its sshd killed, the network cut): the command's
        /// process tree may still run in the guest. Best effort over a new connection: end it.
        /// </summary>
        private async Task EndOrphanedCommandAsync(VmPaths paths, int remotePid, IOperationReporter reporter, CancellationToken ct)
        {
            try
            {
                GuestConnectionPool.Drop(paths.PrivateKey);
                var fresh = await ConnectAsync(paths, reporter, ct).ConfigureAwait(false);
                reporter?.Verbose($"Ending guest process {remotePid} and its children, left by the lost connection.");
                await fresh.KillOrphanedTreeAsync(remotePid).ConfigureAwait(false);
            }
            catch (Exception e) when (e is DfVmException || e is IOException || e is TimeoutException)
            {
                reporter?.Verbose($"Could not end guest process {remotePid} after the connection was lost: {e.Message}");
            }
        }

        private static Action<string> Log(IOperationReporter reporter) => reporter == null ? (Action<string>)null : reporter.Verbose;

        private static string ShellDisplay(string arg) =>
            arg.Length > 0 && arg.All(c => char.IsLetterOrDigit(c) || "-_=.,:/@+".IndexOf(c) >= 0) ? arg : "'" + arg.Replace("'", "'\\''") + "'";
    }
}
