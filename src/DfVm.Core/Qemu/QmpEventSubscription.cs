using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace DfVm.Core.Qemu
{
    /// <summary>
    /// Every QMP event from the moment of <see cref="QmpClient.Subscribe"/> until Dispose, in arrival
    /// order. Subscribe BEFORE sending the command whose events you want: QEMU sends STOP, RESUME,
    /// JOB_STATUS_CHANGE... before that command's reply. Thread-safe.
    /// </summary>
    public sealed class QmpEventSubscription : IDisposable
    {
        /// <summary>Oldest events are dropped beyond this many unconsumed ones.</summary>
        public const int Capacity = 10000;

        private readonly object _gate = new object();
        private readonly LinkedList<QmpEvent> _buffer = new LinkedList<QmpEvent>();
        private readonly List<Waiter> _waiters = new List<Waiter>();
        private readonly QmpClient _owner;
        private Func<QmpDisconnectedException> _disconnected;
        private bool _disposed;

        internal QmpEventSubscription(QmpClient owner)
        {
            _owner = owner;
        }

        /// <summary>How many events are buffered and not yet taken.</summary>
        public int Count
        {
            get { lock (_gate) { return _buffer.Count; } }
        }

        /// <summary>Takes the oldest buffered event, if any. Never waits.</summary>
        public bool TryTake(out QmpEvent qmpEvent)
        {
            lock (_gate)
            {
                if (_buffer.Count == 0)
                {
                    qmpEvent = null;
                    return false;
                }

                qmpEvent = _buffer.First.Value;
                _buffer.RemoveFirst();
                return true;
            }
        }

        /// <summary>
        /// Removes and returns the first event (buffered, or arriving later) for which
        /// <paramref name="match"/> is true; other events stay buffered. <paramref name="match"/> runs
        /// under a lock, possibly on the reader thread: keep it quick and side-effect free.
        /// Throws <see cref="QmpTimeoutException"/>, <see cref="OperationCanceledException"/>, or
        /// <see cref="QmpDisconnectedException"/> once the connection is gone and no buffered event matches.
        /// </summary>
        public async Task<QmpEvent> WaitAsync(Func<QmpEvent, bool> match, TimeSpan timeout, CancellationToken cancellationToken)
        {
            if (match == null)
            {
                throw new ArgumentNullException(nameof(match));
            }

            QmpWait.CheckTimeout(timeout, nameof(timeout));
            cancellationToken.ThrowIfCancellationRequested();

            Waiter waiter;
            lock (_gate)
            {
                for (LinkedListNode<QmpEvent> node = _buffer.First; node != null; node = node.Next)
                {
                    if (match(node.Value))
                    {
                        _buffer.Remove(node);
                        return node.Value;
                    }
                }

                if (_disposed)
                {
                    throw new ObjectDisposedException(nameof(QmpEventSubscription));
                }

                if (_disconnected != null)
                {
                    throw _disconnected();
                }

                waiter = new Waiter(match);
                _waiters.Add(waiter);
            }

            try
            {
                return await QmpWait.AwaitAsync(waiter.Completion, timeout,
                    () => new QmpTimeoutException(
                        $"No matching QMP event arrived within {QmpWait.Seconds(timeout)}.", timeout),
                    cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                lock (_gate)
                {
                    _waiters.Remove(waiter);
                }
            }
        }

        /// <summary>Stops buffering; pending waits fail with <see cref="ObjectDisposedException"/>.</summary>
        public void Dispose()
        {
            Waiter[] waiters;
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                _buffer.Clear();
                waiters = _waiters.ToArray();
                _waiters.Clear();
            }

            foreach (Waiter waiter in waiters)
            {
                waiter.Completion.TrySetException(new ObjectDisposedException(nameof(QmpEventSubscription)));
            }

            _owner.Unsubscribe(this);
        }

        /// <summary>Called on the reader thread for each event, in order.</summary>
        internal void Post(QmpEvent qmpEvent)
        {
            lock (_gate)
            {
                if (_disposed)
                {
                    return;
                }

                foreach (Waiter waiter in _waiters)
                {
                    bool matched;
                    try
                    {
                        matched = waiter.Match(qmpEvent);
                    }
                    catch (Exception ex)
                    {
                        waiter.Completion.TrySetException(ex);
                        continue;
                    }

                    // A waiter that already timed out does not consume the event.
                    if (matched && waiter.Completion.TrySetResult(qmpEvent))
                    {
                        _waiters.Remove(waiter);
                        return;
                    }
                }

                _buffer.AddLast(qmpEvent);
                if (_buffer.Count > Capacity)
                {
                    _buffer.RemoveFirst();
                }
            }
        }

        /// <summary>The connection is gone: pending and later waits fail (buffered events stay takeable).</summary>
        internal void Complete(Func<QmpDisconnectedException> disconnected)
        {
            Waiter[] waiters;
            lock (_gate)
            {
                if (_disconnected != null)
                {
                    return;
                }

                _disconnected = disconnected;
                waiters = _waiters.ToArray();
            }

            foreach (Waiter waiter in waiters)
            {
                waiter.Completion.TrySetException(disconnected());
            }
        }

        private sealed class Waiter
        {
            public Waiter(Func<QmpEvent, bool> match)
            {
                Match = match;
            }

            public Func<QmpEvent, bool> Match { get; }

            public TaskCompletionSource<QmpEvent> Completion { get; } =
                new TaskCompletionSource<QmpEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }
}
