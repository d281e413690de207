using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Sync;
using Xunit;
using Xunit.Abstractions;

namespace DfVm.Core.Tests.Sync
{
    /// <summary>Big files, many files, and the cost of a resync that has nothing to do.</summary>
    [Collection("Sync")]
    public sealed class ProjectSyncerScaleTests
    {
        private readonly ITestOutputHelper _out;

        public ProjectSyncerScaleTests(ITestOutputHelper output)
        {
            _out = output;
        }

        [Fact]
        public async Task TwoHundredMegabyteFileStreamsWithBoundedMemory()
        {
            using var box = new SyncSandbox();
            const long size = 200L * 1024 * 1024 + 123;
            using (var fs = new FileStream(box.Src("big.img"), FileMode.CreateNew))
            {
                fs.SetLength(size); // sparse: fast to make, read back as zeros
                foreach (long at in new[] { 0L, 1L << 20, size / 2, size - 10 })
                {
                    fs.Position = at;
                    fs.Write(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 });
                }
            }
            box.Write("small", "s");

            GC.Collect();
            long allocatedBefore = GC.GetTotalAllocatedBytes(true);
            var clock = Stopwatch.StartNew();
            SyncOutcome o = await box.SyncAsync();
            clock.Stop();
            long allocated = GC.GetTotalAllocatedBytes(true) - allocatedBefore;
            _out.WriteLine($"200 MB sync: {clock.ElapsedMilliseconds} ms, {allocated / 1024} KiB allocated, {o.Result.BytesSent} bytes sent");

            Assert.True(allocated < 40L * 1024 * 1024, $"allocated {allocated} bytes: the file was buffered, not streamed");
            Assert.True(o.Result.BytesSent > size);
            box.AssertInSync();
        }

        [Fact]
        public async Task TenThousandSmallFilesSyncThenOneTouchSendsOne()
        {
            using var box = new SyncSandbox();
            var setup = Stopwatch.StartNew();
            for (int d = 0; d < 100; d++)
            {
                string dir = box.Src($"pkg{d:000}");
                Directory.CreateDirectory(dir);
                for (int f = 0; f < 100; f++)
                {
                    File.WriteAllText(Path.Combine(dir, $"file{f:000}.go"), $"package p{d}\n// {f}\n");
                }
            }

            _out.WriteLine($"made 10,000 files: {setup.ElapsedMilliseconds} ms");
            var reports = new List<(long ticks, SyncProgress p)>();
            var progress = new SyncProgressRecorder(reports);
            var clock = Stopwatch.StartNew();
            SyncOutcome first = await box.SyncAsync(null, progress);
            clock.Stop();
            _out.WriteLine($"10,000 files first sync: {clock.ElapsedMilliseconds} ms, {first.Result.BytesSent / 1024} KiB tar, {reports.Count} progress reports");
            Assert.Equal(10_000, first.Result.FilesScanned);
            Assert.Equal(10_000, first.Result.FilesSent);
            var check = Stopwatch.StartNew();
            box.AssertInSync();
            _out.WriteLine($"compare listing: {check.ElapsedMilliseconds} ms");

            // Throttled: about ten reports a second, plus a final one per phase.
            Assert.True(reports.Count <= clock.Elapsed.TotalSeconds * 10 + 8, $"{reports.Count} reports in {clock.Elapsed}");
            Assert.Contains(reports, r => r.p.Phase == "Scanning");
            Assert.Contains(reports, r => r.p.Phase == "Sending" && r.p.ItemsDone == r.p.ItemsTotal);

            SyncOutcome none = await box.SyncAsync();
            Assert.Equal(0, none.SyncShellCommands);

            File.AppendAllText(box.Src("pkg042/file007.go"), "// edit\n");
            SyncOutcome one = await box.SyncAsync();
            // The file, and its directory's header so the guest keeps the directory's mtime.
            Assert.Equal(new[] { "pkg042", "pkg042/file007.go" }, one.Sent);
            Assert.Equal(1, one.Result.FilesSent);
            Assert.True(one.Result.BytesSent < 8 * 1024);
            box.AssertInSync();
        }

