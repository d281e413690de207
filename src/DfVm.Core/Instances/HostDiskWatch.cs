using System;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Qemu;
using DfVm.Core.Ssh;
using DfVm.Core.Util;

namespace DfVm.Core.Instances
{
    /// <summary>
    /// A full host file system under the VM's disk: QEMU stops the guest on the write error (status
    /// "io-error"), and an SSH session through user networking just stays open, so a command would
    /// wait forever. While a command, test run, build or sync runs, QEMU's status is polled; on
    /// io-error the operation is cancelled and HostDiskFull names the full file system. The next
    /// command on the VM lets the guest run on (<c>cont</c>) once there is room again.
    /// </summary>
    public sealed class HostDiskWatch
    {
        /// <summary>Free space needed before a guest stopped on a full disk is let run again.</summary>
        public const long ResumeFreeBytes = 64L << 20;

        private readonly QemuProcess _qemu;
        private readonly IGuestInvalidation _invalidation;
        private readonly VmPaths _paths;
        private readonly IOperationReporter _reporter;

        /// <summary>Made per operation by <see cref="DfVmEngine.DiskWatch"/> and <see cref="VmController"/>.</summary>
        internal HostDiskWatch(QemuProcess qemu, IGuestInvalidation invalidation, VmPaths paths, IOperationReporter reporter)
        {
            _qemu = qemu ?? throw new ArgumentNullException(nameof(qemu));
            _invalidation = invalidation ?? throw new ArgumentNullException(nameof(invalidation));
            _paths = paths;
            _reporter = reporter ?? NullReporter.Instance;
        }

        public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

