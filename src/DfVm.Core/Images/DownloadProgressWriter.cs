using System;

namespace DfVm.Core.Images
{
    /// <summary>
    /// Turns the downloader's reports into one progress activity (bytes, rate, time left) on the caller's
    /// <see cref="IOperationReporter"/>: the one place the download progress type becomes what PowerShell
    /// shows. Synchronous (no SynchronizationContext): reports keep their order. <see cref="Complete"/> ends
    /// the activity.
    /// </summary>
    public sealed class DownloadProgressWriter : IProgress<DownloadProgress>
    {
        private readonly IOperationReporter _reporter;
        private readonly int _activityId;
        private bool _any;

        public DownloadProgressWriter(IOperationReporter reporter, int activityId = ProgressActivities.Download)
        {
            _reporter = reporter;
            _activityId = activityId;
        }

        /// <summary>True once any report came (false: the image was in the cache).</summary>
        public bool Any => _any;

        public void Report(DownloadProgress p)
        {
            _any = true;
            string verb = p.Stage == ImageStage.Download ? "Downloading" : p.Stage == ImageStage.Verify ? "Checking the MD5 of" : "Decompressing";
            string total = p.TotalBytes.HasValue ? " of " + Size(p.TotalBytes.Value) : "";
            string rate = p.BytesPerSecond > 0 ? $", {Size((long)p.BytesPerSecond)}/s" : "";
            _reporter.Progress(new OperationProgress
            {
                ActivityId = _activityId,
                Activity = $"{verb} {p.FileName}",
                Status = $"{Size(p.BytesDone)}{total}{rate}",
                PercentComplete = p.PercentComplete.HasValue ? (int)p.PercentComplete.Value : -1,
                SecondsRemaining = p.Eta.HasValue ? (int)Math.Ceiling(p.Eta.Value.TotalSeconds) : -1,
            });
        }

        public void Complete() =>
            _reporter.Progress(new OperationProgress { ActivityId = _activityId, Activity = "Saving the DragonFly image", Status = "done", Completed = true });

        /// <summary>A byte count as people read it: 512 B, 1.5 MiB.</summary>
        public static string Size(long bytes)
        {
            string[] units = { "B", "KiB", "MiB", "GiB", "TiB" };
            double v = bytes;
            int u = 0;
            while (v >= 1024 && u < units.Length - 1) { v /= 1024; u++; }
            return u == 0 ? $"{bytes} B" : $"{v:0.0} {units[u]}";
        }
    }
}
