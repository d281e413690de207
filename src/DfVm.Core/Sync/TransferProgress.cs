using System;
using System.Threading.Tasks;

namespace DfVm.Core.Sync
{
    /// <summary>
    /// A sync's or a copy's <see cref="SyncProgress"/> reports as one progress activity on the caller's
    /// <see cref="IOperationReporter"/>: the one place the transfer progress type becomes what PowerShell shows.
    /// </summary>
    public static class TransferProgress
    {
        /// <summary>Sync-DfVmProject's status: files and MiB done of the total.</summary>
        public static string SyncStatus(SyncProgress p) =>
            $"{p.Phase}: {p.ItemsDone}/{p.ItemsTotal} files, {p.BytesDone / 1048576.0:0.0}/{p.BytesTotal / 1048576.0:0.0} MiB {p.CurrentPath}";

        /// <summary>Copy-DfVmItem's status: MiB done (of the total when it is known).</summary>
        public static string CopyStatus(SyncProgress p) =>
            $"{p.Phase}: {p.BytesDone / 1048576.0:0.0} MiB{(p.BytesTotal > 0 ? $" of {p.BytesTotal / 1048576.0:0.0} MiB" : "")} {p.CurrentPath}";

        /// <summary>
        /// Runs <paramref name="work"/> with a progress sink that reports to <paramref name="reporter"/> as the
        /// activity <paramref name="activityId"/> (at once, on the reporting thread: reports keep their order);
        /// the activity is completed however the work ends.
        /// </summary>
        public static async Task<T> RunAsync<T>(IOperationReporter reporter, int activityId, string activity, Func<SyncProgress, string> status,
            Func<IProgress<SyncProgress>, Task<T>> work)
        {
            reporter = reporter ?? NullReporter.Instance;
            var record = new OperationProgress { ActivityId = activityId, Activity = activity, Status = "starting" };
            try
            {
                return await work(new Util.InlineProgress<SyncProgress>(p =>
                {
                    record.Status = status(p);
                    record.PercentComplete = p.PercentComplete;
                    reporter.Progress(record);
                })).ConfigureAwait(false);
            }
            finally
            {
                record.Completed = true;
                reporter.Progress(record);
            }
        }
    }
}
