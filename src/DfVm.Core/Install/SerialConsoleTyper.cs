using System;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Qemu;

namespace DfVm.Core.Install
{
    /// <summary>
    /// Types text into a VM's serial console: connects to QEMU's serial chardev socket
    /// (vm/&lt;name&gt;/serial.sock), waits, writes the text, and keeps reading (and dropping) what the
    /// guest prints until disposed. Reading matters twice over: an unread socket would stall the
    /// guest's serial output once its buffer fills, and QEMU drops input it has not yet handed to
    /// the guest's UART when the client hangs up, so the connection stays open until the caller
    /// knows the guest has taken the keys. The serial log file is written by QEMU either way.
    /// </summary>
    public sealed class SerialConsoleTyper : IDisposable
    {
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly TaskCompletionSource<bool> _typed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        private Socket _socket;
        private Task _work;

        private SerialConsoleTyper() { }

        /// <summary>Completes when the text was written to the socket; faults when the socket could not be reached.</summary>
        public Task Typed => _typed.Task;

        /// <summary>
        /// Starts typing <paramref name="text"/> (UTF-8, sent as is: use "\n" line ends) after
        /// <paramref name="delay"/>, counted from the connect.
        /// </summary>
        public static SerialConsoleTyper Start(string socketPath, string text, TimeSpan delay, Action<string> log = null)
        {
            var typer = new SerialConsoleTyper();
            typer._work = Task.Run(() => typer.RunAsync(socketPath, Encoding.UTF8.GetBytes(text ?? ""), delay, log));
            return typer;
        }

        private async Task RunAsync(string socketPath, byte[] bytes, TimeSpan delay, Action<string> log)
        {
            var ct = _stop.Token;
            try
            {
                _socket = await UnixSocketConnector.ConnectAsync(socketPath, TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
                var drain = DrainAsync(_socket, ct);
                await Task.Delay(delay, ct).ConfigureAwait(false);
                int sent = 0;
                while (sent < bytes.Length)
                {
                    sent += await _socket.SendAsync(new ArraySegment<byte>(bytes, sent, bytes.Length - sent), SocketFlags.None).ConfigureAwait(false);
                }
                log?.Invoke($"Typed {bytes.Length} bytes into the serial console ({socketPath}).");
                _typed.TrySetResult(true);
                await drain.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _typed.TrySetCanceled();
            }
            catch (Exception e) when (e is SocketException || e is ObjectDisposedException || e is TimeoutException || e is System.IO.IOException)
            {
                log?.Invoke($"Serial console {socketPath}: {e.Message}");
                _typed.TrySetException(e);
            }
        }

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
}
