using System;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Ssh;

namespace DfVm.Core.Instances
{
    /// <summary>
    /// When a booting guest is ready: a real SSH login (a TCP accept means nothing under user
    /// networking), a kernel panic seen on the serial log, or a guest that stays silent.
    /// </summary>
    public sealed class GuestReadiness
    {
        private readonly VmStore _store;
        private readonly QemuProcess _qemu;
        private readonly GuestConnectionPool _connections;

        public GuestReadiness(VmStore store, QemuProcess qemu, GuestConnectionPool connections)
        {
            _store = store ?? throw new ArgumentNullException(nameof(store));
            _qemu = qemu ?? throw new ArgumentNullException(nameof(qemu));
            _connections = connections ?? throw new ArgumentNullException(nameof(connections));
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
            int silentProbes = 0, logins = 0;
            var progress = new OperationProgress { ActivityId = ProgressActivities.Start, Activity = $"Starting VM '{def.Name}'" };
            try
            {
                while (true)
                {
                    ct.ThrowIfCancellationRequested();
                    if (_qemu.RunningPid(paths) == null)
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

                    // Until the guest's sshd listens, user networking accepts the connection and then says
                    // nothing, so the first tries are short. But each probe the guest did accept costs it an sshd
                    // (a fork and re-exec) that lives on for its login grace time after the probe gave up on it:
                    // a guest too slow to answer within the wait (TCG on a loaded host) was flooded by hundreds
                    // of them and never caught up (seen: 327 abandoned connections, no banner in 20 min). So
                    // each silent probe waits twice as long as the last, up to 20 s.
                    int left = (int)Math.Max(100, (timeout - watch.Elapsed).TotalMilliseconds);
                    bool banner = await BannerAsync(port, ct, readTimeoutMs: Math.Min(BannerWaitMs(silentProbes + 1), left)).ConfigureAwait(false);
                    if (!banner) silentProbes++;
                    if (banner)
                    {
                        bannerSeen = true;
                        try
                        {
                            // The boot this login is for: another pwsh may restart the VM meanwhile (no VM lock here:
                            // Wait-DfVm must not wait behind a Start-DfVm that holds it for minutes).
                            string bootId = _store.LoadState(paths)?.BootId;
                            _connections.Drop(paths.PrivateKey);
                            var connection = await _connections.GetAsync(endpoint, TimeSpan.FromSeconds(Math.Min(60, 10 + 5 * logins++)), ct, reporter.Verbose).ConfigureAwait(false);
                            if (connection.PinnedAtFirstContact != null) reporter.Information(FirstContactMessage(def.Name, connection.PinnedAtFirstContact, paths.KnownHosts));
                            // Marked under the state lock, and only on that boot: a QEMU relaunched since (a new boot id,
                            // maybe another port) may not be the one this login reached, so it is not marked ready by it.
                            bool current = false;
                            _store.UpdateState(paths, s =>
                            {
                                if (s != null && (s.BootId != bootId || s.SshPort != port)) return false;
                                current = true; // (no state at all: nothing to mark, the login is the answer)
                                if (s == null) return false;
                                if (s.Ready) return false;
                                s.Ready = true;
                                return true;
                            });
                            if (current)
                            {
                                reporter.Verbose($"VM '{def.Name}' accepted an SSH login after {watch.Elapsed.TotalSeconds:0.0} s.");
                                return true;
                            }
                            lastProblem = "the VM was restarted by another command during the login";
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

        /// <summary>What the user is shown when DfVm pins a guest's host key (Start-DfVm, Wait-DfVm, Import-DfVm).</summary>
        public static string FirstContactMessage(string vm, string fingerprint, string knownHosts) =>
            $"First contact with VM '{vm}': pinned its SSH host key {fingerprint} in {knownHosts}. " +
            "Compare it with the guest's own (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on its console) if this disk came from elsewhere.";

        /// <summary>How long the n-th probe (1-based) waits for the banner: 700 ms, doubling after each silent probe, up to 20 s.</summary>
        public static int BannerWaitMs(int probe) => (int)Math.Min(20000, 700L << Math.Min(10, Math.Max(0, probe - 1)));

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
    }
}