        [Fact]
        public async Task NoChangeResyncOfFiveThousandFilesIsOneStatScanAndNoGuestCommand()
        {
            using var box = new SyncSandbox();
            var rnd = new Random(5);
            var buf = new byte[10 * 1024];
            for (int i = 0; i < 5000; i++)
            {
                rnd.NextBytes(buf);
                string rel = $"d{i % 50:00}/s{i % 7}/f{i:0000}.dat";
                box.Write(rel, buf);
            }
            box.Write(".gitignore", "*.tmp\nnode_modules/\n");

            var clock = Stopwatch.StartNew();
            SyncOutcome first = await box.SyncAsync();
            long firstMs = clock.ElapsedMilliseconds;
            Assert.Equal(5001, first.Result.FilesScanned);

            // Warm once, then measure the no-change resync and the bare scan.
            await box.SyncAsync();
            var resyncTimes = new List<double>();
            var scanTimes = new List<double>();
            for (int i = 0; i < 5; i++)
            {
                int before = box.Shell.Commands.Count;
                clock.Restart();
                SyncOutcome o = await box.SyncAsync();
                resyncTimes.Add(clock.Elapsed.TotalMilliseconds);
                Assert.Equal(0, o.SyncShellCommands);
                Assert.Equal(before, box.Shell.Commands.Count);
                Assert.Equal(0, o.Result.BytesSent);

                clock.Restart();
                HostTree tree = new HostTreeScanner(new ExclusionFilter(false, null), null).Scan(box.Source, CancellationToken.None);
                scanTimes.Add(clock.Elapsed.TotalMilliseconds);
                Assert.Equal(5001, tree.FileCount);
            }
            double scan = scanTimes.Min(), resync = resyncTimes.Min();
            _out.WriteLine($"5,000 files / 50 MB: first sync {firstMs} ms; no-change resync best {resync:F1} ms (all: {string.Join(", ", resyncTimes.Select(t => t.ToString("F0")))}); scan alone best {scan:F1} ms");
            // The times are bench/sync.bench.ps1's to measure; what makes the resync cheap is asserted above:
            // no guest command, no byte sent.
        }

        [Fact]
        public async Task ArchiveIsReadableByGnuTarToo()
        {
            using var box = new SyncSandbox();
            string longName = string.Join("/", Enumerable.Repeat(new string('n', 120), 3)) + "/ünï.txt";
            box.Write(longName, "long");
            box.Link("l", new string('t', 150));
            var filter = new ExclusionFilter(false, null);
            HostTree tree = new HostTreeScanner(filter, null).Scan(box.Source, CancellationToken.None);
            string archive = Path.Combine(box.Root, "a.tar");
            using (var fs = File.Create(archive))
            {
                var sender = new TarSender(tree.Entries, new ProgressThrottle(null));
                await sender.WriteAsync(fs, CancellationToken.None);
                Assert.True(sender.Completed);
            }
            var psi = new ProcessStartInfo("tar") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in new[] { "--list", "--verbose", "--file", archive })
            {
                psi.ArgumentList.Add(a);
            }
            psi.Environment["LC_ALL"] = "C.UTF-8";
            using var p = Process.Start(psi);
            string listing = p.StandardOutput.ReadToEnd();
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, err);
            Assert.Contains(longName, listing);
            Assert.Contains("l -> " + new string('t', 150), listing);
            Assert.Contains(" 0/0 ", listing);
        }

        private sealed class SyncProgressRecorder : IProgress<SyncProgress>
        {
            private readonly List<(long, SyncProgress)> _reports;

            public SyncProgressRecorder(List<(long, SyncProgress)> reports)
            {
                _reports = reports;
            }

            public void Report(SyncProgress value)
            {
                lock (_reports)
                {
                    _reports.Add((Stopwatch.GetTimestamp(), value));
                }
            }
        }
    }
}
