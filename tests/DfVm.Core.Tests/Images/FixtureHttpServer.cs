using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace DfVm.Core.Tests.Images
{
    /// <summary>
    /// A tiny HTTP/1.1 server on 127.0.0.1 (raw TcpListener, one request per connection) that
    /// serves fixture files, honours or ignores Range, and can cut a body short on purpose.
    /// </summary>
    internal sealed class FixtureHttpServer : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly Task _loop;
        private readonly ConcurrentDictionary<string, byte[]> _files = new ConcurrentDictionary<string, byte[]>();
        private int _dropNextBodyAfter = -1;
        private int _stallNextBodyAfter = -1;

        public FixtureHttpServer()
        {
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _loop = Task.Run(AcceptLoop);
        }

        public int Port { get; }

        /// <summary>The mirror folder URI ("http://127.0.0.1:port/iso-images/").</summary>
        public Uri Mirror => new Uri($"http://127.0.0.1:{Port}/iso-images/");

        /// <summary>Every request seen, in order.</summary>
        public ConcurrentQueue<SeenRequest> Requests { get; } = new ConcurrentQueue<SeenRequest>();

        /// <summary>Answer every GET with 200 and the whole file, whatever Range says.</summary>
        public bool IgnoreRange { get; set; }

        public void Serve(string fileName, byte[] content) => _files[fileName] = content;

        public void Remove(string fileName) => _files.TryRemove(fileName, out _);

        /// <summary>The next body sent for a file bigger than <paramref name="bytes"/> stops after that many bytes and the connection closes.</summary>
        public void DropNextBodyAfter(int bytes) => Interlocked.Exchange(ref _dropNextBodyAfter, bytes);

        /// <summary>The next body for a file bigger than <paramref name="bytes"/> stops after that many bytes; the connection stays open, silent.</summary>
        public void StallNextBodyAfter(int bytes) => Interlocked.Exchange(ref _stallNextBodyAfter, bytes);

        private async Task AcceptLoop()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync().ConfigureAwait(false);
                }
                catch (Exception) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                _ = Task.Run(() => Handle(client));
            }
        }

        private async Task Handle(TcpClient client)
        {
            using (client)
            {
                try
                {
                    var stream = client.GetStream();
                    var head = await ReadHeadAsync(stream).ConfigureAwait(false);
                    if (head == null) return;
                    var lines = head.Split(new[] { "\r\n" }, StringSplitOptions.None);
                    var parts = lines[0].Split(' ');
                    var method = parts[0];
                    var path = Uri.UnescapeDataString(parts[1]);
                    var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                    for (var i = 1; i < lines.Length; i++)
                    {
                        var colon = lines[i].IndexOf(':');
                        if (colon > 0) headers[lines[i].Substring(0, colon).Trim()] = lines[i].Substring(colon + 1).Trim();
                    }
                    headers.TryGetValue("Range", out var range);
                    headers.TryGetValue("If-Range", out var ifRange);
                    Requests.Enqueue(new SeenRequest(method, path, range, ifRange));
                    await RespondAsync(stream, method, path, range, ifRange).ConfigureAwait(false);
                }
                catch (IOException)
                {
                }
                catch (SocketException)
                {
                }
            }
        }

        /// <summary>A strong ETag that changes with the file's content.</summary>
        public static string ETagOf(byte[] content)
        {
            using (var md5 = System.Security.Cryptography.MD5.Create()) return "\"" + BitConverter.ToString(md5.ComputeHash(content)).Replace("-", "").ToLowerInvariant() + "\"";
        }

        private async Task RespondAsync(NetworkStream stream, string method, string path, string range, string ifRange)
        {
            var name = path.Substring(path.LastIndexOf('/') + 1);
            if (!path.StartsWith("/iso-images/", StringComparison.Ordinal) || !_files.TryGetValue(name, out var content))
            {
                await WriteHeadAsync(stream, "404 Not Found", new Dictionary<string, string> { ["Content-Length"] = "0" }).ConfigureAwait(false);
                return;
            }

            long start = 0;
            var status = "200 OK";
            var headers = new Dictionary<string, string>();
            string etag = ETagOf(content);
            headers["ETag"] = etag;
            // If-Range: the range only if the file is still the one the client has the start of; else the whole new file.
            if (ifRange != null && ifRange != etag) range = null;
            if (range != null && !IgnoreRange && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith("-", StringComparison.Ordinal))
            {
                start = long.Parse(range.Substring(6, range.Length - 7));
                if (start >= content.Length)
                {
                    headers["Content-Range"] = $"bytes */{content.Length}";
                    headers["Content-Length"] = "0";
                    await WriteHeadAsync(stream, "416 Range Not Satisfiable", headers).ConfigureAwait(false);
                    return;
                }
                status = "206 Partial Content";
                headers["Content-Range"] = $"bytes {start}-{content.Length - 1}/{content.Length}";
            }
            var length = content.Length - start;
            headers["Content-Length"] = length.ToString();
            headers["Accept-Ranges"] = IgnoreRange ? "none" : "bytes";
            await WriteHeadAsync(stream, status, headers).ConfigureAwait(false);
            if (method == "HEAD") return;

            var send = (int)length;
            var drop = content.Length > 4096 ? Interlocked.Exchange(ref _dropNextBodyAfter, -1) : -1;
            if (drop >= 0) send = Math.Min(send, drop);
            var stall = content.Length > 4096 ? Interlocked.Exchange(ref _stallNextBodyAfter, -1) : -1;
            if (stall >= 0) send = Math.Min(send, stall);
            await stream.WriteAsync(content, (int)start, send).ConfigureAwait(false);
            await stream.FlushAsync().ConfigureAwait(false);
            if (stall >= 0)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        private static async Task WriteHeadAsync(NetworkStream stream, string status, Dictionary<string, string> headers)
        {
            var sb = new StringBuilder();
            sb.Append("HTTP/1.1 ").Append(status).Append("\r\n");
            foreach (var kv in headers) sb.Append(kv.Key).Append(": ").Append(kv.Value).Append("\r\n");
            sb.Append("Connection: close\r\n\r\n");
            var bytes = Encoding.ASCII.GetBytes(sb.ToString());
            await stream.WriteAsync(bytes, 0, bytes.Length).ConfigureAwait(false);
        }

        private static async Task<string> ReadHeadAsync(NetworkStream stream)
        {
            var buffer = new List<byte>();
            var one = new byte[1];
            while (buffer.Count < 16384)
            {
                var read = await stream.ReadAsync(one, 0, 1).ConfigureAwait(false);
                if (read == 0) return null;
                buffer.Add(one[0]);
                var n = buffer.Count;
                if (n >= 4 && buffer[n - 4] == '\r' && buffer[n - 3] == '\n' && buffer[n - 2] == '\r' && buffer[n - 1] == '\n')
                    return Encoding.ASCII.GetString(buffer.ToArray(), 0, n - 4);
            }
            return null;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            try
            {
                _loop.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
            }
        }
    }

    internal sealed class SeenRequest
    {
        public SeenRequest(string method, string path, string range, string ifRange = null)
        {
            Method = method;
            Path = path;
            Range = range;
            IfRange = ifRange;
        }

        public string Method { get; }
        public string Path { get; }
        public string Range { get; }
        public string IfRange { get; }

        public override string ToString() => $"{Method} {Path} Range={Range}";
    }
}
