using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Images;
using Xunit;

namespace DfVm.Core.Tests.Images
{
    /// <summary>
    /// Save-DfVmImage -Uri -Sha256 (issue 20): a prebuilt image fetched by URL from the local fixture
    /// server, checked against the SHA-256 given, resumed after a cut, decompressed by suffix with the
    /// real decoders (SharpZipLib for .bz2/.gz; the host's xz and zstd for .xz/.zst).
    /// </summary>
    public sealed class UrlImageDownloadTests : IDisposable
    {
        private readonly ImageFixture _fixture = new ImageFixture();
        private readonly FixtureHttpServer _server = new FixtureHttpServer();
        private readonly ImageDownloader _downloader = new ImageDownloader { StallTimeout = TimeSpan.FromSeconds(20) };

        public void Dispose()
        {
            _downloader.Dispose();
            _server.Dispose();
            _fixture.Dispose();
        }

        private static string Sha256(byte[] data)
        {
            using (var sha = SHA256.Create()) return BitConverter.ToString(sha.ComputeHash(data)).Replace("-", "").ToLowerInvariant();
        }

        private UrlImageRequest Request(string fileName, string sha256, bool force = false) => new UrlImageRequest
        {
            Uri = new Uri(_server.Mirror, fileName),
            Sha256 = sha256,
            ImagesDirectory = _fixture.ImagesDirectory,
            Force = force,
        };

        /// <summary>Compresses with the real command-line tool (bzip2, gzip, xz, zstd: all in .ci/run).</summary>
        private byte[] Compress(string tool, byte[] data)
        {
            var input = Path.Combine(_fixture.Directory, "in-" + Guid.NewGuid().ToString("N"));
            File.WriteAllBytes(input, data);
            var output = input + ".out";
            var r = ImageFixture.Run("/bin/sh", new[] { "-c", $"{tool} -c \"$1\" > \"$2\"", "sh", input, output });
            Assert.True(r.exit == 0, $"{tool} failed: {r.stderr}");
            return File.ReadAllBytes(output);
        }

        [Theory]
        [InlineData("xz", "dfly-6.4.2.qcow2.xz")]
        [InlineData("zstd", "dfly-6.4.2.qcow2.zst")]
        [InlineData("bzip2", "dfly-6.4.2.qcow2.bz2")]
        [InlineData("gzip", "dfly-6.4.2.qcow2.gz")]
        public async Task DownloadsVerifiesAndDecompressesEachFormat(string tool, string fileName)
        {
            var compressed = Compress(tool, _fixture.Payload);
            _server.Serve(fileName, compressed);
            var result = await _downloader.SaveFromUrlAsync(Request(fileName, Sha256(compressed).ToUpperInvariant()), null, CancellationToken.None);
            var image = Path.Combine(_fixture.ImagesDirectory, "dfly-6.4.2.qcow2");
            Assert.Equal(image, result.Path);
            Assert.Equal(_fixture.Payload, File.ReadAllBytes(image));
            Assert.Equal(_fixture.PayloadMd5, result.Md5);
            Assert.Equal(Sha256(compressed), result.Sha256);
            Assert.True(result.Verified);
            Assert.Equal(new Uri(_server.Mirror, fileName).AbsoluteUri, result.Source);
            Assert.Empty(Directory.GetFiles(_fixture.ImagesDirectory, "*.part*"));
        }

        [Fact]
        public async Task AnUncompressedImageIsKeptAsItIsAndTheSecondCallIsServedFromTheCache()
        {
            _server.Serve("disk.raw", _fixture.Payload);
            var first = await _downloader.SaveFromUrlAsync(Request("disk.raw", Sha256(_fixture.Payload)), null, CancellationToken.None);
            Assert.Equal(_fixture.Payload, File.ReadAllBytes(first.Path));
            int requests = _server.Requests.Count;
            var second = await _downloader.SaveFromUrlAsync(Request("disk.raw", Sha256(_fixture.Payload)), null, CancellationToken.None);
            Assert.Equal(first.Path, second.Path);
            Assert.Equal(requests, _server.Requests.Count); // no request at all
            // another checksum is another image: the cache does not answer for it
            _server.Serve("disk.raw", ImageFixture.MakePayload(4096, 7));
            await Assert.ThrowsAsync<ImageChecksumException>(() => _downloader.SaveFromUrlAsync(Request("disk.raw", new string('a', 64)), null, CancellationToken.None));
        }

        [Fact]
        public async Task AWrongChecksumDeletesTheDownloadAndLeavesNoImage()
        {
            var compressed = Compress("xz", _fixture.Payload);
            _server.Serve("img.qcow2.xz", compressed);
            var e = await Assert.ThrowsAsync<ImageChecksumException>(() =>
                _downloader.SaveFromUrlAsync(Request("img.qcow2.xz", new string('0', 64)), null, CancellationToken.None));
            Assert.Equal(ErrorIds.ImageChecksumMismatch, e.ErrorId);
            Assert.Contains("SHA-256 mismatch", e.Message);
            Assert.Contains(Sha256(compressed), e.Message);
            Assert.False(File.Exists(Path.Combine(_fixture.ImagesDirectory, "img.qcow2")));
            Assert.Empty(Directory.GetFiles(_fixture.ImagesDirectory, "*.part*"));
        }

