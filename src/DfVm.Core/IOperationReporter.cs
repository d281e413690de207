namespace DfVm.Core
{
    /// <summary>
    /// How the core tells its caller what is happening. Calls may come from any thread: the
    /// cmdlets queue them and write on the pipeline thread.
    /// </summary>
    public interface IOperationReporter
    {
        void Verbose(string message);

        /// <summary>Wire traces (QMP's JSON both ways): -Debug, not -Verbose.</summary>
        void Debug(string message);

        void Warning(string message);

        /// <summary>Shown on the host like Write-Host (the information stream, tag PSHOST): what a user should see without -Verbose.</summary>
        void Information(string message);

        void Progress(OperationProgress progress);
    }

    public sealed class OperationProgress
    {
        public int ActivityId { get; set; } = 1;

        /// <summary>The activity this one is part of (shown nested under it); -1: none. <see cref="NestedReporter"/> sets it.</summary>
        public int ParentActivityId { get; set; } = -1;

        public string Activity { get; set; }
        public string Status { get; set; }
        public int PercentComplete { get; set; } = -1;
        public int SecondsRemaining { get; set; } = -1;
        public bool Completed { get; set; }

        /// <summary>A copy of this report (the producer keeps updating its own).</summary>
        public OperationProgress Copy() => (OperationProgress)MemberwiseClone();
    }

    /// <summary>
    /// Every progress activity id DfVm shows, in one list: each activity has its own id, so two that run
    /// at once (a lock wait beside a start, a sync before a test run) never overwrite each other's bar.
    /// </summary>
    public static class ProgressActivities
    {
        public const int Start = 41;
        public const int Stop = 42;
        public const int Sync = 43;
        public const int Copy = 44;
        public const int Import = 45;
        public const int LockWait = 49;
        public const int InstallPhase = 51;
        public const int Download = 61;
        public const int TestRun = 71;
    }

    public sealed class NullReporter : IOperationReporter
    {
        public static readonly NullReporter Instance = new NullReporter();
        public void Verbose(string message) { }
        public void Debug(string message) { }
        public void Warning(string message) { }
        public void Information(string message) { }
        public void Progress(OperationProgress progress) { }
    }
}
