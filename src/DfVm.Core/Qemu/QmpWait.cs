using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;

namespace DfVm.Core.Qemu
{
    /// <summary>Timeout and cancellation plumbing shared by calls, the greeting and event waits.</summary>
    internal static class QmpWait
    {
        /// <summary>
        /// Arms <paramref name="completion"/>: after <paramref name="timeout"/> it faults with
        /// <paramref name="timeoutError"/>, on cancellation it is cancelled with the caller's token.
        /// Whoever completes it first wins. Dispose the result once the wait is over.
        /// </summary>
        public static IDisposable Arm<T>(TaskCompletionSource<T> completion, TimeSpan timeout,
            Func<QmpTimeoutException> timeoutError, CancellationToken cancellationToken)
        {
            var timer = new CancellationTokenSource();
            CancellationTokenRegistration onTimeout =
                timer.Token.Register(() => completion.TrySetException(timeoutError()));
            CancellationTokenRegistration onCancel =
                cancellationToken.Register(() => completion.TrySetCanceled(cancellationToken));
            if (timeout != Timeout.InfiniteTimeSpan)
            {
                timer.CancelAfter(timeout);
            }

            return new Disarm(timer, onTimeout, onCancel);
        }

        /// <summary>Awaits <paramref name="completion"/> with a timeout and cancellation.</summary>
        public static async Task<T> AwaitAsync<T>(TaskCompletionSource<T> completion, TimeSpan timeout,
            Func<QmpTimeoutException> timeoutError, CancellationToken cancellationToken)
        {
            using (Arm(completion, timeout, timeoutError, cancellationToken))
            {
                return await completion.Task.ConfigureAwait(false);
            }
        }

        /// <summary>What is left of <paramref name="total"/> (never below 1 ms; infinite stays infinite).</summary>
        public static TimeSpan Remaining(TimeSpan total, Stopwatch elapsed)
        {
            if (total == Timeout.InfiniteTimeSpan)
            {
                return total;
            }

            TimeSpan left = total - elapsed.Elapsed;
            return left > TimeSpan.FromMilliseconds(1) ? left : TimeSpan.FromMilliseconds(1);
        }

        public static void CheckTimeout(TimeSpan timeout, string parameterName)
        {
            if (timeout != Timeout.InfiniteTimeSpan && timeout <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(parameterName, timeout, "The timeout must be positive or Timeout.InfiniteTimeSpan.");
            }
        }

        public static string Seconds(TimeSpan timeout) =>
            timeout == Timeout.InfiniteTimeSpan ? "infinite" : timeout.TotalSeconds.ToString("0.###") + " s";

        private sealed class Disarm : IDisposable
        {
            private readonly CancellationTokenSource _timer;
            private CancellationTokenRegistration _onTimeout;
            private CancellationTokenRegistration _onCancel;

            public Disarm(CancellationTokenSource timer, CancellationTokenRegistration onTimeout, CancellationTokenRegistration onCancel)
            {
                _timer = timer;
                _onTimeout = onTimeout;
                _onCancel = onCancel;
            }

            public void Dispose()
            {
                _onCancel.Dispose();
                _onTimeout.Dispose();
                _timer.Dispose();
            }
        }
    }
}
