using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Sync;
using Xunit;

namespace DfVm.Core.Tests.Sync
{
    /// <summary>Interrupted transfers and refused inputs.</summary>
    [Collection("Sync")]
    public sealed class ProjectSyncerFailureTests
    {
        private static readonly DateTime Old = new DateTime(2021, 5, 6, 7, 8, 9, DateTimeKind.Utc);

        private static byte[] Content(int seed, int size)
        {
            var b = new byte[size];
            new Random(seed).NextBytes(b);
            return b;
        }

        [Fact]
        public async Task TarKilledMidStreamLeavesAStateTheNextSyncRepairs()
        {
            using var box = new SyncSandbox();
            for (int i = 0; i < 20; i++)
            {
                box.Write($"f{i:00}.bin", Content(i, 100_000), Old);
            }
            box.Write("dir/x", "x");
            await box.SyncAsync();
            box.AssertInSync();

            // Change everything, add a file that sorts first, delete one; kill tar after ~450 KB.
            byte[] f01Before = File.ReadAllBytes(box.Src("f01.bin"));
            for (int i = 0; i < 20; i++)
            {
                box.Write($"f{i:00}.bin", Content(100 + i, 100_000), Old.AddDays(1));
            }
            box.Write("a-new.bin", Content(7, 50_000));
            File.Delete(box.Src("dir/x"));
            Directory.Delete(box.Src("dir"));
            box.Write("dir", "dir became a file");
            box.Shell.KillAfterStdinBytes = 450_000;
            var failed = await Assert.ThrowsAsync<SyncFailedException>(() => box.SyncAsync());
            Assert.Equal("SyncFailed", failed.ErrorId);
            Assert.NotEqual(0, failed.ExitCode);

            // The guest really holds a partial extract: new content for the first files only.
            Assert.True(File.Exists(box.Dst("a-new.bin")));
            Assert.Equal(File.ReadAllBytes(box.Src("f01.bin")), File.ReadAllBytes(box.Dst("f01.bin")));
            Assert.NotEqual(File.ReadAllBytes(box.Src("f19.bin")), File.ReadAllBytes(box.Dst("f19.bin")));

            // The worst case for a kept manifest: the host goes back to what the old manifest
            // recorded (same bytes, same mtime), and a file the partial extract created vanishes.
            File.WriteAllBytes(box.Src("f01.bin"), f01Before);
            File.SetLastWriteTimeUtc(box.Src("f01.bin"), Old);
            File.Delete(box.Src("a-new.bin"));

            SyncOutcome repair = await box.SyncAsync(o => o.Verify = true);
            box.AssertInSync();
            Assert.True(repair.Result.Verified, string.Join(", ", repair.Result.Drift));
            Assert.Contains("a-new.bin", repair.Deleted);
            Assert.Contains("f01.bin", repair.Sent);

            SyncOutcome quiet = await box.SyncAsync();
            Assert.Equal(0, quiet.SyncShellCommands);
        }

        [Fact]
        public async Task SymlinkLeftByAFailedSyncWhereTheHostNowHasADirectoryIsReplaced()
        {
            using var box = new SyncSandbox();
            string outside = Path.Combine(box.Root, "guest", "outside");
            Directory.CreateDirectory(outside);
            File.WriteAllText(Path.Combine(outside, "keep"), "outside the destination");
            box.Write("x/f", "f");
            box.Write("y.bin", Content(3, 400_000));
            await box.SyncAsync();

            // x becomes a symlink to a directory outside; the sync dies after extracting it.
            Directory.Delete(box.Src("x"), true);
            box.Link("x", "../outside");
            box.Write("y.bin", Content(4, 400_000));
            box.Shell.KillAfterStdinBytes = 100_000;
            await Assert.ThrowsAsync<SyncFailedException>(() => box.SyncAsync());
            // bsdtar defers symlinks: a killed tar leaves an empty placeholder file at x. Had
            // only the confirmation been lost, the guest would hold the symlink itself: make it so.
            Assert.True(File.Exists(box.Dst("x")));
            File.Delete(box.Dst("x"));
            File.CreateSymbolicLink(box.Dst("x"), "../outside");

            // x is a directory again: the guest's symlink must go, not be extracted through.
            File.Delete(box.Src("x"));
            box.Write("x/f", "f2");
            SyncOutcome o = await box.SyncAsync();
            Assert.Null(new DirectoryInfo(box.Dst("x")).LinkTarget);
            box.AssertInSync();
            Assert.Equal(new[] { "keep" }, Directory.GetFileSystemEntries(outside).Select(Path.GetFileName));
            Assert.Equal("outside the destination", File.ReadAllText(Path.Combine(outside, "keep")));
        }

        [Fact]
        public async Task CancelledSyncIsRepairedByTheNextOne()
        {
            using var box = new SyncSandbox();
            box.Write("a", "a", Old);
            box.Write("b", "b", Old);
            await box.SyncAsync();
            box.Write("a", Content(1, 3_000_000));
            box.Write("b", "B2");
            using var cts = new CancellationTokenSource();
            var progress = new SyncProgressCanceller(cts, afterBytes: 1_000_000);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                new ProjectSyncer(box.Shell).SyncAsync(box.Options(), progress, cts.Token));
            Assert.True(File.Exists(box.Manifest)); // the pessimistic copy
            await box.SyncAsync();
            box.AssertInSync();
        }