        [Fact]
        public async Task ACutTransferIsResumedWithARangeRequest()
        {
            var compressed = Compress("zstd", _fixture.Payload);
            _server.Serve("img.qcow2.zst", compressed);
            int half = compressed.Length / 2;
            _server.DropNextBodyAfter(half);
            var cut = await Assert.ThrowsAsync<ImageDownloadException>(() =>
                _downloader.SaveFromUrlAsync(Request("img.qcow2.zst", Sha256(compressed)), null, CancellationToken.None));
            Assert.Equal(ErrorIds.ImageDownloadFailed, cut.ErrorId);
            var part = Path.Combine(_fixture.ImagesDirectory, "img.qcow2.zst.part");
            Assert.True(File.Exists(part), "the partial download is kept");
            long kept = new FileInfo(part).Length;
            Assert.True(kept > 0 && kept < compressed.Length);

            var progress = new ListProgress();
            var result = await _downloader.SaveFromUrlAsync(Request("img.qcow2.zst", Sha256(compressed)), progress, CancellationToken.None);
            Assert.Equal(_fixture.Payload, File.ReadAllBytes(result.Path));
            Assert.Contains(_server.Requests, r => r.Path.EndsWith("/img.qcow2.zst", StringComparison.Ordinal) && r.Range == $"bytes={kept}-");
            Assert.Contains(progress.Reports, p => p.Stage == ImageStage.Download);
            Assert.Contains(progress.Reports, p => p.Stage == ImageStage.Verify);
            Assert.Contains(progress.Reports, p => p.Stage == ImageStage.Decompress);
        }

        [Fact]
        public async Task TwoConcurrentCallsDownloadOnce()
        {
            var compressed = Compress("xz", _fixture.Payload);
            _server.Serve("shared.qcow2.xz", compressed);
            using (var other = new ImageDownloader { StallTimeout = TimeSpan.FromSeconds(20) })
            {
                var a = _downloader.SaveFromUrlAsync(Request("shared.qcow2.xz", Sha256(compressed)), null, CancellationToken.None);
                var b = other.SaveFromUrlAsync(Request("shared.qcow2.xz", Sha256(compressed)), null, CancellationToken.None);
                var both = await Task.WhenAll(a, b);
                Assert.Equal(both[0].Path, both[1].Path);
            }
            Assert.Single(_server.Requests, r => r.Method == "GET" && r.Path.EndsWith("/shared.qcow2.xz", StringComparison.Ordinal));
        }

        [Fact]
        public async Task CorruptXzIsImageDecompressFailedAndIsDeleted()
        {
            var garbage = ImageFixture.MakePayload(70000, 3);
            garbage[0] = 0xFD; garbage[1] = (byte)'7'; garbage[2] = (byte)'z'; garbage[3] = (byte)'X'; garbage[4] = (byte)'Z'; garbage[5] = 0;
            _server.Serve("bad.qcow2.xz", garbage);
            var e = await Assert.ThrowsAsync<ImageDecompressException>(() =>
                _downloader.SaveFromUrlAsync(Request("bad.qcow2.xz", Sha256(garbage)), null, CancellationToken.None));
            Assert.Equal(ErrorIds.ImageDecompressFailed, e.ErrorId);
            Assert.Contains("not valid xz data", e.Message);
            Assert.False(File.Exists(Path.Combine(_fixture.ImagesDirectory, "bad.qcow2")));
            Assert.Empty(Directory.GetFiles(_fixture.ImagesDirectory, "*.part*"));
        }

        [Theory]
        [InlineData("ftp://127.0.0.1/img.qcow2")]
        [InlineData("http://127.0.0.1/dir/")]
        [InlineData("http://127.0.0.1/.hidden.qcow2")]
        [InlineData("http://127.0.0.1/a%2F..%2Fb.qcow2")]
        public async Task AUrlThatNamesNoPlainFileIsInvalidImageUri(string url)
        {
            var e = await Assert.ThrowsAsync<DfVmException>(() => _downloader.SaveFromUrlAsync(new UrlImageRequest
            {
                Uri = new Uri(url),
                Sha256 = new string('a', 64),
                ImagesDirectory = _fixture.ImagesDirectory,
            }, null, CancellationToken.None));
            Assert.Equal(ErrorIds.InvalidImageUri, e.ErrorId);
            Assert.Empty(_server.Requests);
        }

        private sealed class ListProgress : IProgress<DownloadProgress>
        {
            public System.Collections.Concurrent.ConcurrentQueue<DownloadProgress> Reports { get; } = new System.Collections.Concurrent.ConcurrentQueue<DownloadProgress>();
            public void Report(DownloadProgress value) => Reports.Enqueue(value);
        }
    }
}
