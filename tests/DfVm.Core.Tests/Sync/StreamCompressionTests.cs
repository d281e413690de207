#pragma warning disable CA1416 // these tests run on Linux only (real tar, find)
using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using DfVm.Core.Sync;
using Xunit;

namespace DfVm.Core.Tests.Sync
{
    /// <summary>
    /// The sync's tar stream goes gzipped when it is large and compressible, plain otherwise, and the
    /// guest's tree is byte-identical either way (a real tar extracts what the real stdin carried).
    /// </summary>
    [Collection("Sync")]
    public sealed class StreamCompressionTests
    {
        private static readonly byte[] GzipMagic = { 0x1f, 0x8b };

        /// <summary>About <paramref name="bytes"/> of Go-like text that differs from line to line.</summary>
        private static string Source(int seed, int bytes)
        {
            var rng = new Random(seed);
            var sb = new StringBuilder("package p\n\n");
            while (sb.Length < bytes)
            {
                int n = rng.Next(1000);
                sb.Append("func f").Append(n).Append("(x int) int {\n\tif x > ").Append(rng.Next(100))
                  .Append(" {\n\t\treturn x * ").Append(n).Append("\n\t}\n\treturn g(x + 1)\n}\n\n");
            }
            return sb.ToString();
        }

        private static LocalShell.StdinRecord TarStdin(SyncSandbox box) =>
            box.Shell.Stdin.Single(r => r.Command.Contains("tar -x", StringComparison.Ordinal) && r.Command.Contains("/usr/bin/tar", StringComparison.Ordinal));

        private static bool StartsWithGzip(LocalShell.StdinRecord r) => r.Head.Count >= 2 && r.Head.Take(2).SequenceEqual(GzipMagic);

        [Fact]
        public async Task CompressibleTreeIsSentGzippedAndExtractsByteIdentical()
        {
            using var box = new SyncSandbox();
            for (int i = 0; i < 40; i++)
            {
                box.Write($"pkg{i % 5}/file{i}.go", Source(i, 60_000));
            }
            box.Write("big/opgen.go", Source(99, 900_000));
            box.Write("bin/tool", new byte[] { 0, 1, 2, 3, 255 });
            File.SetUnixFileMode(box.Src("bin/tool"), (UnixFileMode)Convert.ToInt32("755", 8));
            box.Write("empty.txt", string.Empty);
            box.Link("link", "pkg0/file0.go");

            SyncOutcome first = await box.SyncAsync();

            box.AssertInSync();
            LocalShell.StdinRecord stdin = TarStdin(box);
            Assert.Contains("-xzpf", stdin.Command, StringComparison.Ordinal);
            Assert.True(StartsWithGzip(stdin), "the stream does not start with gzip's magic bytes");
            Assert.True(first.Compressed);
            Assert.Equal(stdin.Count, first.WireBytes);
            Assert.True(first.WireBytes < first.Result.BytesSent * 0.6, $"{first.WireBytes} bytes sent for {first.Result.BytesSent} of tar");
            Assert.True(first.Result.BytesSent > 3_000_000);

            // The manifest holds the same hashes as a plain sync would: a no-change resync sends nothing.
            SyncOutcome again = await box.SyncAsync();
            Assert.Equal(0, again.SyncShellCommands);

            // A change that is small goes plain (under the threshold), and lands.
            File.AppendAllText(box.Src("pkg1/file1.go"), "// edited\n");
            SyncOutcome edit = await box.SyncAsync();
            Assert.False(edit.Compressed);
            Assert.Contains("-xpf", box.Shell.Stdin.Last().Command, StringComparison.Ordinal);
            Assert.False(StartsWithGzip(box.Shell.Stdin.Last()));
            box.AssertInSync();
        }

        [Fact]
        public async Task IncompressibleTreeIsSentPlain()
        {
            using var box = new SyncSandbox();
            var rng = new Random(7);
            for (int i = 0; i < 30; i++)
            {
                var bytes = new byte[100_000];
                rng.NextBytes(bytes);
                box.Write($"data/blob{i}.bin", bytes);
            }
            box.Write("README", Source(1, 20_000)); // a little text among them does not tip it

            SyncOutcome first = await box.SyncAsync();

            box.AssertInSync();
            LocalShell.StdinRecord stdin = TarStdin(box);
            Assert.Contains("-xpf", stdin.Command, StringComparison.Ordinal);
            Assert.DoesNotContain("-xzpf", stdin.Command, StringComparison.Ordinal);
            Assert.False(StartsWithGzip(stdin));
            Assert.False(first.Compressed);
            Assert.Equal(first.Result.BytesSent, stdin.Count);
        }

        [Fact]
        public async Task SmallCompressibleTreeIsSentPlain()
        {
            using var box = new SyncSandbox();
            box.Write("a.go", Source(3, 200_000));
            box.Write("b.go", Source(4, 200_000));

            SyncOutcome first = await box.SyncAsync();

            box.AssertInSync();
            Assert.False(first.Compressed);
            Assert.False(StartsWithGzip(TarStdin(box)));
        }

        [Fact]
        public void ArchiveBytesCountsHeadersAndPaddedContent()
        {
            var entries = new[]
            {
                new HostEntry("d", "/x/d", SyncEntryType.Directory, 0, 0, 0x1ED, null),
                new HostEntry("d/a", "/x/d/a", SyncEntryType.File, 1, 0, 0x1A4, null),
                new HostEntry("d/b", "/x/d/b", SyncEntryType.File, 512, 0, 0x1A4, null),
                new HostEntry("d/l", "/x/d/l", SyncEntryType.Symlink, 0, 0, 0x1FF, "a"),
            };
            Assert.Equal(4 * 512 + 512 + 512, StreamCompression.ArchiveBytes(entries));
        }
    }
}
