using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Qemu;
using Xunit;

namespace DfVm.Core.Tests.Qmp
{
    /// <summary>The QMP client against a real qemu-system-x86_64.</summary>
    public sealed class QmpClientRealQemuTests
    {
        private static readonly TimeSpan Quick = TimeSpan.FromSeconds(5);

        [Fact]
        public async Task Connects_negotiates_and_reports_version_and_prelaunch_status()
        {
            using QemuUnderTest qemu = await QemuUnderTest.StartBareAsync();
            var log = new List<string>();
            using QmpClient client = await qemu.ConnectAsync(line => { lock (log) { log.Add(line); } });

            Assert.Matches(new Regex(@"^\d+\.\d+\.\d+$"), client.QemuVersion);
            Assert.NotEqual("0.0.0", client.QemuVersion);
            Assert.Equal("prelaunch", await client.QueryStatusAsync());
            lock (log)
            {
                Assert.Contains("QMP -> {\"execute\":\"qmp_capabilities\",\"id\":1}", log);
                Assert.Contains(log, l => l.StartsWith("QMP <- {\"QMP\": {\"version\""));
                Assert.Contains(log, l => l.StartsWith("QMP -> {\"execute\":\"query-status\",\"id\":"));
            }
        }

        [Fact]
        public async Task A_bogus_command_throws_CommandNotFound_and_the_connection_stays_usable()
        {
            using QemuUnderTest qemu = await QemuUnderTest.StartBareAsync();
            using QmpClient client = await qemu.ConnectAsync();

            var ex = await Assert.ThrowsAsync<QmpCommandException>(() => client.ExecuteAsync("dfvm-no-such-command"));
            Assert.Equal("CommandNotFound", ex.ErrorClass);
            Assert.Equal("QmpCommandFailed", ex.ErrorId);

            var bad = await Assert.ThrowsAsync<QmpCommandException>(() =>
                client.ExecuteAsync("query-status", new { bogus = 1 }));
            Assert.Equal("GenericError", bad.ErrorClass);

            Assert.Equal("prelaunch", await client.QueryStatusAsync());
            string hmp = await client.HumanMonitorCommandAsync("info status");
            Assert.Contains("prelaunch", hmp);
        }

        [Fact]
        public async Task Cont_and_stop_events_are_seen_by_a_subscription_made_before_the_call()
        {
            using QemuUnderTest qemu = await QemuUnderTest.StartPcAsync();
            using QmpClient client = await qemu.ConnectAsync();
            var raised = new List<string>();
            client.EventReceived += (_, e) => { lock (raised) { raised.Add(e.Name); } };
            using QmpEventSubscription events = client.Subscribe();

            await client.ExecuteAsync("cont");
            // QEMU sends RESUME before cont's reply: it is buffered by the time the call returns.
            Assert.True(events.TryTake(out QmpEvent resume));
            Assert.Equal("RESUME", resume.Name);
            Assert.InRange(resume.Timestamp, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
            Assert.Equal("running", await client.QueryStatusAsync());

            await client.ExecuteAsync("stop");
            QmpEvent stop = await events.WaitAsync(e => e.Name == "STOP", Quick, CancellationToken.None);
            Assert.Equal("STOP", stop.Name);
            Assert.Equal("paused", await client.QueryStatusAsync());
            lock (raised)
            {
                Assert.Equal(new[] { "RESUME", "STOP" }, raised);
            }
        }

        [Fact]
        public async Task Quit_succeeds_and_qemu_exits()
        {
            using QemuUnderTest qemu = await QemuUnderTest.StartBareAsync();
            using QmpClient client = await qemu.ConnectAsync();

            await client.QuitAsync(Quick, CancellationToken.None);

            Assert.True(qemu.Process.WaitForExit(5000), "qemu did not exit after quit");
            await client.Disconnected.WaitAsync(Quick);
            Stopwatch clock = Stopwatch.StartNew();
            await Assert.ThrowsAsync<QmpDisconnectedException>(() => client.QueryStatusAsync());
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1));
        }

