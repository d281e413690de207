using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Qemu;
using Xunit;

namespace DfVm.Core.Tests.Qmp
{
    /// <summary>The protocol faults a real QEMU will not produce on demand, played by a scripted peer.</summary>
    public sealed class QmpClientScriptedPeerTests
    {
        private static readonly TimeSpan Quick = TimeSpan.FromSeconds(2);

        [Fact]
        public async Task Greeting_split_across_writes_with_events_and_garbage_around_it_negotiates()
        {
            using var peer = new ScriptedQmpPeer();
            Task<QmpClient> connecting = QmpClient.ConnectAsync(peer.SocketPath, TimeSpan.FromSeconds(5), CancellationToken.None, peer.LogLine);
            await peer.AcceptAsync();

            string greeting = ScriptedQmpPeer.Greeting;
            await peer.SendAsync(greeting.Substring(0, 7));
            await Task.Delay(30);
            await peer.SendAsync(greeting.Substring(7, 40));
            await Task.Delay(30);
            await peer.SendAsync(greeting.Substring(47, greeting.Length - 48)); // all but the final "\n"
            await Task.Delay(30);
            await peer.SendAsync("\n" + "this is not json\r\n" + ScriptedQmpPeer.EventLine("RESUME").Substring(0, 20));
            await Task.Delay(30);
            await peer.SendAsync(ScriptedQmpPeer.EventLine("RESUME").Substring(20) + "\r\n");

            string id = await peer.ExpectCommandAsync("qmp_capabilities");
            await peer.SendLineAsync(ScriptedQmpPeer.EventLine("STOP"));
            await peer.ReplyAsync(id);

            using QmpClient client = await connecting;
            Assert.Equal("7.2.19", client.QemuVersion);
            Assert.Equal("Debian 1:7.2+dfsg-7+deb12u7", client.QemuPackage);
            Assert.Equal(new[] { "oob" }, client.Capabilities);
            Assert.Equal(1, client.GarbageLineCount);
            Assert.True(client.IsConnected);
        }

        [Fact]
        public async Task Capabilities_are_negotiated_without_oob_and_every_line_is_logged()
        {
            using var peer = new ScriptedQmpPeer();
            Task<QmpClient> connecting = QmpClient.ConnectAsync(peer.SocketPath, TimeSpan.FromSeconds(5), CancellationToken.None, peer.LogLine);
            await peer.AcceptAsync();
            await peer.SendAsync(ScriptedQmpPeer.Greeting);
            JsonElement negotiate = await peer.ReceiveCommandAsync();
            Assert.Equal("qmp_capabilities", negotiate.GetProperty("execute").GetString());
            Assert.False(negotiate.TryGetProperty("arguments", out _)); // no "enable": ["oob"]
            await peer.ReplyAsync(negotiate.GetProperty("id").GetRawText());
            using QmpClient client = await connecting;

            Task<string> status = client.QueryStatusAsync();
            string id = await peer.ExpectCommandAsync("query-status");
            await peer.ReplyAsync(id, "{\"status\": \"prelaunch\", \"running\": false}");
            Assert.Equal("prelaunch", await status);

            lock (peer.Log)
            {
                Assert.Contains(peer.Log, l => l.StartsWith("QMP <- {\"QMP\""));
                Assert.Contains("QMP -> {\"execute\":\"query-status\",\"id\":" + id + "}", peer.Log);
                Assert.Contains(peer.Log, l => l.StartsWith("QMP <- {\"return\": {\"status\": \"prelaunch\""));
            }
        }

        [Fact]
        public async Task Garbage_lines_between_replies_are_ignored()
        {
            using var peer = new ScriptedQmpPeer();
            using QmpClient client = await peer.ConnectNegotiatedAsync();

            Task<JsonElement> call = client.ExecuteAsync("query-name");
            string id = await peer.ExpectCommandAsync("query-name");
            await peer.SendAsync("garbage\r\n[1,2]\r\n\r\n{\"neither\": 1}\r\n{\"return\": {\"name\": \"dfly\"}, \"id\": " + id + "}\r\n");

            JsonElement result = await call;
            Assert.Equal("dfly", result.GetProperty("name").GetString());
            Assert.Equal(3, client.GarbageLineCount);
            Assert.True(client.IsConnected);
        }

