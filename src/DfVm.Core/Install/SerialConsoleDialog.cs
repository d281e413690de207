using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Qemu;

namespace DfVm.Core.Install
{
    /// <summary>
    /// Runs an expect-style dialog (<see cref="ConsoleStep"/>s, in order) on a VM's serial console:
    /// types into QEMU's serial chardev socket (vm/&lt;name&gt;/serial.sock) and reads the answers
    /// from the serial log file QEMU writes (every byte since the boot, so nothing printed before
    /// the connect is missed). The socket is kept open and drained until disposed: an unread
    /// socket would stall the guest's serial output once its buffer fills, and QEMU drops input
    /// it has not yet handed to the UART when the client hangs up. <see cref="Done"/> faults
    /// with <see cref="ConsoleStepFailedException"/> when a step's answer does not come in time.
    /// </summary>
    public sealed class SerialConsoleDialog : IDisposable
    {
        private static readonly Encoding Latin1 = Encoding.GetEncoding("ISO-8859-1");
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly TaskCompletionSource<bool> _done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly string _logPath;
        private readonly StringBuilder _text = new StringBuilder();
        private long _offset;
        private Socket _socket;
        private Task _work;

        private SerialConsoleDialog(string logPath) { _logPath = logPath; }

        /// <summary>Completes when every step got its answer; faults with <see cref="ConsoleStepFailedException"/> or a socket error.</summary>
        public Task Done => _done.Task;

        /// <summary>How often the serial log is read.</summary>
        public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

        public static SerialConsoleDialog Start(string socketPath, string serialLogPath, IReadOnlyList<ConsoleStep> steps, Action<string> log = null)
        {
            if (steps == null) throw new ArgumentNullException(nameof(steps));
            var dialog = new SerialConsoleDialog(serialLogPath);
            dialog._work = Task.Run(async () =>
            {
                try
                {
                    await dialog.RunAsync(socketPath, steps, log).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    dialog._done.TrySetCanceled();
                }
                catch (Exception e)
                {
                    dialog._done.TrySetException(e);
                }
            });
            return dialog;
        }

        private async Task RunAsync(string socketPath, IReadOnlyList<ConsoleStep> steps, Action<string> log)
        {
            var ct = _stop.Token;
            _socket = await UnixSocketConnector.ConnectAsync(socketPath, TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
            var drain = DrainAsync(_socket, ct);
            var whole = Stopwatch.StartNew();
            int position = 0; // where the previous step's answer ended
            foreach (var step in steps)
            {
                position = await RunStepAsync(step, position, whole, log, ct).ConfigureAwait(false);
            }
            log?.Invoke($"Serial console dialog done after {whole.Elapsed.TotalSeconds:0} s.");
            _done.TrySetResult(true);
            // Keep draining (and the connection open) until disposed.
            await drain.ConfigureAwait(false);
        }

        private async Task<int> RunStepAsync(ConsoleStep step, int position, Stopwatch whole, Action<string> log, CancellationToken ct)
        {
            var watch = Stopwatch.StartNew();
            var sinceSend = Stopwatch.StartNew();
            int tries = 0;
            int mark = position;
            byte[] keys = step.Send == null ? null : Encoding.UTF8.GetBytes(step.Send);
            while (true)
            {
                if (keys != null && tries == 0)
                {
                    mark = ReadAll().Length;
                    await SendAsync(keys).ConfigureAwait(false);
                    tries++;
                    sinceSend.Restart();
                }
                string text = ReadAll();
                if (step.Gone != null)
                {
                    if (sinceSend.Elapsed >= (step.RetryEvery ?? TimeSpan.Zero) && !step.Gone.IsMatch(text, mark))
                    {
                        log?.Invoke($"Serial console: {step.Name} after {whole.Elapsed.TotalSeconds:0} s (typed {Show(step.Send)} {tries}x).");
                        return text.Length;
                    }
                }
                else if (step.Expect != null)
                {
                    var m = step.Expect.Match(text, mark);
                    if (m.Success)
                    {
                        log?.Invoke($"Serial console: {step.Name} after {whole.Elapsed.TotalSeconds:0} s" + (keys != null ? $" (typed {Show(step.Send)} {tries}x)." : "."));
                        return m.Index + m.Length;
                    }
                }
                else
                {
                    return text.Length;
                }
                if (watch.Elapsed > step.Timeout)
                    throw new ConsoleStepFailedException(step, tries, watch.Elapsed);
                if (keys != null && step.RetryEvery.HasValue && sinceSend.Elapsed >= step.RetryEvery.Value)
                {
                    // Typed before the loader listened (it drains its input when the serial console starts): type again.
                    log?.Invoke($"Serial console: no answer to {Show(step.Send)} within {step.RetryEvery.Value.TotalSeconds:0} s ({step.Name}); typing it again.");
                    mark = text.Length;
                    await SendAsync(keys).ConfigureAwait(false);
                    tries++;
                    sinceSend.Restart();
                }
                await Task.Delay(PollInterval, ct).ConfigureAwait(false);
            }
        }

        /// <summary>The serial text so far (Latin-1, as printed: control characters kept).</summary>
        private string ReadAll()
        {
            if (File.Exists(_logPath))
            {
                using (var stream = new FileStream(_logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
                {
                    if (stream.Length > _offset)
                    {
                        stream.Seek(_offset, SeekOrigin.Begin);
                        var buffer = new byte[stream.Length - _offset];
                        int n = stream.Read(buffer, 0, buffer.Length);
                        _offset += n;
                        _text.Append(Latin1.GetString(buffer, 0, n));
                    }
                }
            }
            return _text.ToString();
        }

        private async Task SendAsync(byte[] bytes)
        {
            int sent = 0;
            while (sent < bytes.Length)
            {
                sent += await _socket.SendAsync(new ArraySegment<byte>(bytes, sent, bytes.Length - sent), SocketFlags.None).ConfigureAwait(false);
            }
        }

        internal static string Show(string keys) =>
            "'" + (keys ?? "").Replace("\n", "\\n").Replace("\r", "\\r").Replace("\u001b", "ESC") + "'";

        private static async Task DrainAsync(Socket socket, CancellationToken ct)
        {
            var buffer = new byte[8192];
            using (ct.Register(() => { try { socket.Shutdown(SocketShutdown.Both); } catch (Exception) { } }))
            {
                while (!ct.IsCancellationRequested)
                {
                    int n;
                    try
                    {
                        n = await socket.ReceiveAsync(new ArraySegment<byte>(buffer), SocketFlags.None).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is SocketException || e is ObjectDisposedException)
                    {
                        return;
                    }
                    if (n == 0) return; // QEMU went away
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            try { _work?.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
            _socket?.Dispose();
            _stop.Dispose();
        }
    }

    /// <summary>A serial console step's answer did not come within its timeout.</summary>
    public sealed class ConsoleStepFailedException : Exception
    {
        public ConsoleStepFailedException(ConsoleStep step, int tries, TimeSpan elapsed)
            : base(step.Send == null
                ? $"{step.Name} did not appear on the serial console within {step.Timeout.TotalSeconds:0} s"
                : $"{step.Name} did not appear on the serial console within {step.Timeout.TotalSeconds:0} s after typing {SerialConsoleDialog.Show(step.Send)}" +
                  (tries > 1 ? $" ({tries} times)" : ""))
        {
            Step = step;
            Tries = tries;
            Elapsed = elapsed;
        }

        public ConsoleStep Step { get; }
        public int Tries { get; }
        public TimeSpan Elapsed { get; }
    }
}
