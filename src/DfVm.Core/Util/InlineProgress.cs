using System;

namespace DfVm.Core.Util
{
    /// <summary>
    /// An <see cref="IProgress{T}"/> that calls its action at once, on the reporting thread.
    /// <see cref="Progress{T}"/> would post each report to the thread pool, which reorders them.
    /// </summary>
    public sealed class InlineProgress<T> : IProgress<T>
    {
        private readonly Action<T> _report;

        public InlineProgress(Action<T> report) { _report = report ?? throw new ArgumentNullException(nameof(report)); }

        public void Report(T value) => _report(value);
    }
}
