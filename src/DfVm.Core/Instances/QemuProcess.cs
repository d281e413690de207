using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Qemu;
using DfVm.Core.Util;

namespace DfVm.Core.Instances
{
    /// <summary>
    /// The VM's QEMU process: which pid is ours (the lock on its pid file), its disk, its launch
    /// (argv only, 127.0.0.1 port forward), the ACPI power-down, the kill, and the cleanup of what a
    /// dead QEMU left. No SSH here: readiness is <see cref="GuestReadiness"/>.
    /// </summary>
    public sealed class QemuProcess
    {
        private static readonly TimeSpan QmpTimeout = TimeSpan.FromSeconds(5);
        private readonly VmStore _store;
        private readonly IGuestInvalidation _invalidation;

        public QemuProcess(VmStore store, IGuestInvalidation invalidation)
        {
            _store = store ?? throw new ArgumentNullException(nameof(store));
            _invalidation = invalidation ?? throw new ArgumentNullException(nameof(invalidation));
        }

        private VmStore Store => _store;


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

        internal static int ReadPid(VmPaths paths)
        {
            try
            {
                return File.Exists(paths.PidFile) && int.TryParse(File.ReadAllText(paths.PidFile).Trim(), out int pid) ? pid : 0;
            }
            catch (IOException) { return 0; }
        }

        internal static async Task EnsureDiskAsync(VmDefinition def, VmPaths paths, CancellationToken ct)
        {
            if (File.Exists(paths.Disk)) return;
            if (!string.IsNullOrEmpty(def.BaseImage))
            {
                if (!File.Exists(def.BaseImage))
                {
                    throw new DfVmException(ErrorIds.BaseImageNotFound, DfVmErrorKind.NotFound,
                        $"The base image of VM '{def.Name}' is missing: {def.BaseImage}.", def.Name);
                }
                await QemuImg.CreateOverlayAsync(paths.Disk, def.BaseImage, ct, backingFormat: def.BaseImageFormat).ConfigureAwait(false);
            }
            else
            {
                await QemuImg.CreateAsync(paths.Disk, def.DiskSizeGB, ct).ConfigureAwait(false);
            }
        }

        internal async Task<int> LaunchAsync(VmDefinition def, VmPaths paths, string accelerator, StartOptions options, string publicKey, IOperationReporter reporter, CancellationToken ct)
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

            string cpuModel = QemuCommandLine.CpuModel(accelerator, options.CpuModel);
            var argv = QemuCommandLine.Build(def, paths, accelerator, port, publicKey, options.Media,
                incomingDefer: options.IncomingStatePath != null, cpuModel: cpuModel);
            if (options.ExtraQemuArgs != null) argv.AddRange(options.ExtraQemuArgs);
            string qemu = QemuTools.SystemEmulator;
            reporter.Verbose("Starting: " + qemu + " " + string.Join(" ", argv.Select(ShellDisplay)));
            if (File.Exists(paths.SerialLog))
            {
                Native.Rename(paths.SerialLog, paths.SerialLog + ".1");
            }

