using System;
using System.Diagnostics;

namespace DfVm.Core.Images
{
    /// <summary>
    /// Turns byte counts into <see cref="DownloadProgress"/> reports with rate and ETA,
    /// at most one report per interval except the first and the final one.
    /// </summary>
    internal sealed class ProgressMeter
    {
        private readonly IProgress<DownloadProgress> _sink;
        private readonly ImageStage _stage;
        private readonly string _fileName;
        private readonly long? _total;
        private readonly long _startBytes;
        private readonly TimeSpan _interval;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan _lastReport = TimeSpan.MinValue;

        public ProgressMeter(IProgress<DownloadProgress> sink, ImageStage stage, string fileName, long? total, long startBytes, TimeSpan interval)
        {
            _sink = sink;
            _stage = stage;
            _fileName = fileName;
            _total = total;
            _startBytes = startBytes;
            _interval = interval;
        }

        /// <summary>Reports <paramref name="bytesDone"/> unless a report went out less than an interval ago.</summary>
        public void Update(long bytesDone)
        {
            if (_sink == null) return;
            var now = _clock.Elapsed;
            if (_lastReport != TimeSpan.MinValue && now - _lastReport < _interval) return;
            _lastReport = now;
            _sink.Report(Make(bytesDone, now));
        }

        /// <summary>Always reports: the stage is over at <paramref name="bytesDone"/>.</summary>
        public void Complete(long bytesDone)
        {
            if (_sink == null) return;
            _lastReport = _clock.Elapsed;
            _sink.Report(Make(bytesDone, _lastReport, final: true));
        }

        private DownloadProgress Make(long bytesDone, TimeSpan elapsed, bool final = false)
        {
            var seconds = elapsed.TotalSeconds;
            var moved = bytesDone - _startBytes;
            var rate = seconds > 0.001 && moved > 0 ? moved / seconds : 0.0;
            var total = final && (!_total.HasValue || _total.Value < bytesDone) ? bytesDone : _total;
            TimeSpan? eta = null;
            if (final) eta = TimeSpan.Zero;
            else if (total.HasValue && rate > 0)
                eta = TimeSpan.FromSeconds(Math.Max(0, total.Value - bytesDone) / rate);
            return new DownloadProgress(_stage, _fileName, bytesDone, total, rate, eta);
        }
    }
}
