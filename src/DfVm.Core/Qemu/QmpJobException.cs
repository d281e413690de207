namespace DfVm.Core.Qemu
{
    /// <summary>A QMP job (snapshot-save, snapshot-load, snapshot-delete) concluded with an <c>error</c>.</summary>
    public sealed class QmpJobException : QmpException
    {
        public QmpJobException(string command, string jobId, string jobError)
            : base(ErrorIds.QmpJobFailed, $"QMP job '{jobId}' ({command}) failed: {jobError}")
        {
            Command = command;
            JobId = jobId;
            JobError = jobError;
        }

        /// <summary>The command that created the job, e.g. "snapshot-load".</summary>
        public string Command { get; }

        /// <summary>The job id the caller chose.</summary>
        public string JobId { get; }

        /// <summary>The job's <c>error</c> text from <c>query-jobs</c>.</summary>
        public string JobError { get; }
    }
}
