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
    /// QMP steps of a live checkpoint on a running QEMU: find the disk's top block node, stack a new
    /// overlay on it (blockdev-snapshot, no restart), and write the paused guest's memory and devices
    /// to a file (a migration to <c>exec:cat</c>; QEMU may <c>cont</c> afterwards).
    /// </summary>
    internal static class LiveState
    {
        /// <summary>Node names of overlays made by DfVm; the command line names the first disk node "disk0".</summary>
        public const string OverlayNodePrefix = "dfvm-ov-";
        private const string BaseNode = "disk0";
        public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);

        public static string NewOverlayNode() => OverlayNodePrefix + Guid.NewGuid().ToString("N").Substring(0, 12);

        /// <summary>The node name at the top of the VM disk's chain ("disk0" or a DfVm overlay).</summary>
        public static async Task<string> TopNodeAsync(QmpClient qmp, CancellationToken ct)
        {
            JsonElement blocks = await qmp.ExecuteAsync("query-block", null, CommandTimeout, ct).ConfigureAwait(false);
            foreach (JsonElement block in blocks.EnumerateArray())
            {
                if (!block.TryGetProperty("inserted", out JsonElement inserted)) continue;
                if (!inserted.TryGetProperty("node-name", out JsonElement node) || node.ValueKind != JsonValueKind.String) continue;
                string name = node.GetString();
                if (name == BaseNode || name.StartsWith(OverlayNodePrefix, StringComparison.Ordinal)) return name;
            }
            throw new DfVmException(SnapshotErrorIds.SnapshotFailed, DfVmErrorKind.InvalidOperation,
                "QEMU shows no disk node named 'disk0' (or a DfVm overlay): this QEMU was not started by DfVm's launcher.");
        }

        /// <summary>Opens <paramref name="overlayFile"/> (already created, backed by the current top's file) and makes it the new top.</summary>
        public static async Task SwitchToOverlayAsync(QmpClient qmp, string topNode, string overlayNode, string overlayFile, CancellationToken ct)
        {
            string add = "{\"driver\":\"qcow2\",\"node-name\":" + JsonSerializer.Serialize(overlayNode) +
                         ",\"file\":{\"driver\":\"file\",\"filename\":" + JsonSerializer.Serialize(overlayFile) + "},\"backing\":null}";
            using (var doc = JsonDocument.Parse(add))
            {
                await qmp.ExecuteAsync("blockdev-add", doc.RootElement.Clone(), CommandTimeout, ct).ConfigureAwait(false);
            }
            await qmp.ExecuteAsync("blockdev-snapshot", new Dictionary<string, object> { ["node"] = topNode, ["overlay"] = overlayNode }, CommandTimeout, ct).ConfigureAwait(false);
        }

        /// <summary>Best effort: drops a node that was added but never became the top.</summary>
        public static async Task DropNodeAsync(QmpClient qmp, string node, CancellationToken ct)
        {
            try { await qmp.ExecuteAsync("blockdev-del", new Dictionary<string, object> { ["node-name"] = node }, CommandTimeout, ct).ConfigureAwait(false); }
            catch (QmpCommandException) { /* not there */ }
        }

        /// <summary>Writes the (paused) guest's state to <paramref name="path"/> through a migration; returns once it completed.</summary>
        public static async Task SaveAsync(QmpClient qmp, string path, TimeSpan timeout, CancellationToken ct)
        {
            // QEMU rate-limits migrations (128 MiB/s by default): a local file needs no limit.
            await qmp.ExecuteAsync("migrate-set-parameters", new Dictionary<string, object> { ["max-bandwidth"] = 64L << 30 }, CommandTimeout, ct).ConfigureAwait(false);
            await qmp.ExecuteAsync("migrate", new Dictionary<string, object> { ["uri"] = "exec:cat > " + ShellQuote(path) }, CommandTimeout, ct).ConfigureAwait(false);
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

        /// <summary>Single-quotes for /bin/sh (QEMU runs exec: URIs through it).</summary>
        public static string ShellQuote(string s) => "'" + s.Replace("'", "'\\''") + "'";
    }
}