        [Fact]
        public async Task GuestTarErrorCarriesItsStderr()
        {
            using var box = new SyncSandbox();
            box.Write("f", "x");
            // A file where the destination directory should be: mkdir -p fails in the guest.
            Directory.CreateDirectory(Path.GetDirectoryName(box.Guest));
            File.WriteAllText(box.Guest, "not a directory");
            box.Shell.Commands.Clear();
            SyncOptions options = box.Options(o => o.Destination = box.Guest + "/inner");
            var ex = await Assert.ThrowsAsync<SyncFailedException>(() =>
                new ProjectSyncer(box.Shell).SyncAsync(options, null, CancellationToken.None));
            Assert.Contains("Not a directory", ex.GuestStderr);
            Assert.False(File.Exists(box.Manifest));
        }

        [Fact]
        public async Task RefusesBadSourceDestinationAndNamesWithNewlines()
        {
            using var box = new SyncSandbox();
            var syncer = new ProjectSyncer(box.Shell);
            var missing = await Assert.ThrowsAsync<SyncSourceNotFoundException>(() =>
                syncer.SyncAsync(box.Options(o => o.SourcePath = Path.Combine(box.Root, "nope")), null, CancellationToken.None));
            Assert.Equal("SyncSourceNotFound", missing.ErrorId);

            foreach (string bad in new[] { "", "   ", "/", "//", "relative/path", "/etc", "/usr/local", "/tmp/../etc", "/root/", "/dev/shm/x", "/a\nb" })
            {
                var ex = await Assert.ThrowsAsync<SyncDestinationInvalidException>(() =>
                    syncer.SyncAsync(box.Options(o => o.Destination = bad), null, CancellationToken.None));
                Assert.Equal("SyncDestinationInvalid", ex.ErrorId);
            }

            box.Write("ok", "x");
            box.Write("bad\nname", "x");
            var nl = await Assert.ThrowsAsync<SyncPathUnsupportedException>(() => box.SyncAsync());
            Assert.Equal("SyncPathUnsupported", nl.ErrorId);
            Assert.Equal("bad\nname", nl.Path);
            Assert.Contains("\\n", nl.Message);
            Assert.Empty(box.Shell.Commands);

            // Excluded, it is fine.
            SyncOutcome o = await box.SyncAsync(x => x.ExtraExcludes = new[] { "bad*" });
            Assert.Equal(1, o.Result.FilesSent);
        }

        [Fact]
        public async Task A_deleted_manifest_makes_the_next_sync_list_the_guest_and_resend()
        {
            using var box = new SyncSandbox();
            box.Write("a", "a");
            await box.SyncAsync();
            File.WriteAllText(box.Dst("stray"), "guest only");
            SyncManifest.Delete(box.Manifest);
            Assert.False(File.Exists(box.Manifest));
            SyncManifest.Delete(box.Manifest); // no manifest: no error
            SyncOutcome o = await box.SyncAsync();
            Assert.Equal(new[] { "stray" }, o.Deleted);
            Assert.Equal(1, o.Result.FilesSent);
            box.AssertInSync();
        }

        [Fact]
        public async Task AManifestNamingPathsOutsideTheDestinationIsNotTrusted()
        {
            using var box = new SyncSandbox();
            box.Write("a", "a");
            await box.SyncAsync();
            string outside = Path.Combine(box.Root, "guest", "precious");
            File.WriteAllText(outside, "must survive");
            string json = File.ReadAllText(box.Manifest);
            File.WriteAllText(box.Manifest, json.Replace("\"p\":\"a\"", "\"p\":\"../precious\""));
            Assert.Contains("../precious", File.ReadAllText(box.Manifest));
            SyncOutcome o = await box.SyncAsync();
            Assert.True(File.Exists(outside));
            Assert.Empty(o.Deleted);
            Assert.Equal(2, o.SyncShellCommands); // treated as no manifest: list, then send
            box.AssertInSync();
        }

        [Fact]
        public async Task AFifoInTheTreeDoesNotBlockTheSync()
        {
            using var box = new SyncSandbox();
            box.Write("a", "a");
            var mk = System.Diagnostics.Process.Start("mkfifo", new[] { box.Src("pipe") });
            mk.WaitForExit();
            Assert.Equal(0, mk.ExitCode);
            Task<SyncOutcome> sync = box.SyncAsync();
            Assert.Same(sync, await Task.WhenAny(sync, Task.Delay(TimeSpan.FromSeconds(20))));
            await sync;
            Assert.Equal(0, new FileInfo(box.Dst("pipe")).Length); // arrives as an empty file
        }

        private sealed class SyncProgressCanceller : IProgress<SyncProgress>
        {
            private readonly CancellationTokenSource _cts;
            private readonly long _afterBytes;

            public SyncProgressCanceller(CancellationTokenSource cts, long afterBytes)
            {
                _cts = cts;
                _afterBytes = afterBytes;
            }

            public void Report(SyncProgress value)
            {
                if (value.Phase == "Sending" && value.BytesDone >= _afterBytes)
                {
                    _cts.Cancel();
                }
            }
        }
    }
}
