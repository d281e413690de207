using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace DfVm.Core.Qemu
{
    /// <summary>
    /// A QMP client over QEMU's unix monitor socket. One background reader routes replies to
    /// pending calls by <c>id</c> and events to subscriptions; commands go out one complete JSON
    /// object per write under a send lock. When the socket closes or resets, every pending call
    /// fails at once with <see cref="QmpDisconnectedException"/> and later calls fail immediately.
    /// QEMU serves one monitor client at a time: connect, do the operation, dispose.
    /// </summary>
    public sealed partial class QmpClient : IDisposable
    {
        private readonly Socket _socket;
        private readonly NetworkStream _stream;
        private readonly string _socketPath;
        private readonly Action<string> _log;
        private readonly SemaphoreSlim _sendLock = new SemaphoreSlim(1, 1);
        private readonly QmpLineSplitter _splitter = new QmpLineSplitter();
        private readonly object _state = new object();
        private readonly Dictionary<long, PendingCall> _pending = new Dictionary<long, PendingCall>();
        private readonly List<QmpEventSubscription> _subscriptions = new List<QmpEventSubscription>();
        private readonly TaskCompletionSource<JsonElement> _greeting =
            new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<bool> _disconnectedSignal =
            new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _nextId;
        private string _disconnectReason;
        private Exception _disconnectCause;
        private int _disposed;
        private int _garbageLineCount;
        private int _unroutedReplyCount;

        private QmpClient(Socket socket, string socketPath, Action<string> log)
        {
            _socket = socket;
            _stream = new NetworkStream(socket, ownsSocket: true);
            _socketPath = socketPath;
            _log = log;
        }

        /// <summary>
        /// Raised on the client's reader thread for every event, before it is handed to subscriptions.
        /// Handlers must be quick and must not block on this client's calls (the reader would stall);
        /// their exceptions are logged and swallowed. Prefer <see cref="Subscribe"/>.
        /// </summary>
        public event EventHandler<QmpEvent> EventReceived;

        /// <summary>The socket path this client is connected to.</summary>
        public string SocketPath => _socketPath;

        /// <summary>QEMU's version from the greeting, "major.minor.micro" (e.g. "7.2.19").</summary>
        public string QemuVersion { get; private set; }

        /// <summary>The greeting's package string (e.g. "Debian 1:7.2+dfsg-7+deb12u18"); may be empty.</summary>
        public string QemuPackage { get; private set; }

        /// <summary>Capabilities QEMU offered in the greeting (e.g. "oob"); none are enabled.</summary>
        public IReadOnlyList<string> Capabilities { get; private set; } = Array.Empty<string>();

        /// <summary>Limit for <see cref="ExecuteAsync"/> calls made without a timeout. 30 s by default.</summary>
        public TimeSpan DefaultCommandTimeout { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>False once the socket closed, reset, or the client was disposed.</summary>
        public bool IsConnected
        {
            get { lock (_state) { return _disconnectReason == null; } }
        }

        /// <summary>Completes (never faults) when the connection is gone, e.g. after <c>quit</c>.</summary>
        public Task Disconnected => _disconnectedSignal.Task;

        /// <summary>Non-JSON lines received and ignored (for diagnostics and tests).</summary>
        internal int GarbageLineCount => Volatile.Read(ref _garbageLineCount);

        /// <summary>Replies that matched no pending call (no id, unknown id, or late after a timeout).</summary>
        internal int UnroutedReplyCount => Volatile.Read(ref _unroutedReplyCount);

        internal int PendingCount
        {
            get { lock (_state) { return _pending.Count; } }
        }

        /// <summary>
        /// Connects to QEMU's QMP socket, reads the greeting (events around it are tolerated), sends
        /// <c>qmp_capabilities</c> without OOB and returns once negotiated. <paramref name="timeout"/>
        /// covers the whole handshake: QEMU sends no greeting while another client holds the monitor.
        /// <paramref name="log"/> gets one line per command sent ("QMP -> {...}") and per line
        /// received ("QMP &lt;- {...}"), on the calling or the reader thread, possibly concurrently:
        /// queue the lines, do not write them to a host UI from the callback.
        /// Throws <see cref="QmpDisconnectedException"/> (socket missing/refused/closed),
        /// <see cref="QmpTimeoutException"/>, <see cref="QmpProtocolException"/>, or
        /// <see cref="OperationCanceledException"/>.
        /// </summary>
        public static async Task<QmpClient> ConnectAsync(string socketPath, TimeSpan timeout,
            CancellationToken cancellationToken, Action<string> log = null)
        {
            QmpWait.CheckTimeout(timeout, nameof(timeout));
            Stopwatch elapsed = Stopwatch.StartNew();
            Socket socket;
            try
            {
                socket = await UnixSocketConnector.ConnectAsync(socketPath, timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                throw new QmpDisconnectedException($"Cannot connect to the QMP socket '{socketPath}': {ex.Message}", ex);
            }
            catch (TimeoutException ex)
            {
                throw new QmpTimeoutException($"Connecting to the QMP socket '{socketPath}' timed out.", timeout, ex);
            }

            var client = new QmpClient(socket, socketPath, log);
            try
            {
                client.StartReader();
                TimeSpan left = QmpWait.Remaining(timeout, elapsed);
                JsonElement greeting = await QmpWait.AwaitAsync(client._greeting, left,
                    () => new QmpTimeoutException(
                        $"No QMP greeting from '{socketPath}' within {QmpWait.Seconds(timeout)}; " +
                        "another client may hold the monitor (QEMU serves one at a time).", timeout),
                    cancellationToken).ConfigureAwait(false);
                client.ReadGreeting(greeting);
                await client.ExecuteAsync("qmp_capabilities", null, QmpWait.Remaining(timeout, elapsed), cancellationToken)
                    .ConfigureAwait(false);
                return client;
            }
            catch
            {
                client.Dispose();
                throw;
            }
        }

        /// <summary>
        /// Sends one command and returns its <c>return</c> value (a detached clone). Ids are unique
        /// per client. Throws <see cref="QmpCommandException"/> for an <c>error</c> reply,
        /// <see cref="QmpTimeoutException"/> after <paramref name="timeout"/> (default
        /// <see cref="DefaultCommandTimeout"/>; the connection stays usable and a late reply is dropped),
        /// <see cref="OperationCanceledException"/> on cancellation, <see cref="QmpDisconnectedException"/>
        /// when the connection is or goes away. <paramref name="arguments"/> is serialized with
        /// System.Text.Json (null members omitted): use a dictionary for names with dashes.
        /// </summary>
        public Task<JsonElement> ExecuteAsync(string command, object arguments = null, TimeSpan? timeout = null,
            CancellationToken cancellationToken = default)
        {
            if (string.IsNullOrEmpty(command))
            {
                throw new ArgumentException("A QMP command name is required.", nameof(command));
            }

            TimeSpan limit = timeout ?? DefaultCommandTimeout;
            QmpWait.CheckTimeout(limit, nameof(timeout));
            return RunCallAsync(NewCall(command), arguments, limit, cancellationToken);
        }

        /// <summary>
        /// Buffers every event from now on until disposed. Subscribe before sending the command whose
        /// events you wait for. After a disconnect the subscription still yields what it buffered.
        /// </summary>
        public QmpEventSubscription Subscribe()
        {
            ThrowIfDisposed();
            var subscription = new QmpEventSubscription(this);
            lock (_state)
            {
                if (_disconnectReason == null)
                {
                    _subscriptions.Add(subscription);
                    return subscription;
                }
            }

            subscription.Complete(() => NewDisconnected("waiting for an event"));
            return subscription;
        }

        /// <summary>Closes the socket; pending calls fail with <see cref="QmpDisconnectedException"/>.</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            OnDisconnected("the QMP client was disposed", null);
            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException || ex is ObjectDisposedException)
            {
                // Already reset by the peer.
            }

            _stream.Dispose();
        }

        internal void Unsubscribe(QmpEventSubscription subscription)
        {
            lock (_state)
            {
                _subscriptions.Remove(subscription);
            }
        }

        private PendingCall NewCall(string command) => new PendingCall(Interlocked.Increment(ref _nextId), command);

        private async Task<JsonElement> RunCallAsync(PendingCall call, object arguments, TimeSpan timeout,
            CancellationToken cancellationToken)
        {
            ThrowIfDisposed();
            cancellationToken.ThrowIfCancellationRequested();
            byte[] payload = QmpCommandSerializer.Serialize(call.Command, arguments, call.Id);

            lock (_state)
            {
                if (_disconnectReason != null)
                {
                    throw NewDisconnected($"sending '{call.Command}'");
                }

                _pending.Add(call.Id, call);
            }

            try
            {
                using (QmpWait.Arm(call.Completion, timeout,
                           () => new QmpTimeoutException(
                               $"QMP command '{call.Command}' got no reply within {QmpWait.Seconds(timeout)}.", timeout),
                           cancellationToken))
                {
                    await SendAsync(call, payload).ConfigureAwait(false);
                    return await call.Completion.Task.ConfigureAwait(false);
                }
            }
            finally
            {
                lock (_state)
                {
                    _pending.Remove(call.Id);
                }
            }
        }

        /// <summary>
        /// Writes the whole command in one write under the send lock. Gives up waiting for the lock
        /// once the call completed (timeout, cancellation, disconnect): the caller then observes that.
        /// A failed write means the connection is gone: every pending call fails, this one included.
        /// </summary>
        private async Task SendAsync(PendingCall call, byte[] payload)
        {
            Task lockTask = _sendLock.WaitAsync();
            if (await Task.WhenAny(lockTask, call.Completion.Task).ConfigureAwait(false) != lockTask)
            {
                _ = lockTask.ContinueWith(_ => _sendLock.Release(), TaskScheduler.Default);
                return;
            }

            try
            {
                if (call.Completion.Task.IsCompleted || !IsConnected)
                {
                    return;
                }

                Log("QMP -> " + Encoding.UTF8.GetString(payload, 0, payload.Length - 1));
                await _stream.WriteAsync(payload, 0, payload.Length).ConfigureAwait(false);
                call.Sent = true;
            }
            catch (Exception ex) when (ex is IOException || ex is SocketException || ex is ObjectDisposedException)
            {
                OnDisconnected("writing to the QMP socket failed: " + ex.Message, ex);
            }
            finally
            {
                _sendLock.Release();
            }
        }

        private void StartReader()
        {
            Task.Run(ReadLoopAsync);
        }

        private async Task ReadLoopAsync()
        {
            var buffer = new byte[64 * 1024];
            string reason = "QEMU closed the QMP socket";
            Exception cause = null;
            try
            {
                while (true)
                {
                    int count = await _stream.ReadAsync(buffer, 0, buffer.Length).ConfigureAwait(false);
                    if (count == 0)
                    {
                        break;
                    }

                    foreach (string line in _splitter.Append(buffer, count))
                    {
                        HandleLine(line);
                    }
                }
            }
            catch (Exception ex)
            {
                reason = ex is QmpProtocolException
                    ? ex.Message
                    : "the QMP socket failed: " + (ex.InnerException?.Message ?? ex.Message);
                cause = ex;
            }

            OnDisconnected(reason, cause);
        }

        private void HandleLine(string line)
        {
            Log("QMP <- " + line);
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line);
            }
            catch (JsonException)
            {
                Interlocked.Increment(ref _garbageLineCount);
                Log("QMP: ignored a line that is not JSON");
                return;
            }

            using (document)
            {
                JsonElement message = document.RootElement;
                if (message.ValueKind != JsonValueKind.Object)
                {
                    Interlocked.Increment(ref _garbageLineCount);
                    Log("QMP: ignored a line that is not a JSON object");
                    return;
                }

                try
                {
                    Dispatch(message);
                }
                catch (Exception ex)
                {
                    // A message of an unexpected shape must never stop the reader.
                    Interlocked.Increment(ref _garbageLineCount);
                    Log("QMP: ignored a malformed message: " + ex.Message);
                }
            }
        }

        private void Dispatch(JsonElement message)
        {
            if (message.TryGetProperty("event", out _))
            {
                DispatchEvent(QmpEvent.FromMessage(message));
            }
            else if (message.TryGetProperty("return", out JsonElement result))
            {
                Route(message, call => call.Completion.TrySetResult(result.Clone()));
            }
            else if (message.TryGetProperty("error", out JsonElement error))
            {
                string errorClass = ReadString(error, "class") ?? "GenericError";
                string description = ReadString(error, "desc") ?? string.Empty;
                Route(message, call => call.Completion.TrySetException(
                    new QmpCommandException(call.Command, errorClass, description)));
            }
            else if (message.TryGetProperty("QMP", out JsonElement greeting))
            {
                if (!_greeting.TrySetResult(greeting.Clone()))
                {
                    Log("QMP: ignored a second greeting");
                }
            }
            else
            {
                Interlocked.Increment(ref _garbageLineCount);
                Log("QMP: ignored a message that is neither reply, error, event nor greeting");
            }
        }

        private void Route(JsonElement message, Action<PendingCall> complete)
        {
            PendingCall call = null;
            if (message.TryGetProperty("id", out JsonElement idElement)
                && idElement.ValueKind == JsonValueKind.Number && idElement.TryGetInt64(out long id))
            {
                lock (_state)
                {
                    _pending.TryGetValue(id, out call);
                }
            }

            if (call == null)
            {
                // QEMU answers input it could not parse without an id; a late reply after a timeout lands here too.
                Interlocked.Increment(ref _unroutedReplyCount);
                Log("QMP: a reply matched no pending command (no id, or the call already timed out or was cancelled)");
                return;
            }

            complete(call);
        }

        private void DispatchEvent(QmpEvent qmpEvent)
        {
            try
            {
                EventReceived?.Invoke(this, qmpEvent);
            }
            catch (Exception ex)
            {
                Log("QMP: an EventReceived handler threw: " + ex.Message);
            }

            QmpEventSubscription[] subscriptions;
            lock (_state)
            {
                subscriptions = _subscriptions.ToArray();
            }

            foreach (QmpEventSubscription subscription in subscriptions)
            {
                subscription.Post(qmpEvent);
            }
        }

        private void ReadGreeting(JsonElement greeting)
        {
            if (greeting.ValueKind != JsonValueKind.Object
                || !greeting.TryGetProperty("version", out JsonElement version)
                || version.ValueKind != JsonValueKind.Object
                || !version.TryGetProperty("qemu", out JsonElement qemu)
                || qemu.ValueKind != JsonValueKind.Object)
            {
                throw new QmpProtocolException("The QMP greeting has no version: " + greeting.GetRawText());
            }

            QemuVersion = $"{ReadInt(qemu, "major")}.{ReadInt(qemu, "minor")}.{ReadInt(qemu, "micro")}";
            QemuPackage = (ReadString(version, "package") ?? string.Empty).Trim();
            var capabilities = new List<string>();
            if (greeting.TryGetProperty("capabilities", out JsonElement caps) && caps.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement cap in caps.EnumerateArray())
                {
                    if (cap.ValueKind == JsonValueKind.String)
                    {
                        capabilities.Add(cap.GetString());
                    }
                }
            }

            Capabilities = capabilities;
        }

        private void OnDisconnected(string reason, Exception cause)
        {
            PendingCall[] pending;
            QmpEventSubscription[] subscriptions;
            lock (_state)
            {
                if (_disconnectReason != null)
                {
                    return;
                }

                _disconnectReason = reason;
                _disconnectCause = cause;
                pending = new PendingCall[_pending.Count];
                _pending.Values.CopyTo(pending, 0);
                subscriptions = _subscriptions.ToArray();
                _subscriptions.Clear();
            }

            Log("QMP: disconnected: " + reason);
            _greeting.TrySetException(NewDisconnected("waiting for the greeting"));
            foreach (PendingCall call in pending)
            {
                call.Completion.TrySetException(NewDisconnected($"waiting for the reply to '{call.Command}'"));
            }

            foreach (QmpEventSubscription subscription in subscriptions)
            {
                subscription.Complete(() => NewDisconnected("waiting for an event"));
            }

            _disconnectedSignal.TrySetResult(true);
        }

        private QmpDisconnectedException NewDisconnected(string doing)
        {
            string reason;
            Exception cause;
            lock (_state)
            {
                reason = _disconnectReason ?? "unknown reason";
                cause = _disconnectCause;
            }

            return new QmpDisconnectedException($"QMP connection to '{_socketPath}' is gone ({reason}) while {doing}.", cause);
        }

        private void ThrowIfDisposed()
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                throw new ObjectDisposedException(nameof(QmpClient));
            }
        }

        private void Log(string line)
        {
            if (_log == null)
            {
                return;
            }

            try
            {
                _log(line);
            }
            catch (Exception)
            {
                // A broken log sink must not break the protocol.
            }
        }

        private static string ReadString(JsonElement element, string member) =>
            element.ValueKind == JsonValueKind.Object && element.TryGetProperty(member, out JsonElement value)
            && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;

        private static long ReadInt(JsonElement element, string member) =>
            element.TryGetProperty(member, out JsonElement value) && value.TryGetInt64(out long number) ? number : 0;

        private sealed class PendingCall
        {
            public PendingCall(long id, string command)
            {
                Id = id;
                Command = command;
            }

            public long Id { get; }

            public string Command { get; }

            /// <summary>Set once the command's bytes were written (for <c>quit</c>: a later reset means success).</summary>
            public volatile bool Sent;

            public TaskCompletionSource<JsonElement> Completion { get; } =
                new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }
}