        [Fact]
        public async Task Sigkill_during_an_event_wait_fails_it_with_disconnected_quickly()
        {
            using QemuUnderTest qemu = await QemuUnderTest.StartBareAsync();
            using QmpClient client = await qemu.ConnectAsync();
            using QmpEventSubscription events = client.Subscribe();
            Task<QmpEvent> waiting = events.WaitAsync(e => e.Name == "SHUTDOWN", TimeSpan.FromSeconds(60), CancellationToken.None);
            await Task.Delay(100);
            Assert.False(waiting.IsCompleted);

            Stopwatch clock = Stopwatch.StartNew();
            qemu.KillHard();

            await Assert.ThrowsAsync<QmpDisconnectedException>(() => waiting);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), clock.Elapsed.ToString());
            await Assert.ThrowsAsync<QmpDisconnectedException>(() => client.QueryStatusAsync());
        }

        [Fact]
        public async Task Sigkill_of_a_frozen_qemu_fails_the_pending_call_with_disconnected_quickly()
        {
            using QemuUnderTest qemu = await QemuUnderTest.StartBareAsync();
            using QmpClient client = await qemu.ConnectAsync();
            qemu.Freeze();

            Task<JsonElement> pending = client.ExecuteAsync("query-status", timeout: TimeSpan.FromSeconds(60));
            await Task.Delay(200);
            Assert.False(pending.IsCompleted);

            Stopwatch clock = Stopwatch.StartNew();
            qemu.KillHard();

            await Assert.ThrowsAsync<QmpDisconnectedException>(() => pending);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), clock.Elapsed.ToString());
        }

        [Fact]
        public async Task A_second_client_gets_no_greeting_while_the_first_is_connected()
        {
            using QemuUnderTest qemu = await QemuUnderTest.StartBareAsync();
            using QmpClient first = await qemu.ConnectAsync();

            var ex = await Assert.ThrowsAsync<QmpTimeoutException>(() =>
                QmpClient.ConnectAsync(qemu.SocketPath, TimeSpan.FromMilliseconds(500), CancellationToken.None));
            Assert.Contains("another client", ex.Message);
            Assert.Equal("prelaunch", await first.QueryStatusAsync());
        }

        [Fact]
        public async Task Snapshot_jobs_run_to_conclusion_and_a_failed_load_throws_QmpJobException()
        {
            using var images = new TempSocketDir();
            string disk = images.File("disk.qcow2");
            RunQemuImg("create", "-q", "-f", "qcow2", disk, "16M");
            string blockdev = "{\"driver\":\"qcow2\",\"node-name\":\"disk0\",\"file\":{\"driver\":\"file\",\"filename\":\"" + disk + "\"}}";
            using QemuUnderTest qemu = await QemuUnderTest.StartPcAsync("-blockdev", blockdev);
            using QmpClient client = await qemu.ConnectAsync();

            await client.RunJobAsync("snapshot-save", JobArgs("save1", "t1"), "save1", TimeSpan.FromSeconds(20), CancellationToken.None);
            Assert.Contains("t1", await client.HumanMonitorCommandAsync("info snapshots"));

            var ex = await Assert.ThrowsAsync<QmpJobException>(() =>
                client.RunJobAsync("snapshot-load", JobArgs("load1", "nosuch"), "load1", TimeSpan.FromSeconds(20), CancellationToken.None));
            Assert.Equal("load1", ex.JobId);
            Assert.False(string.IsNullOrWhiteSpace(ex.JobError));
            JsonElement jobs = await client.ExecuteAsync("query-jobs");
            Assert.Equal(0, jobs.GetArrayLength()); // dismissed even though it failed

            await client.RunJobAsync("snapshot-load", JobArgs("load2", "t1"), "load2", TimeSpan.FromSeconds(20), CancellationToken.None);
            await client.RunJobAsync("snapshot-delete", new Dictionary<string, object>
            {
                ["job-id"] = "del1", ["tag"] = "t1", ["devices"] = new[] { "disk0" },
            }, "del1", TimeSpan.FromSeconds(20), CancellationToken.None);
            Assert.DoesNotContain("t1", await client.HumanMonitorCommandAsync("info snapshots"));
        }

        private static Dictionary<string, object> JobArgs(string jobId, string tag) => new Dictionary<string, object>
        {
            ["job-id"] = jobId, ["tag"] = tag, ["vmstate"] = "disk0", ["devices"] = new[] { "disk0" },
        };

        private static void RunQemuImg(params string[] args)
        {
            var start = new ProcessStartInfo("/usr/bin/qemu-img") { UseShellExecute = false, RedirectStandardError = true };
            foreach (string arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            using Process process = Process.Start(start);
            string stderr = process.StandardError.ReadToEnd();
            if (!process.WaitForExit(10000) || process.ExitCode != 0)
            {
                throw new InvalidOperationException("qemu-img failed: " + stderr);
            }
        }
    }
}
