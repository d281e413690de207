namespace DfVm.Core
{
    /// <summary>
    /// How the core tells its caller what is happening. Calls may come from any thread: the
    /// cmdlets queue them and write on the pipeline thread.
    /// </summary>
    public interface IOperationReporter
    {
        void Verbose(string message);
        void Warning(string message);
        void Progress(OperationProgress progress);
    }

    public sealed class OperationProgress
    {
        public int ActivityId { get; set; } = 1;
        public string Activity { get; set; }
        public string Status { get; set; }
        public int PercentComplete { get; set; } = -1;
        public int SecondsRemaining { get; set; } = -1;
        public bool Completed { get; set; }
    }

    public sealed class NullReporter : IOperationReporter
    {
        public static readonly NullReporter Instance = new NullReporter();
        public void Verbose(string message) { }
        public void Warning(string message) { }
        public void Progress(OperationProgress progress) { }
    }
}
