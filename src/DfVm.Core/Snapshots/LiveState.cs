using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Qemu;

namespace DfVm.Core.Snapshots
{
    /// <summary>
    /// Saves a paused guest's memory and devices to a file: a migration to <c>exec:cat</c>, the way
    /// the matching <c>-incoming</c> reads it back. QEMU stays alive (status "postmigrate"); it may <c>cont</c>.
    /// </summary>
    internal static class LiveState
    {
        public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);

        /// <summary>Writes the (paused) guest's state to <paramref name="path"/> through a migration; returns once it completed.</summary>
        /// <param name="step">Told "save-state:started" once QEMU writes the state (the snapshot step probe; may be null).</param>
        public static async Task SaveAsync(QmpClient qmp, string path, TimeSpan timeout, Action<string> step, CancellationToken ct)
        {
            // QEMU rate-limits migrations (128 MiB/s by default): a local file needs no limit.
            await qmp.ExecuteAsync("migrate-set-parameters", new Dictionary<string, object> { ["max-bandwidth"] = 64L << 30 }, CommandTimeout, ct).ConfigureAwait(false);
            await qmp.ExecuteAsync("migrate", new Dictionary<string, object> { ["uri"] = "exec:cat > " + ShellQuote(path) }, CommandTimeout, ct).ConfigureAwait(false);
            // From here QEMU goes on writing even if this process dies; it then stops the guest for good
            // (postmigrate) when done. Recovery cancels or undoes that (SnapshotRecovery).
            step?.Invoke("save-state:started");
            var watch = Stopwatch.StartNew();
            while (true)
            {
                JsonElement info = await qmp.ExecuteAsync("query-migrate", null, CommandTimeout, ct).ConfigureAwait(false);
                string status = info.TryGetProperty("status", out JsonElement s) ? s.GetString() : null;
                if (status == "completed") return;
                if (status == "failed" || status == "cancelled")
                {
                    string why = info.TryGetProperty("error-desc", out JsonElement e) ? e.GetString() : status;
                    throw new DfVmException(SnapshotErrorIds.SnapshotFailed, DfVmErrorKind.InvalidOperation, $"Saving the guest's memory to {path} failed: {why}");
                }
                if (watch.Elapsed > timeout)
                {
                    try { await qmp.ExecuteAsync("migrate_cancel", null, CommandTimeout, ct).ConfigureAwait(false); } catch (QmpException) { }
                    throw new DfVmException(SnapshotErrorIds.SnapshotFailed, DfVmErrorKind.Timeout, $"Saving the guest's memory to {path} did not finish within {timeout.TotalSeconds:0} s.");
                }
                await Task.Delay(10, ct).ConfigureAwait(false);
            }
        }

        /// <summary>
        /// Ends an outgoing migration a dead process left running (migrate_cancel) and waits until QEMU says it
        /// is over; returns QEMU's run state then ("postmigrate" when the save had finished: cont resumes it).
        /// </summary>
        public static async Task<string> SettleOutgoingAsync(QmpClient qmp, CancellationToken ct)
        {
            var watch = Stopwatch.StartNew();
            while (true)
            {
                JsonElement info = await qmp.ExecuteAsync("query-migrate", null, CommandTimeout, ct).ConfigureAwait(false);
                string status = info.TryGetProperty("status", out JsonElement s) ? s.GetString() : "none";
                if (status == "none" || status == "completed" || status == "failed" || status == "cancelled") break;
                if (status != "cancelling") await qmp.ExecuteAsync("migrate_cancel", null, CommandTimeout, ct).ConfigureAwait(false);
                if (watch.Elapsed > CommandTimeout)
                {
                    throw new DfVmException(SnapshotErrorIds.SnapshotFailed, DfVmErrorKind.Timeout,
                        $"An interrupted save of the guest's memory could not be ended: QEMU's migration stayed '{status}' after migrate_cancel.");
                }
                await Task.Delay(20, ct).ConfigureAwait(false);
            }
            return await qmp.QueryStatusAsync(ct).ConfigureAwait(false);
        }

        /// <summary>Single-quotes for /bin/sh (QEMU runs exec: URIs through it).</summary>
        public static string ShellQuote(string s) => Ssh.GuestCommandLine.SingleQuote(s);
    }
}
