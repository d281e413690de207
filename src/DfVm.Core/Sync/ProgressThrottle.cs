using System;
using System.Diagnostics;

namespace DfVm.Core.Sync
{
    /// <summary>Passes progress on at most every 100 ms (the first report of a phase and forced reports always pass).</summary>
    internal sealed class ProgressThrottle
    {
        private static readonly long Interval = Stopwatch.Frequency / 10;
        private readonly IProgress<SyncProgress> _target;
        private long _last = long.MinValue;
        private string _phase;

        public ProgressThrottle(IProgress<SyncProgress> target)
        {
            _target = target;
        }

        public int Reported { get; private set; }

        public void Report(string phase, int done, int total, long bytesDone, long bytesTotal, string path, bool force = false)
        {
            if (_target == null)
            {
                return;
            }
            long now = Stopwatch.GetTimestamp();
            if (!force && phase == _phase && now - _last < Interval)
            {
                return;
            }
            _phase = phase;
            _last = now;
            Reported++;
            _target.Report(new SyncProgress(phase, done, total, bytesDone, bytesTotal, path));
        }
    }
}
