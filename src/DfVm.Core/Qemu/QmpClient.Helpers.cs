using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace DfVm.Core.Qemu
{
    /// <summary>The commands the module uses, on top of <see cref="ExecuteAsync"/>.</summary>
    public sealed partial class QmpClient
    {
        /// <summary>
        /// <c>query-status</c>: the run state, e.g. "running", "paused", "prelaunch", "restore-vm",
        /// "shutdown", "inmigrate", "postmigrate", "suspended", "guest-panicked".
        /// </summary>
        public async Task<string> QueryStatusAsync(CancellationToken cancellationToken = default)
        {
            JsonElement result = await ExecuteAsync("query-status", null, null, cancellationToken).ConfigureAwait(false);
            return ReadString(result, "status")
                   ?? throw new QmpProtocolException("query-status returned no status: " + result.GetRawText());
        }

        /// <summary>
        /// Runs an HMP command through <c>human-monitor-command</c> and returns its text output.
        /// HMP reports most failures as text inside a successful reply: the caller must read it.
        /// </summary>
        public async Task<string> HumanMonitorCommandAsync(string commandLine, TimeSpan? timeout = null,
            CancellationToken cancellationToken = default)
        {
            var arguments = new Dictionary<string, object> { ["command-line"] = commandLine };
            JsonElement result = await ExecuteAsync("human-monitor-command", arguments, timeout, cancellationToken)
                .ConfigureAwait(false);
            if (result.ValueKind != JsonValueKind.String)
            {
                throw new QmpProtocolException("human-monitor-command returned a non-string: " + result.GetRawText());
            }

            return result.GetString();
        }

        /// <summary>
        /// Sends <c>quit</c>. Success is the reply, or the connection going away after the command
        /// was written (QEMU resets the socket as it exits). A connection already gone before
        /// sending throws <see cref="QmpDisconnectedException"/>. Wait for the process to exit separately.
        /// </summary>
        public async Task QuitAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            QmpWait.CheckTimeout(timeout, nameof(timeout));
            PendingCall call = NewCall("quit");
            try
            {
                await RunCallAsync(call, null, timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (QmpDisconnectedException) when (call.Sent)
            {
                // QEMU exited right after reading quit: that is what quit is for.
            }
        }

        /// <summary>
        /// Runs a job command (snapshot-save, snapshot-load, snapshot-delete) to its end:
        /// subscribes to events first, sends <paramref name="command"/> with <paramref name="arguments"/>
        /// (which must carry <c>"job-id": jobId</c>), waits for JOB_STATUS_CHANGE of
        /// <paramref name="jobId"/> to reach "concluded", reads the job's <c>error</c> from
        /// <c>query-jobs</c>, then <c>job-dismiss</c>es it. Throws <see cref="QmpJobException"/> when
        /// the job failed (after dismissing it), <see cref="QmpCommandException"/> when the command
        /// itself is refused, <see cref="QmpTimeoutException"/> when it does not conclude within
        /// <paramref name="timeout"/> (covers the whole sequence). Note: a failed snapshot-load leaves
        /// the VM paused ("restore-vm"); the caller decides whether to send <c>cont</c>.
        /// </summary>
        public async Task RunJobAsync(string command, object arguments, string jobId, TimeSpan timeout,
            CancellationToken cancellationToken)
        {
            if (string.IsNullOrEmpty(jobId))
            {
                throw new ArgumentException("A job id is required.", nameof(jobId));
            }

            QmpWait.CheckTimeout(timeout, nameof(timeout));
            Stopwatch elapsed = Stopwatch.StartNew();
            using (QmpEventSubscription events = Subscribe())
            {
                await ExecuteAsync(command, arguments, QmpWait.Remaining(timeout, elapsed), cancellationToken)
                    .ConfigureAwait(false);
                try
                {
                    await events.WaitAsync(
                        e => e.Name == "JOB_STATUS_CHANGE" && e.GetDataString("id") == jobId
                             && (e.GetDataString("status") == "concluded" || e.GetDataString("status") == "null"),
                        QmpWait.Remaining(timeout, elapsed), cancellationToken).ConfigureAwait(false);
                }
                catch (QmpTimeoutException ex)
                {
                    throw new QmpTimeoutException(
                        $"QMP job '{jobId}' ({command}) did not conclude within {QmpWait.Seconds(timeout)}.", timeout, ex);
                }

                JsonElement jobs = await ExecuteAsync("query-jobs", null, QmpWait.Remaining(timeout, elapsed), cancellationToken)
                    .ConfigureAwait(false);
                bool listed = false;
                string jobError = null;
                if (jobs.ValueKind == JsonValueKind.Array)
                {
                    foreach (JsonElement job in jobs.EnumerateArray())
                    {
                        if (ReadString(job, "id") == jobId)
                        {
                            listed = true;
                            jobError = ReadString(job, "error");
                            break;
                        }
                    }
                }

                if (listed)
                {
                    var dismiss = new Dictionary<string, object> { ["id"] = jobId };
                    await ExecuteAsync("job-dismiss", dismiss, QmpWait.Remaining(timeout, elapsed), cancellationToken)
                        .ConfigureAwait(false);
                }

                if (jobError != null)
                {
                    throw new QmpJobException(command, jobId, jobError);
                }
            }
        }
    }
}
