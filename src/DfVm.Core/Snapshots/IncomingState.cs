using System;
using System.Diagnostics;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Instances;
using DfVm.Core.Qemu;

namespace DfVm.Core.Snapshots
{
    /// <summary>
    /// The resume half of a live restore: QEMU was launched with <c>-incoming defer -S</c> (see
    /// <see cref="StartOptions.IncomingStatePath"/>); this feeds it the saved state and lets the guest run.
    /// </summary>
    public static class IncomingState
    {
        public static async Task LoadAsync(VmPaths paths, string statePath, IOperationReporter reporter, CancellationToken ct)
        {
            var watch = Stopwatch.StartNew();
            try
            {
                using (var qmp = await QmpClient.ConnectAsync(paths.QmpSocket, TimeSpan.FromSeconds(5), ct, reporter == null ? (Action<string>)null : reporter.Debug).ConfigureAwait(false))
                {
                    await qmp.ExecuteAsync("migrate-incoming", new System.Collections.Generic.Dictionary<string, object> { ["uri"] = "exec:cat " + LiveState.ShellQuote(statePath) },
                        LiveState.CommandTimeout, ct).ConfigureAwait(false);
                    string status;
                    while ((status = await qmp.QueryStatusAsync(ct).ConfigureAwait(false)) == "inmigrate")
                    {
                        if (watch.Elapsed > TimeSpan.FromMinutes(5)) throw Failed(paths, statePath, "it did not finish within 5 minutes");
                        await Task.Delay(10, ct).ConfigureAwait(false);
                    }
                    JsonElement info = await qmp.ExecuteAsync("query-migrate", null, LiveState.CommandTimeout, ct).ConfigureAwait(false);
                    string migration = info.TryGetProperty("status", out JsonElement s) ? s.GetString() : "unknown";
                    if (migration != "completed") throw Failed(paths, statePath, $"QEMU status '{status}', migration '{migration}'");
                    await qmp.ExecuteAsync("cont", null, LiveState.CommandTimeout, ct).ConfigureAwait(false);
                }
                reporter?.Verbose($"VM '{paths.Name}' resumed from {statePath} in {watch.Elapsed.TotalSeconds:0.00} s.");
            }
            catch (QmpException e)
            {
                // A failed incoming migration makes QEMU exit: the connection drops.
                throw Failed(paths, statePath, e.Message + " (the memory image does not match this VM's QEMU command line: memory size, devices, accelerator?)", e);
            }
        }

        private static DfVmException Failed(VmPaths paths, string statePath, string why, Exception inner = null) =>
            new DfVmException(SnapshotErrorIds.SnapshotFailed, DfVmErrorKind.InvalidOperation,
                $"VM '{paths.Name}' could not resume from {statePath}: {why}. Its disk is at the snapshot's state; Start-DfVm boots it from there.", paths.Name, inner);
    }
}
