using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Ssh;
using Xunit;

namespace DfVm.Core.Tests.Ssh
{
    /// <summary>
    /// Issue 21 item 4: the pool's warm connection is shared, its log is not. Each caller gets a handle of its
    /// own with its own log, so two callers at once (two runspaces, a cmdlet and a background watch) never
    /// write each other's "guest $ ..." lines; dropping the connection still closes it for every handle.
    /// Against a real sshd on this host (<see cref="LocalSshd"/>).
    /// </summary>
    public sealed class GuestConnectionPoolTests : IDisposable
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
        private readonly LocalSshd _sshd = new LocalSshd();
        private readonly GuestConnectionPool _pool = new GuestConnectionPool();

        public void Dispose()
        {
            _pool.Dispose();
            _sshd.Dispose();
        }

        private static async Task RunSeveralAsync(GuestConnection connection, string word, int count)
        {
            for (int i = 0; i < count; i++)
            {
                var lines = new List<string>();
                var outcome = await connection.RunAsync($"echo {word}-{i}", null, lines.Add, null, CancellationToken.None);
                Assert.Equal(0, outcome.ExitCode);
                Assert.Equal(new[] { $"{word}-{i}" }, lines);
            }
        }

        [Fact]
        public async Task Two_handles_of_one_pooled_connection_each_log_only_their_own_lines()
        {
            var first = new ConcurrentQueue<string>();
            var second = new ConcurrentQueue<string>();
            var a = await _pool.GetAsync(_sshd.Endpoint(), Timeout, CancellationToken.None, first.Enqueue);
            var b = await _pool.GetAsync(_sshd.Endpoint(), Timeout, CancellationToken.None, second.Enqueue);

            // One SSH session: the first caller logged in, the second was handed the warm connection.
            Assert.Single(first, l => l.StartsWith("SSH connect ", StringComparison.Ordinal));
            Assert.Equal(new[] { "SSH reuse warm connection to VM 'localsshd'" }, second.ToArray());
            Assert.True(a.IsConnected && b.IsConnected);

            // Both at once, and the first again after the second was handed out.
            await Task.WhenAll(Task.Run(() => RunSeveralAsync(a, "one", 6)), Task.Run(() => RunSeveralAsync(b, "two", 6)));
            await RunSeveralAsync(a, "one-again", 1);

            var firstCommands = first.Where(l => l.StartsWith("guest $ ", StringComparison.Ordinal)).ToArray();
            var secondCommands = second.Where(l => l.StartsWith("guest $ ", StringComparison.Ordinal)).ToArray();
            Assert.Equal(Enumerable.Range(0, 6).Select(i => $"guest $ echo one-{i}").Concat(new[] { "guest $ echo one-again-0" }), firstCommands);
            Assert.Equal(Enumerable.Range(0, 6).Select(i => $"guest $ echo two-{i}"), secondCommands);
            Assert.DoesNotContain(first, l => l.Contains("two"));
            Assert.DoesNotContain(second, l => l.Contains("one"));
        }

        [Fact]
        public async Task Dropping_the_pooled_connection_closes_it_for_every_handle_and_the_next_caller_logs_in_again()
        {
            var a = await _pool.GetAsync(_sshd.Endpoint(), Timeout, CancellationToken.None);
            var b = await _pool.GetAsync(_sshd.Endpoint(), Timeout, CancellationToken.None);
            await RunSeveralAsync(b, "before", 1);

            _pool.Drop(_sshd.PrivateKeyPath); // what IGuestInvalidation.ConnectionGone does

            Assert.False(a.IsConnected);
            Assert.False(b.IsConnected);
            await Assert.ThrowsAsync<GuestConnectionLostException>(() => RunSeveralAsync(a, "after", 1));
            await Assert.ThrowsAsync<GuestConnectionLostException>(() => RunSeveralAsync(b, "after", 1));

            var log = new ConcurrentQueue<string>();
            var c = await _pool.GetAsync(_sshd.Endpoint(), Timeout, CancellationToken.None, log.Enqueue);
            Assert.Single(log, l => l.StartsWith("SSH connect ", StringComparison.Ordinal));
            await RunSeveralAsync(c, "fresh", 1);
            Assert.False(a.IsConnected); // the old handles stay closed: they are not the new session's
        }

        [Fact]
        public async Task A_handle_without_a_log_runs_commands_and_logs_nowhere()
        {
            var logged = new ConcurrentQueue<string>();
            var a = await _pool.GetAsync(_sshd.Endpoint(), Timeout, CancellationToken.None, logged.Enqueue);
            var quiet = await _pool.GetAsync(_sshd.Endpoint(), Timeout, CancellationToken.None);
            await RunSeveralAsync(quiet, "quiet", 2);
            Assert.DoesNotContain(logged, l => l.Contains("quiet"));
            Assert.Equal(a.Endpoint.Port, quiet.Endpoint.Port);
        }
    }
}