        [Fact]
        public async Task Events_sent_before_the_reply_are_already_in_a_subscription_made_before_the_call()
        {
            using var peer = new ScriptedQmpPeer();
            using QmpClient client = await peer.ConnectNegotiatedAsync();
            QmpEvent raised = null;
            client.EventReceived += (_, e) => raised = e;
            using QmpEventSubscription events = client.Subscribe();

            Task<JsonElement> stop = client.ExecuteAsync("stop");
            string id = await peer.ExpectCommandAsync("stop");
            await peer.SendLineAsync(ScriptedQmpPeer.EventLine("STOP"));
            await peer.SendLineAsync(ScriptedQmpPeer.EventLine("JOB_STATUS_CHANGE", "{\"status\": \"created\", \"id\": \"j1\"}"));
            await peer.ReplyAsync(id);
            await stop;

            Assert.Equal(2, events.Count);
            Assert.True(events.TryTake(out QmpEvent first));
            Assert.Equal("STOP", first.Name);
            Assert.Equal(JsonValueKind.Object, first.Data.ValueKind);
            Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000).AddMilliseconds(250), first.Timestamp);
            QmpEvent job = await events.WaitAsync(e => e.GetDataString("id") == "j1", Quick, CancellationToken.None);
            Assert.Equal("created", job.GetDataString("status"));
            Assert.False(events.TryTake(out _));
            Assert.Equal("JOB_STATUS_CHANGE", raised.Name);
        }

        [Fact]
        public async Task WaitAsync_skips_non_matching_events_and_leaves_them_buffered()
        {
            using var peer = new ScriptedQmpPeer();
            using QmpClient client = await peer.ConnectNegotiatedAsync();
            using QmpEventSubscription events = client.Subscribe();

            Task<QmpEvent> waiting = events.WaitAsync(e => e.Name == "SHUTDOWN", Quick, CancellationToken.None);
            await peer.SendLineAsync(ScriptedQmpPeer.EventLine("POWERDOWN"));
            await peer.SendLineAsync(ScriptedQmpPeer.EventLine("SHUTDOWN", "{\"guest\": true, \"reason\": \"guest-shutdown\"}"));

            QmpEvent shutdown = await waiting;
            Assert.Equal("guest-shutdown", shutdown.GetDataString("reason"));
            Assert.True(events.TryTake(out QmpEvent left));
            Assert.Equal("POWERDOWN", left.Name);
        }

        [Fact]
        public async Task Two_concurrent_calls_answered_in_reverse_order_are_routed_by_id()
        {
            using var peer = new ScriptedQmpPeer();
            using QmpClient client = await peer.ConnectNegotiatedAsync();

            Task<JsonElement> first = client.ExecuteAsync("query-name");
            string firstId = await peer.ExpectCommandAsync("query-name");
            Task<JsonElement> second = client.ExecuteAsync("query-uuid");
            string secondId = await peer.ExpectCommandAsync("query-uuid");
            Assert.NotEqual(firstId, secondId);

            await peer.ReplyAsync(secondId, "{\"UUID\": \"u-2\"}");
            Assert.Equal("u-2", (await second).GetProperty("UUID").GetString());
            Assert.False(first.IsCompleted);
            await peer.ReplyAsync(firstId, "{\"name\": \"n-1\"}");
            Assert.Equal("n-1", (await first).GetProperty("name").GetString());
            Assert.Equal(0, client.PendingCount);
        }

        [Fact]
        public async Task An_error_reply_without_id_is_logged_and_does_not_disturb_pending_calls()
        {
            using var peer = new ScriptedQmpPeer();
            using QmpClient client = await peer.ConnectNegotiatedAsync();

            Task<JsonElement> call = client.ExecuteAsync("query-name");
            string id = await peer.ExpectCommandAsync("query-name");
            await peer.SendLineAsync("{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, invalid keyword 'x'\"}}");
            await peer.SendLineAsync("{\"return\": {}}");
            await ScriptedQmpPeer.Until(() => client.UnroutedReplyCount == 2, "both id-less replies to be read");
            Assert.False(call.IsCompleted);

            await peer.ReplyAsync(id, "{\"name\": \"still fine\"}");
            Assert.Equal("still fine", (await call).GetProperty("name").GetString());
            lock (peer.Log)
            {
                Assert.Contains(peer.Log, l => l.StartsWith("QMP <- {\"error\": {\"class\": \"GenericError\""));
            }
        }

        [Fact]
        public async Task An_error_reply_throws_QmpCommandException_with_the_class()
        {
            using var peer = new ScriptedQmpPeer();
            using QmpClient client = await peer.ConnectNegotiatedAsync();

            Task<JsonElement> call = client.ExecuteAsync("blockdev-del", new { node_name = (string)null, force = true });
            JsonElement sent = await peer.ReceiveCommandAsync();
            Assert.Equal("{\"force\":true}", sent.GetProperty("arguments").GetRawText()); // null members are omitted
            await peer.SendLineAsync("{\"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"no node\"}, \"id\": " + sent.GetProperty("id").GetRawText() + "}");

            var ex = await Assert.ThrowsAsync<QmpCommandException>(() => call);
            Assert.Equal("DeviceNotFound", ex.ErrorClass);
            Assert.Equal("no node", ex.Description);
            Assert.Equal("blockdev-del", ex.Command);
            Assert.Equal("QmpCommandFailed", ex.ErrorId);
        }

        [Fact]
        public async Task A_reset_during_a_pending_call_fails_it_at_once_and_later_calls_fail_immediately()
        {
            using var peer = new ScriptedQmpPeer();
            using QmpClient client = await peer.ConnectNegotiatedAsync();
            using QmpEventSubscription events = client.Subscribe();

            Task<JsonElement> pending = client.ExecuteAsync("query-status", timeout: TimeSpan.FromSeconds(30));
            Task<QmpEvent> waiting = events.WaitAsync(e => e.Name == "NEVER", TimeSpan.FromSeconds(30), CancellationToken.None);
            // With the command unread in the peer's queue, closing resets the socket (ECONNRESET, not EOF).
            await peer.WaitForUnreadBytesAsync();
            Stopwatch clock = Stopwatch.StartNew();
            peer.Reset();

            var ex = await Assert.ThrowsAsync<QmpDisconnectedException>(() => pending);
            await Assert.ThrowsAsync<QmpDisconnectedException>(() => waiting);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), clock.Elapsed.ToString());
            Assert.Equal("QmpDisconnected", ex.ErrorId);
            Assert.True(ex.InnerException is IOException || ex.InnerException is SocketException, ex.ToString());
            Assert.False(client.IsConnected);
            Assert.True(client.Disconnected.IsCompleted);

            clock.Restart();
            await Assert.ThrowsAsync<QmpDisconnectedException>(() => client.ExecuteAsync("query-status", timeout: TimeSpan.FromSeconds(30)));
            await Assert.ThrowsAsync<QmpDisconnectedException>(() =>
                client.Subscribe().WaitAsync(_ => true, TimeSpan.FromSeconds(30), CancellationToken.None));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), clock.Elapsed.ToString());
        }

        [Fact]
        public async Task An_orderly_close_fails_pending_calls_but_buffered_events_stay_takeable()
        {
            using var peer = new ScriptedQmpPeer();
            using QmpClient client = await peer.ConnectNegotiatedAsync();
            using QmpEventSubscription events = client.Subscribe();

            Task<JsonElement> pending = client.ExecuteAsync("system_powerdown");
            await peer.ExpectCommandAsync("system_powerdown");
            await peer.SendLineAsync(ScriptedQmpPeer.EventLine("SHUTDOWN", "{\"guest\": true}"));
            peer.CloseGracefully();

            var ex = await Assert.ThrowsAsync<QmpDisconnectedException>(() => pending);
            Assert.Null(ex.InnerException); // EOF, not an error
            QmpEvent shutdown = await events.WaitAsync(e => e.Name == "SHUTDOWN", Quick, CancellationToken.None);
            Assert.Equal("SHUTDOWN", shutdown.Name);
            await Assert.ThrowsAsync<QmpDisconnectedException>(() => events.WaitAsync(e => e.Name == "SHUTDOWN", Quick, CancellationToken.None));
        }

        [Fact]
        public async Task A_peer_that_never_replies_times_the_call_out_and_the_late_reply_is_dropped()
        {
            using var peer = new ScriptedQmpPeer();
            using QmpClient client = await peer.ConnectNegotiatedAsync();

            Stopwatch clock = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAsync<QmpTimeoutException>(() =>
                client.ExecuteAsync("query-status", timeout: TimeSpan.FromMilliseconds(300)));
            Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(3));
            Assert.Equal("QmpTimeout", ex.ErrorId);
            Assert.Equal(0, client.PendingCount);

            string lateId = await peer.ExpectCommandAsync("query-status");
            await peer.ReplyAsync(lateId, "{\"status\": \"running\"}");

            Task<JsonElement> next = client.ExecuteAsync("query-name");
            string id = await peer.ExpectCommandAsync("query-name");
            await peer.ReplyAsync(id, "{\"name\": \"next\"}");
            Assert.Equal("next", (await next).GetProperty("name").GetString());
            Assert.Equal(1, client.UnroutedReplyCount);
        }

        [Fact]
        public async Task Cancelling_a_call_throws_OperationCanceled_and_removes_it()
        {
            using var peer = new ScriptedQmpPeer();
            using QmpClient client = await peer.ConnectNegotiatedAsync();
            using var cts = new CancellationTokenSource();

            Task<JsonElement> call = client.ExecuteAsync("query-status", null, TimeSpan.FromSeconds(30), cts.Token);
            await peer.ExpectCommandAsync("query-status");
            Assert.Equal(1, client.PendingCount);
            cts.Cancel();

            var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
            Assert.Equal(cts.Token, ex.CancellationToken);
            Assert.Equal(0, client.PendingCount);
            Assert.True(client.IsConnected);
        }

        [Fact]
        public async Task Cancelling_an_event_wait_throws_OperationCanceled()
        {
            using var peer = new ScriptedQmpPeer();
            using QmpClient client = await peer.ConnectNegotiatedAsync();
            using QmpEventSubscription events = client.Subscribe();
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                events.WaitAsync(_ => true, TimeSpan.FromSeconds(30), cts.Token));
            await Assert.ThrowsAsync<QmpTimeoutException>(() =>
                events.WaitAsync(_ => true, TimeSpan.FromMilliseconds(100), CancellationToken.None));
        }

        [Fact]
        public async Task No_greeting_times_the_connect_out()
        {
            using var peer = new ScriptedQmpPeer();
            Task<QmpClient> connecting = QmpClient.ConnectAsync(peer.SocketPath, TimeSpan.FromMilliseconds(400), CancellationToken.None);
            await peer.AcceptAsync();

            var ex = await Assert.ThrowsAsync<QmpTimeoutException>(() => connecting);
            Assert.Contains("greeting", ex.Message);
        }

        [Fact]
        public async Task A_greeting_without_version_is_a_protocol_error()
        {
            using var peer = new ScriptedQmpPeer();
            Task<QmpClient> connecting = QmpClient.ConnectAsync(peer.SocketPath, TimeSpan.FromSeconds(5), CancellationToken.None);
            await peer.AcceptAsync();
            await peer.SendLineAsync("{\"QMP\": {\"capabilities\": []}}");

            var ex = await Assert.ThrowsAsync<QmpProtocolException>(() => connecting);
            Assert.Equal("QmpProtocolError", ex.ErrorId);
        }

        [Fact]
        public async Task Connecting_to_a_missing_socket_fails_as_disconnected()
        {
            using var dir = new TempSocketDir();
            var ex = await Assert.ThrowsAsync<QmpDisconnectedException>(() =>
                QmpClient.ConnectAsync(dir.File("none.sock"), Quick, CancellationToken.None));
            Assert.IsType<SocketException>(ex.InnerException);
        }

        [Fact]
        public async Task Quit_with_a_reply_then_reset_succeeds()
        {
            using var peer = new ScriptedQmpPeer();
            using QmpClient client = await peer.ConnectNegotiatedAsync();

            Task quit = client.QuitAsync(Quick, CancellationToken.None);
            string id = await peer.ExpectCommandAsync("quit");
            await peer.ReplyAsync(id);
            peer.Reset();

            await quit;
            await client.Disconnected.WaitAsync(Quick);
        }

        [Fact]
        public async Task Quit_answered_only_by_a_reset_succeeds()
        {
            using var peer = new ScriptedQmpPeer();
            using QmpClient client = await peer.ConnectNegotiatedAsync();

            Task quit = client.QuitAsync(Quick, CancellationToken.None);
            await peer.WaitForUnreadBytesAsync();
            peer.Reset();

            await quit;
            Assert.False(client.IsConnected);
            // Once gone, quit has nothing to send: that is not success.
            await Assert.ThrowsAsync<QmpDisconnectedException>(() => client.QuitAsync(Quick, CancellationToken.None));
        }

        [Fact]
        public async Task A_job_that_concludes_with_an_error_throws_QmpJobException_after_dismissing_it()
        {
            using var peer = new ScriptedQmpPeer();
            using QmpClient client = await peer.ConnectNegotiatedAsync();
            var args = new System.Collections.Generic.Dictionary<string, object>
            {
                ["job-id"] = "load1", ["tag"] = "nosuch", ["vmstate"] = "disk0", ["devices"] = new[] { "disk0" },
            };

            Task job = client.RunJobAsync("snapshot-load", args, "load1", TimeSpan.FromSeconds(5), CancellationToken.None);
            JsonElement load = await peer.ReceiveCommandAsync();
            Assert.Equal("load1", load.GetProperty("arguments").GetProperty("job-id").GetString());
            // The concluded event comes before the command's own reply.
            await peer.SendLineAsync(ScriptedQmpPeer.EventLine("JOB_STATUS_CHANGE", "{\"status\": \"created\", \"id\": \"load1\"}"));
            await peer.SendLineAsync(ScriptedQmpPeer.EventLine("JOB_STATUS_CHANGE", "{\"status\": \"concluded\", \"id\": \"other\"}"));
            await peer.SendLineAsync(ScriptedQmpPeer.EventLine("JOB_STATUS_CHANGE", "{\"status\": \"concluded\", \"id\": \"load1\"}"));
            await peer.ReplyAsync(load.GetProperty("id").GetRawText());

            string queryId = await peer.ExpectCommandAsync("query-jobs");
            await peer.ReplyAsync(queryId,
                "[{\"id\": \"other\", \"status\": \"concluded\"}, {\"id\": \"load1\", \"type\": \"snapshot-load\", \"status\": \"concluded\", \"error\": \"Snapshot 'nosuch' does not exist\"}]");
            JsonElement dismiss = await peer.ReceiveCommandAsync();
            Assert.Equal("job-dismiss", dismiss.GetProperty("execute").GetString());
            Assert.Equal("load1", dismiss.GetProperty("arguments").GetProperty("id").GetString());
            await peer.ReplyAsync(dismiss.GetProperty("id").GetRawText());

            var ex = await Assert.ThrowsAsync<QmpJobException>(() => job);
            Assert.Equal("Snapshot 'nosuch' does not exist", ex.JobError);
            Assert.Equal("QmpJobFailed", ex.ErrorId);
        }
    }
}
