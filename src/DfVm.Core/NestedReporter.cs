namespace DfVm.Core
{
    /// <summary>
    /// The reporter for work done inside another activity (the sync of <c>Invoke-DfVmTest -Sync</c> and of each
    /// -Watch round, inside the test run): its progress reports that name no parent are passed on as copies whose
    /// <see cref="OperationProgress.ParentActivityId"/> is the outer activity, so the host shows them nested under
    /// it. The work itself knows nothing of this; everything else passes through unchanged.
    /// </summary>
    public sealed class NestedReporter : IOperationReporter
    {
        private readonly IOperationReporter _inner;
        private readonly int _parentActivityId;

        /// <param name="inner">Where the reports go.</param>
        /// <param name="parentActivityId">The outer activity (a <see cref="ProgressActivities"/> id).</param>
        public NestedReporter(IOperationReporter inner, int parentActivityId)
        {
            _inner = inner ?? NullReporter.Instance;
            _parentActivityId = parentActivityId;
        }

        public void Verbose(string message) => _inner.Verbose(message);

        public void Debug(string message) => _inner.Debug(message);

        public void Warning(string message) => _inner.Warning(message);

        public void Information(string message) => _inner.Information(message);

        public void Progress(OperationProgress progress)
        {
            // a report that has a parent keeps it; the outer activity's own reports are never their own child
            if (progress == null || progress.ParentActivityId >= 0 || progress.ActivityId == _parentActivityId)
            {
                _inner.Progress(progress);
                return;
            }

            var nested = progress.Copy();
            nested.ParentActivityId = _parentActivityId;
            _inner.Progress(nested);
        }
    }
}