        /// <summary>How long an operation whose QEMU ended is given to fail by itself before it is ended.</summary>
        public TimeSpan QemuGoneGrace { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>Runs <paramref name="operation"/>; throws HostDiskFull if QEMU stops the guest on a disk error meanwhile.</summary>
        public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken ct)
        {
            using (var cts = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                var work = operation(cts.Token);
                var watch = PollAsync(cts.Token);
                var first = await Task.WhenAny(work, watch).ConfigureAwait(false);
                if (first != work && !watch.IsCanceled && !watch.IsFaulted && watch.Result == null)
                {
                    // QEMU ended under the operation: its SSH connection goes with it, so the operation fails by
                    // itself with the error that says so (a lost connection). Cancelling it here would turn that
                    // into a bare OperationCanceledException; only an operation that does not notice is ended.
                    if (await Task.WhenAny(work, Task.Delay(QemuGoneGrace, ct)).ConfigureAwait(false) != work)
                    {
                        cts.Cancel();
                        await Task.WhenAny(work, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
                        if (work.IsFaulted) _ = work.Exception;
                        ct.ThrowIfCancellationRequested();
                        throw new GuestConnectionLostException($"VM '{_paths.Name}' stopped while the operation ran: its QEMU process ended. Start it again with Start-DfVm -Name {_paths.Name}.");
                    }
                }
                if (first == work || watch.IsCanceled || watch.IsFaulted || watch.Result == null)
                {
                    cts.Cancel();
                    try { await watch.ConfigureAwait(false); } catch (Exception) { /* the watch only ever informs */ }
                    try
                    {
                        return await work.ConfigureAwait(false);
                    }
                    catch (System.IO.IOException e) when (DiskFull.Is(e))
                    {
                        // The host side itself could not write (the sync manifest, a log) on the same full file system.
                        throw await FullAsync(null, CancellationToken.None, e).ConfigureAwait(false);
                    }
                    catch (Exception e) when (!(e is DfVmException d && d.ErrorId == ErrorIds.GuestDiskFull) && !(e is OperationCanceledException) && GuestSaidDiskFull(e.Message))
                    {
                        // A guest command (a sync's tar: a SyncFailed) wrote into a full file system of the guest.
                        throw GuestFull(_paths.Name, e.Message, e);
                    }
                }
                string device = watch.Result;
                cts.Cancel();
                // The guest is stopped: the operation's remote side cannot answer; give it a moment to unwind.
                await Task.WhenAny(work, Task.Delay(TimeSpan.FromSeconds(20))).ConfigureAwait(false);
                if (work.IsFaulted) _ = work.Exception; // observed: HostDiskFull is the error that explains it
                _invalidation.ConnectionGone(_paths); // the connection hangs on the stopped guest
                throw await FullAsync(device, CancellationToken.None).ConfigureAwait(false);
            }
        }

        public Task RunAsync(Func<CancellationToken, Task> operation, CancellationToken ct) =>
            RunAsync(async token => { await operation(token).ConfigureAwait(false); return true; }, ct);

        /// <summary>
        /// Before a new command: a guest stopped on a full disk runs on (<c>cont</c>) when there is room
        /// again, else HostDiskFull at once instead of a command that hangs. Any other state: nothing.
        /// </summary>
        public async Task ResumeIfRoomAsync(CancellationToken ct)
        {
            string status;
            try
            {
                using (var qmp = await QmpClient.ConnectAsync(_paths.QmpSocket, TimeSpan.FromSeconds(2), ct, null).ConfigureAwait(false))
                {
                    status = await qmp.QueryStatusAsync(ct).ConfigureAwait(false);
                    if (status != "io-error") return;
                    string device = await NoSpaceDeviceAsync(qmp, ct).ConfigureAwait(false);
                    long free = await FreeBytesAsync(ct).ConfigureAwait(false);
                    if (free >= 0 && free < ResumeFreeBytes) throw await FullAsync(device, ct).ConfigureAwait(false);
                    await qmp.ExecuteAsync("cont", null, TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
                    _reporter.Warning($"VM '{_paths.Name}' had been stopped by QEMU on a full host disk; there is room again ({free >> 20} MiB free), so it runs on.");
                }
            }
            catch (Exception e) when (e is QmpException || e is System.IO.IOException || e is TimeoutException || e is System.Net.Sockets.SocketException)
            {
                _reporter.Verbose($"QMP of VM '{_paths.Name}' did not answer the status check ({e.Message}).");
            }
        }

        /// <summary>Returns the device QEMU stopped on (or "disk") once the status is io-error; null when QEMU is gone.</summary>
        private async Task<string> PollAsync(CancellationToken ct)
        {
            while (true)
            {
                await Task.Delay(PollInterval, ct).ConfigureAwait(false);
                if (_qemu.RunningPid(_paths) == null) return null;
                try
                {
                    // A connection of its own each time, let go at once: QEMU's monitor takes one client at a
                    // time, and a checkpoint (or Get-DfVm in another session) must be able to reach it meanwhile.
                    using (var qmp = await QmpClient.ConnectAsync(_paths.QmpSocket, TimeSpan.FromSeconds(2), ct, null).ConfigureAwait(false))
                    {
                        if (await qmp.QueryStatusAsync(ct).ConfigureAwait(false) == "io-error") return await NoSpaceDeviceAsync(qmp, ct).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is QmpException || e is System.IO.IOException || e is TimeoutException || e is System.Net.Sockets.SocketException)
                {
                    // Another client holds QMP for a moment, or QEMU is going: ask again next time.
                }
            }
        }

        private static async Task<string> NoSpaceDeviceAsync(QmpClient qmp, CancellationToken ct)
        {
            JsonElement blocks = await qmp.ExecuteAsync("query-block", null, TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
            foreach (var b in blocks.EnumerateArray())
            {
                if (b.TryGetProperty("io-status", out var io) && io.GetString() != "ok")
                {
                    string name = b.TryGetProperty("qdev", out var q) ? q.GetString() : b.TryGetProperty("device", out var d) ? d.GetString() : "disk";
                    return $"{name} ({io.GetString()})";
                }
            }
            return "disk";
        }

        private async Task<long> FreeBytesAsync(CancellationToken ct)
        {
            var df = await ProcessRunner.RunAsync("df", new[] { "-P", "-B1", _paths.Directory }, TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
            var lines = df.StdOut.Split(new[] { '\n' }, StringSplitOptions.RemoveEmptyEntries);
            var fields = lines.Length > 1 ? lines[1].Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries) : new string[0];
            return fields.Length > 3 && long.TryParse(fields[3], out long free) ? free : -1;
        }

        private async Task<string> MountPointAsync(CancellationToken ct)
        {
            var df = await ProcessRunner.RunAsync("df", new[] { "-P", _paths.Directory }, TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
            var lines = df.StdOut.Split(new[] { '\n' }, StringSplitOptions.RemoveEmptyEntries);
            return lines.Length > 1 ? lines[1].Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries).LastOrDefault() : null;
        }

        /// <summary>What the guest's tools print for ENOSPC: "No space left on device".</summary>
        public static bool GuestSaidDiskFull(string text) => (text ?? "").IndexOf("no space left on device", StringComparison.OrdinalIgnoreCase) >= 0;

        /// <summary>GuestDiskFull: a file system inside the guest is full (<paramref name="said"/>: the guest's words).</summary>
        public static DfVmException GuestFull(string vmName, string said, Exception inner = null) =>
            new DfVmException(ErrorIds.GuestDiskFull, DfVmErrorKind.ResourceUnavailable,
                $"The guest disk of VM '{vmName}' is full: a file system inside the guest has no space left ({Trim(said)}). " +
                $"Free space in the guest (Invoke-DfVmCommand -Name {vmName} -Command 'df -h' shows which), then run the command again.",
                vmName, inner);

        private static string Trim(string text)
        {
            text = (text ?? "").Trim();
            return text.Length > 600 ? text.Substring(0, 600) + "..." : text;
        }

        private async Task<DfVmException> FullAsync(string device, CancellationToken ct, Exception cause = null)
        {
            long free = await FreeBytesAsync(ct).ConfigureAwait(false);
            string mount = await MountPointAsync(ct).ConfigureAwait(false) ?? "?";
            string what = device != null
                ? $"QEMU stopped the guest on a write error of {device}. Free space on {mount}; the next DfVm command on the VM lets it run on where it stopped."
                : $"{cause?.Message} Free space on {mount} and run the command again.";
            return new DfVmException(ErrorIds.HostDiskFull, DfVmErrorKind.ResourceUnavailable,
                $"The host file system {mount} holding VM '{_paths.Name}' ({_paths.Directory}) is full ({(free < 0 ? "?" : (free >> 20).ToString())} MiB free): {what}",
                _paths.Name, cause);
        }
    }
}
