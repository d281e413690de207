using System;
using System.Collections.Generic;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Qemu;

namespace DfVm.Core.Tests.Qmp
{
    /// <summary>
    /// A test-owned QMP server on a real unix socket that plays scripts byte for byte: partial
    /// greetings, garbage, events before replies, replies out of order, resets. Used for the
    /// faults a real QEMU will not produce on demand.
    /// </summary>
    internal sealed class ScriptedQmpPeer : IDisposable
    {
        public const string Greeting =
            "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 19, \"minor\": 2, \"major\": 7}, \"package\": \"Debian 1:7.2+dfsg-7+deb12u7\"}, \"capabilities\": [\"oob\"]}}\r\n";

        private static readonly TimeSpan IoTimeout = TimeSpan.FromSeconds(5);

        private readonly TempSocketDir _dir = new TempSocketDir();
        private readonly Socket _listener;
        private readonly List<byte> _received = new List<byte>();
        private Socket _connection;

        public ScriptedQmpPeer()
        {
            SocketPath = _dir.File("qmp.sock");
            _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
            _listener.Listen(4);
        }

        public string SocketPath { get; }

        public List<string> Log { get; } = new List<string>();

        public void LogLine(string line)
        {
            lock (Log)
            {
                Log.Add(line);
            }
        }

        public async Task AcceptAsync()
        {
            using (var cts = new CancellationTokenSource(IoTimeout))
            {
                _connection = await _listener.AcceptAsync(cts.Token);
            }
        }

        public Task SendAsync(string text) => SendBytesAsync(Encoding.UTF8.GetBytes(text));

        public Task SendLineAsync(string json) => SendAsync(json + "\r\n");

        public async Task SendBytesAsync(byte[] bytes)
        {
            int sent = 0;
            while (sent < bytes.Length)
            {
                sent += await _connection.SendAsync(new ArraySegment<byte>(bytes, sent, bytes.Length - sent), SocketFlags.None);
            }
        }

        /// <summary>Reads the next command the client sent (one JSON object per line).</summary>
        public async Task<JsonElement> ReceiveCommandAsync()
        {
            var buffer = new byte[4096];
            using (var cts = new CancellationTokenSource(IoTimeout))
            {
                while (true)
                {
                    int newline = _received.IndexOf((byte)'\n');
                    if (newline >= 0)
                    {
                        byte[] line = _received.GetRange(0, newline).ToArray();
                        _received.RemoveRange(0, newline + 1);
                        using (JsonDocument doc = JsonDocument.Parse(line))
                        {
                            return doc.RootElement.Clone();
                        }
                    }

                    int count = await _connection.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, cts.Token);
                    if (count == 0)
                    {
                        throw new InvalidOperationException("The client closed the connection.");
                    }

                    _received.AddRange(new ArraySegment<byte>(buffer, 0, count));
                }
            }
        }

        /// <summary>Receives a command, checks its name, returns its id as raw JSON.</summary>
        public async Task<string> ExpectCommandAsync(string name)
        {
            JsonElement command = await ReceiveCommandAsync();
            if (command.GetProperty("execute").GetString() != name)
            {
                throw new InvalidOperationException($"Expected '{name}', got {command.GetRawText()}");
            }

            return command.GetProperty("id").GetRawText();
        }

        public Task ReplyAsync(string id, string returnJson = "{}") =>
            SendLineAsync("{\"return\": " + returnJson + ", \"id\": " + id + "}");

        public static string EventLine(string name, string dataJson = null) =>
            "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 250000}, \"event\": \"" + name + "\"" +
            (dataJson == null ? string.Empty : ", \"data\": " + dataJson) + "}";

        /// <summary>Connects a client, plays the greeting and answers qmp_capabilities.</summary>
        public async Task<QmpClient> ConnectNegotiatedAsync()
        {
            Task<QmpClient> connecting = QmpClient.ConnectAsync(SocketPath, TimeSpan.FromSeconds(5), CancellationToken.None, LogLine);
            await AcceptAsync();
            await SendAsync(Greeting);
            await ReplyAsync(await ExpectCommandAsync("qmp_capabilities"));
            return await connecting;
        }

        /// <summary>Waits until the client's bytes sit unread in this peer's receive queue.</summary>
        public async Task WaitForUnreadBytesAsync()
        {
            await Until(() => _connection.Available > 0, "the client's command to arrive");
        }

        /// <summary>Polls <paramref name="condition"/> for up to 5 s (the reader runs on its own thread).</summary>
        public static async Task Until(Func<bool> condition, string what)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!condition())
            {
                if (clock.Elapsed > IoTimeout)
                {
                    throw new TimeoutException("Timed out waiting for " + what);
                }

                await Task.Delay(10);
            }
        }

        /// <summary>Closes with SO_LINGER 0; with unread client data in the queue the client sees ECONNRESET.</summary>
        public void Reset()
        {
            _connection.LingerState = new LingerOption(true, 0);
            _connection.Close();
        }

        /// <summary>Orderly close: the client reads EOF.</summary>
        public void CloseGracefully()
        {
            _connection.Shutdown(SocketShutdown.Both);
            _connection.Close();
        }

        public void Dispose()
        {
            _connection?.Dispose();
            _listener.Dispose();
            _dir.Dispose();
        }
    }
}