            // The launch in flight is marked by its own process (sh writes its pid, then execs QEMU in its place), so a
            // pwsh killed while QEMU starts up leaves a trace the next command waits on (SettleLaunchAsync): until QEMU's
            // -daemonize parent has exited, its daemon may not hold the pid file yet and would look like no QEMU at all.
            var launch = new List<string> { "-c", "echo $$ > \"$0\" && exec \"$@\"", paths.LaunchMarker, qemu };
            launch.AddRange(argv);
            ProcessOutcome outcome;
            try
            {
                outcome = await ProcessRunner.RunAsync("/bin/sh", launch, TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
            }
            finally
            {
                // RunAsync returns or throws once the foreground process ended (or was killed): nothing is in flight.
                AtomicFile.TryDelete(paths.LaunchMarker);
            }
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
            Store.SaveState(paths, new VmRuntimeState
            {
                Pid = pid,
                SshPort = port,
                Accelerator = accelerator,
                StartTime = DateTime.UtcNow,
                BootId = Guid.NewGuid().ToString("N"),
                Ready = false,
                MemoryMB = def.MemoryMB,
                Cpus = def.Cpus,
                CpuModel = cpuModel,
            });
            _invalidation.GuestChanged(paths);
            reporter.Verbose($"QEMU pid {pid} started under {accelerator.ToUpperInvariant()}; SSH on 127.0.0.1:{port}.");
            // A live restore resumes the saved guest; if that fails, no half-loaded QEMU stays. (A process that
            // dies here leaves QEMU waiting at prelaunch or inmigrate: the snapshot journal, still there, lets
            // recovery finish the resume.)
            if (options.IncomingStatePath != null)
            {
                try
                {
                    options.BeforeStateLoad?.Invoke("load-state");
                    await Snapshots.IncomingState.LoadAsync(paths, options.IncomingStatePath, reporter, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (!(e is Snapshots.SnapshotAbandonedException))
                {
                    await KillAsync(paths, reporter, CancellationToken.None).ConfigureAwait(false);
                    CleanStale(paths, reporter);
                    throw;
                }
                // The guest runs again (and may write its disk): what was owed for the resume is settled now,
                // before any wait for SSH that a kill or Ctrl+C could cut short.
                options.AfterStateLoad?.Invoke();
            }
            return port;
        }

        /// <summary>
        /// Waits (bounded) for a QEMU launch a dead process left in flight (<see cref="VmPaths.LaunchMarker"/>): its
        /// -daemonize parent exits once the daemon holds the pid file, or once the launch failed. Until then a starting
        /// QEMU is invisible to <see cref="RunningPid"/>, and a command that went on would launch a second QEMU on the
        /// same disk, port and pid file, or resume saved memory under it. Call it holding the VM lock. Cheap (one stat)
        /// when nothing is in flight.
        /// </summary>
        public async Task SettleLaunchAsync(VmPaths paths, IOperationReporter reporter, CancellationToken ct)
        {
            if (!File.Exists(paths.LaunchMarker)) return;
            int pid = 0;
            try { int.TryParse(File.ReadAllText(paths.LaunchMarker).Trim(), out pid); }
            catch (IOException) { }
            var watch = Stopwatch.StartNew();
            bool said = false;
            while (pid > 0 && IsAlive(pid) && watch.Elapsed < TimeSpan.FromSeconds(90))
            {
                if (!said)
                {
                    reporter?.Verbose($"A QEMU launch of VM '{paths.Name}' by a process that ended is still in flight (pid {pid}): waiting for it to finish.");
                    said = true;
                }
                await Task.Delay(50, ct).ConfigureAwait(false);
            }
            if (pid > 0 && IsAlive(pid))
            {
                reporter?.Warning($"A QEMU launch of VM '{paths.Name}' (pid {pid}) has not finished in {watch.Elapsed.TotalSeconds:0} s; going on without it.");
            }
            AtomicFile.TryDelete(paths.LaunchMarker);
        }

        /// <summary>A process that exists and is not a zombie (one whose dead parent's reaper never reaps it).</summary>
        private static bool IsAlive(int pid)
        {
            if (!Native.Kill(pid, 0)) return false;
            string stat = "/proc/" + pid.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/stat";
            try
            {
                if (!File.Exists(stat)) return true; // no /proc (macOS): launchd reaps
                string text = File.ReadAllText(stat);
                int close = text.LastIndexOf(')');
                return close < 0 || close + 2 >= text.Length || text[close + 2] != 'Z';
            }
            catch (IOException) { return false; }
        }

        private static DfVmException PortInUse(string vm, int port, string qemuText = null)
        {
            string holder = PortProbe.DescribeHolder(port);
            return new DfVmException(ErrorIds.SshPortInUse, DfVmErrorKind.ResourceUnavailable,
                $"Port 127.0.0.1:{port} for VM '{vm}' is already taken" + (holder != null ? $" by {holder}" : "") +
                $". Stop that program, pick another port (Start-DfVm -SshPort <n>), or let DfVm choose one (-SshPort 0)." +
                (qemuText != null ? " QEMU said: " + qemuText : ""), vm);
        }

        internal async Task PowerDownAsync(VmPaths paths, int pid, TimeSpan timeout, IOperationReporter reporter, CancellationToken ct)
        {
            var watch = Stopwatch.StartNew();
            var progress = new OperationProgress { ActivityId = ProgressActivities.Stop, Activity = $"Stopping VM '{paths.Name}'" };
            try
            {
                using (var qmp = await QmpClient.ConnectAsync(paths.QmpSocket, QmpTimeout, ct, WireLog(reporter)).ConfigureAwait(false))
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
                using (var qmp = await QmpClient.ConnectAsync(paths.QmpSocket, QmpTimeout, ct, WireLog(reporter)).ConfigureAwait(false))
                {
                    await qmp.QuitAsync(QmpTimeout, ct).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is QmpException || e is IOException || e is SocketException || e is TimeoutException)
            {
                reporter?.Verbose($"QMP quit failed ({e.Message}); using signals.");
            }
            await WaitExitOrKillAsync(paths, pid.Value, reporter, ct).ConfigureAwait(false);
            // QEMU is gone, and its SSH connection with it. The guest's disk is as it was: the sync manifest stays
            // (a live checkpoint quits QEMU and resumes it, carrying the manifest over; the next boot forgets it).
            _invalidation.ConnectionGone(paths);
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

            // QEMU gives up its pid file (and the lock on it) a moment before the process ends and closes the
            // disk: wait for the process too, so a stop that returns means it is gone (a start right after
            // would otherwise find the disk's image lock still held). Only waited for, never signalled: with
            // the pid file released the pid is no longer known to be ours.
            var exiting = Stopwatch.StartNew();
            while (IsAlive(pid) && exiting.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(20, ct).ConfigureAwait(false);
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
            Store.ClearState(paths);
            // QEMU is gone, and its SSH connection with it. The guest's disk is as it was: the sync manifest stays
            // (a live checkpoint quits QEMU and resumes it, carrying the manifest over; the next boot forgets it).
            _invalidation.ConnectionGone(paths);
        }


        private static Action<string> WireLog(IOperationReporter reporter) => reporter == null ? (Action<string>)null : reporter.Debug;

        private static string ShellDisplay(string arg) =>
            arg.Length > 0 && arg.All(c => char.IsLetterOrDigit(c) || "-_=.,:/@+".IndexOf(c) >= 0) ? arg : "'" + arg.Replace("'", "'\\''") + "'";
    }
}
