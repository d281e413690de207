using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Install;
using DfVm.Core.Qemu;
using Xunit;

namespace DfVm.Core.Tests.Install
{
    /// <summary>
    /// The expect-style dialog against a scripted peer on a real unix socket and a real log file
    /// (what QEMU's serial chardev gives it). The whole dialog against the loader imitation in
    /// the test guest is in <see cref="LoaderImitationGuestTests"/>.
    /// </summary>
    public sealed class SerialConsoleDialogTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "dfvm-dialog-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        private readonly Socket _listener;

        public SerialConsoleDialogTests()
        {
            Directory.CreateDirectory(_dir);
            _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            _listener.Bind(UnixSocketConnector.CreateEndPoint(Socket));
            _listener.Listen(1);
        }

        private string Socket => Path.Combine(_dir, "serial.sock");
        private string Log => Path.Combine(_dir, "serial.log");

        public void Dispose()
        {
            _listener.Dispose();
            Directory.Delete(_dir, true);
        }

        private void Print(string text)
        {
            using (var f = new FileStream(Log, FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
            {
                var b = Encoding.ASCII.GetBytes(text);
                f.Write(b, 0, b.Length);
            }
        }

        private static async Task<char> ReadKey(Socket peer)
        {
            // Bounded: a key the dialog never types fails the test instead of hanging the whole run (seen once).
            var b = new byte[1];
            int n = await peer.ReceiveAsync(new ArraySegment<byte>(b), SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(30));
            if (n == 0) throw new EndOfStreamException();
            return (char)b[0];
        }

        private static readonly Regex Ok = new Regex(@"[\r\n]OK ");

        [Fact]
        public async Task A_key_the_peer_dropped_is_typed_again_until_the_answer_comes()
        {
            Print("BIOS\r\n");
            var steps = new[]
            {
                new ConsoleStep { Name = "the menu", Expect = new Regex("Booting in \\d+ seconds"), Timeout = TimeSpan.FromSeconds(20) },
                new ConsoleStep { Name = "the prompt", Send = "9", Expect = Ok, RetryEvery = TimeSpan.FromMilliseconds(500), Timeout = TimeSpan.FromSeconds(20) },
                new ConsoleStep { Name = "the prompt again", Send = "set x\n", Expect = Ok, Timeout = TimeSpan.FromSeconds(20) },
            };
            var log = new List<string>();
            using (var dialog = SerialConsoleDialog.Start(Socket, Log, steps, l => { lock (log) log.Add(l); }))
            using (var peer = await _listener.AcceptAsync())
            {
                // Typed before the menu is there: nothing may be sent yet.
                await Task.Delay(300);
                Assert.Equal(0, peer.Available);
                Print("\r\n 1. Boot\r\n 9. Escape\r\n\rBooting in 10 seconds... ");
                Assert.Equal('9', await ReadKey(peer)); // dropped, like comconsole.c's drain
                Assert.Equal('9', await ReadKey(peer)); // typed again
                Print("\r\nOK ");
                var line = new StringBuilder();
                char c;
                while ((c = await ReadKey(peer)) != '\n')
                {
                    if (line.Length == 0 && c == '9') continue; // one more retry that crossed the answer
                    line.Append(c);
                }
                Assert.Equal("set x", line.ToString());
                Assert.False(dialog.Done.IsCompleted, "the OK before the command does not answer it");
                Print("set x\r\nOK ");
                await dialog.Done.WaitAsync(TimeSpan.FromSeconds(20));
            }
            Assert.Contains(log, l => l.Contains("typing it again"));
            Assert.Contains(log, l => l.Contains("the prompt after") && l.Contains("2x"));
        }

        [Fact]
        public async Task A_prompt_that_never_comes_fails_the_step_within_its_timeout()
        {
            var steps = new[]
            {
                new ConsoleStep { Name = "the loader's OK prompt", Send = "9", Expect = Ok, RetryEvery = TimeSpan.FromMilliseconds(400), Timeout = TimeSpan.FromSeconds(2) },
            };
            var watch = Stopwatch.StartNew();
            using (var dialog = SerialConsoleDialog.Start(Socket, Log, steps))
            using (var peer = await _listener.AcceptAsync())
            {
                Print("\rBooting in 3 seconds... ");
                var e = await Assert.ThrowsAsync<ConsoleStepFailedException>(() => dialog.Done.WaitAsync(TimeSpan.FromSeconds(20)));
                Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(8));
                Assert.Contains("the loader's OK prompt did not appear on the serial console within 2 s after typing '9'", e.Message);
                Assert.InRange(e.Tries, 2, 8);
            }
        }

        [Fact]
        public async Task A_gone_step_types_until_the_countdown_stops()
        {
            var steps = new[]
            {
                // 3 s: the countdown this test prints must come within it after the key, and on a loaded 2-core
                // machine 600 ms was once too short: the step ended as done, the key was never typed again, and
                // the test waited for it for good.
                new ConsoleStep { Name = "the countdown stopping", Send = "1", Gone = new Regex("Booting in"), RetryEvery = TimeSpan.FromSeconds(3), Timeout = TimeSpan.FromSeconds(20) },
            };
            using (var dialog = SerialConsoleDialog.Start(Socket, Log, steps))
            using (var peer = await _listener.AcceptAsync())
            {
                Assert.Equal('1', await ReadKey(peer));
                Print("\rBooting in 4 seconds... "); // the key was lost: still counting
                Assert.Equal('1', await ReadKey(peer));
                Print("\r\nLoading kernel\r\n");
                await dialog.Done.WaitAsync(TimeSpan.FromSeconds(20));
            }
        }

        [Fact]
        public async Task Keeps_draining_what_the_guest_prints()
        {
            var steps = new[] { new ConsoleStep { Name = "nothing", Send = "x" } };
            using (var dialog = SerialConsoleDialog.Start(Socket, Log, steps))
            using (var peer = await _listener.AcceptAsync())
            {
                await dialog.Done.WaitAsync(TimeSpan.FromSeconds(20));
                // Like QEMU: the guest prints a lot. An undrained client would block this send.
                var flood = new byte[4 * 1024 * 1024];
                var send = Task.Run(() => { int sent = 0; while (sent < flood.Length) sent += peer.Send(flood, sent, flood.Length - sent, SocketFlags.None); });
                Assert.True(await Task.WhenAny(send, Task.Delay(TimeSpan.FromSeconds(20))) == send, "the dialog drains the console output");
            }
        }

        [Fact]
        public async Task A_missing_socket_faults_Done()
        {
            using (var dialog = SerialConsoleDialog.Start(Path.Combine(_dir, "none.sock"), Log, new[] { new ConsoleStep { Name = "x", Send = "x" } }))
            {
                await Assert.ThrowsAnyAsync<Exception>(() => dialog.Done.WaitAsync(TimeSpan.FromSeconds(30)));
            }
        }
    }
}
