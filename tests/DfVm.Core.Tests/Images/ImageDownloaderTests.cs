using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Images;
using Xunit;

namespace DfVm.Core.Tests.Images
{
    public sealed partial class ImageDownloaderTests : IDisposable
    {
        private const string Version = "9.9.1"; // not in the built-in catalogue: only md5.txt vouches for it
        private const string Compressed = "dfly-x86_64-9.9.1_REL.iso.bz2";
        private const string Image = "dfly-x86_64-9.9.1_REL.iso";

        private readonly ImageFixture _fixture = new ImageFixture();
        private readonly FixtureHttpServer _server = new FixtureHttpServer();
        private readonly ImageDownloader _downloader = new ImageDownloader { StallTimeout = TimeSpan.FromSeconds(20) };

        public void Dispose()
        {
            _downloader.Dispose();
            _server.Dispose();
            _fixture.Dispose();
        }

        private void ServeImageAndSums(string md5 = null)
        {
            _server.Serve(Compressed, _fixture.Compressed);
            _server.Serve("md5.txt", System.Text.Encoding.ASCII.GetBytes(
                "MD5 (dfly-x86_64-9.9.0_REL.iso.bz2) = 00000000000000000000000000000000\n" +
                $"MD5 ({Compressed}) = {md5 ?? _fixture.CompressedMd5}\n"));
        }

        private ImageRequest Request(string version = Version, bool force = false, bool allowUnverified = false) => new ImageRequest
        {
            Version = version,
            Kind = ImageKind.Iso,
            Mirror = _server.Mirror,
            ImagesDirectory = _fixture.ImagesDirectory,
            Force = force,
            AllowUnverified = allowUnverified,
        };

        private string ImagePath => Path.Combine(_fixture.ImagesDirectory, Image);
        private string PartPath => Path.Combine(_fixture.ImagesDirectory, Compressed + ".part");

        private void AssertWholeImage(DfVmImage result, bool verified = true)
        {
            Assert.Equal(ImagePath, result.Path);
            Assert.Equal(Version, result.Version);
            Assert.Equal(ImageKind.Iso, result.Kind);
            Assert.Equal(_fixture.Payload.Length, result.SizeBytes);
            Assert.Equal(_fixture.PayloadMd5, result.Md5);
            Assert.Equal(verified, result.Verified);
            Assert.Equal(_fixture.Payload, File.ReadAllBytes(ImagePath));
            Assert.False(File.Exists(PartPath), "the .part file is gone after success");
            Assert.False(File.Exists(ImagePath + ".part-decompress"));
            Assert.True(File.Exists(ImagePath + ".json"), "the sidecar records the verified sum");
        }

        [Fact]
        public async Task HappyPathDownloadsVerifiesAndDecompresses()
        {
            ServeImageAndSums();
            var result = await _downloader.SaveAsync(Request(), null, CancellationToken.None);
            AssertWholeImage(result);
            Assert.Contains(_server.Requests, r => r.Path == "/iso-images/md5.txt");
            Assert.Contains(_server.Requests, r => r.Path == "/iso-images/" + Compressed && r.Range == null);
            Assert.Contains(_fixture.PayloadMd5, File.ReadAllText(ImagePath + ".json"));
        }

        [Fact]
        public async Task SecondCallReturnsCachedImageWithoutAnyRequest()
        {
            ServeImageAndSums();
            await _downloader.SaveAsync(Request(), null, CancellationToken.None);
            var before = _server.Requests.Count;
            Assert.True(before >= 2);

            var again = await _downloader.SaveAsync(Request(), null, CancellationToken.None);

            Assert.Equal(before, _server.Requests.Count);
            AssertWholeImage(again);
        }

        [Fact]
        public async Task ForceDownloadsAgain()
        {
            ServeImageAndSums();
            await _downloader.SaveAsync(Request(), null, CancellationToken.None);
            var before = _server.Requests.Count(r => r.Path.EndsWith(".bz2", StringComparison.Ordinal));

            var again = await _downloader.SaveAsync(Request(force: true), null, CancellationToken.None);

            Assert.Equal(before + 1, _server.Requests.Count(r => r.Path.EndsWith(".bz2", StringComparison.Ordinal)));
            AssertWholeImage(again);
        }

        [Fact]
        public async Task DroppedConnectionKeepsPartAndNextCallResumesWithRange()
        {
            ServeImageAndSums();
            var half = _fixture.Compressed.Length / 2;
            _server.DropNextBodyAfter(half);

            var error = await Assert.ThrowsAsync<ImageDownloadException>(() => _downloader.SaveAsync(Request(), null, CancellationToken.None));
            Assert.Equal("ImageDownloadFailed", error.ErrorId);
            Assert.Contains("again to resume", error.Message);
            Assert.Equal(half, new FileInfo(PartPath).Length);
            Assert.Equal(half, error.PartialBytes);
            Assert.False(File.Exists(ImagePath));

            var result = await _downloader.SaveAsync(Request(), null, CancellationToken.None);

            Assert.Contains(_server.Requests, r => r.Path == "/iso-images/" + Compressed && r.Range == $"bytes={half}-");
            AssertWholeImage(result);
        }

        [Fact]
        public async Task ServerIgnoringRangeRestartsFromZero()
        {
            ServeImageAndSums();
            _server.IgnoreRange = true;
            Directory.CreateDirectory(_fixture.ImagesDirectory);
            // A partial file whose bytes are wrong: only a clean restart gives the right sum.
            File.WriteAllBytes(PartPath, Enumerable.Repeat((byte)0x5A, 5000).ToArray());

            var result = await _downloader.SaveAsync(Request(), null, CancellationToken.None);

            Assert.Contains(_server.Requests, r => r.Path == "/iso-images/" + Compressed && r.Range == "bytes=5000-");
            AssertWholeImage(result);
        }

        [Fact]
        public async Task StalledTransferTimesOutKeepsPartAndResumes()
        {
            ServeImageAndSums();
            _server.StallNextBodyAfter(100_000);
            using (var impatient = new ImageDownloader { StallTimeout = TimeSpan.FromSeconds(1) })
            {
                var error = await Assert.ThrowsAsync<ImageDownloadException>(() => impatient.SaveAsync(Request(), null, CancellationToken.None));
                Assert.Contains("no data for 1 s", error.Message);
                Assert.Equal(100_000, new FileInfo(PartPath).Length);

                var result = await impatient.SaveAsync(Request(), null, CancellationToken.None);
                Assert.Contains(_server.Requests, r => r.Range == "bytes=100000-");
                AssertWholeImage(result);
            }
        }

        [Fact]
        public async Task CancellingKeepsThePartialFile()
        {
            ServeImageAndSums();
            _server.StallNextBodyAfter(50_000);
            // The server goes silent after 50 000 bytes; the caller gives up long before the stall timeout.
            using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _downloader.SaveAsync(Request(), null, cts.Token));
            Assert.Equal(50_000, new FileInfo(PartPath).Length);
            Assert.False(File.Exists(ImagePath));
        }

        [Fact]
        public async Task WholePartAnswered416IsVerifiedAndUsed()
        {
            ServeImageAndSums();
            Directory.CreateDirectory(_fixture.ImagesDirectory);
            File.WriteAllBytes(PartPath, _fixture.Compressed);

            var result = await _downloader.SaveAsync(Request(), null, CancellationToken.None);

            Assert.Contains(_server.Requests, r => r.Path == "/iso-images/" + Compressed && r.Range == $"bytes={_fixture.Compressed.Length}-");
            AssertWholeImage(result);
        }

        [Fact]
        public async Task MissingImageIsImageNotFoundNamingTheUrl()
        {
            ServeImageAndSums();
            _server.Remove(Compressed);

            var error = await Assert.ThrowsAsync<ImageNotFoundException>(() => _downloader.SaveAsync(Request(), null, CancellationToken.None));

            Assert.Equal("ImageNotFound", error.ErrorId);
            Assert.Contains(_server.Mirror + Compressed, error.Message);
            Assert.False(File.Exists(PartPath));
        }

        [Fact]
        public async Task MissingImageWithoutAnyChecksumIsStillImageNotFound()
        {
            var error = await Assert.ThrowsAsync<ImageNotFoundException>(() => _downloader.SaveAsync(Request(), null, CancellationToken.None));
            Assert.Equal("ImageNotFound", error.ErrorId);
        }

        [Fact]
        public async Task WrongSumInMd5TxtIsMismatchAndDeletesTheBadFile()
        {
            const string wrong = "0123456789abcdef0123456789abcdef";
            ServeImageAndSums(md5: wrong);

            var error = await Assert.ThrowsAsync<ImageChecksumException>(() => _downloader.SaveAsync(Request(), null, CancellationToken.None));

            Assert.Equal("ImageChecksumMismatch", error.ErrorId);
            Assert.Contains(wrong, error.Message);
            Assert.Contains(_fixture.CompressedMd5, error.Message);
            Assert.False(File.Exists(PartPath), "the bad download is deleted");
            Assert.False(File.Exists(ImagePath));
        }

        [Fact]
        public async Task NoChecksumAnywhereIsUnavailableUnlessAllowed()
        {
            _server.Serve(Compressed, _fixture.Compressed); // no md5.txt at all

            var error = await Assert.ThrowsAsync<ImageChecksumUnavailableException>(() => _downloader.SaveAsync(Request(), null, CancellationToken.None));
            Assert.Equal("ImageChecksumUnavailable", error.ErrorId);
            Assert.DoesNotContain(_server.Requests, r => r.Method == "GET" && r.Path.EndsWith(".bz2", StringComparison.Ordinal));

            var result = await _downloader.SaveAsync(Request(allowUnverified: true), null, CancellationToken.None);
            AssertWholeImage(result, verified: false);

            // An unverified image is not handed out as cached to a caller who wants verification.
            await Assert.ThrowsAsync<ImageChecksumUnavailableException>(() => _downloader.SaveAsync(Request(), null, CancellationToken.None));
        }

        [Fact]
        public async Task MirrorSumDisagreeingWithBuiltInSumIsConflict()
        {
            // 6.4.0's .bz2 sum is built in; the fixture's sum differs, so the mirror "lies".
            _server.Serve("dfly-x86_64-6.4.0_REL.iso.bz2", _fixture.Compressed);
            _server.Serve("md5.txt", System.Text.Encoding.ASCII.GetBytes($"MD5 (dfly-x86_64-6.4.0_REL.iso.bz2) = {_fixture.CompressedMd5}\n"));

            var error = await Assert.ThrowsAsync<ImageChecksumConflictException>(() => _downloader.SaveAsync(Request("6.4.0"), null, CancellationToken.None));

            Assert.Equal("ImageChecksumConflict", error.ErrorId);
            Assert.Contains("5dbf894d9120664a675030c475f25040", error.Message);
            Assert.DoesNotContain(_server.Requests, r => r.Path.EndsWith(".bz2", StringComparison.Ordinal));
        }

        [Fact]
        public async Task BuiltInSumIsUsedWhenMd5TxtIsMissing()
        {
            // 6.4.0 has a built-in sum and md5.txt is absent: the built-in sum decides (and rejects our fixture).
            _server.Serve("dfly-x86_64-6.4.0_REL.iso.bz2", _fixture.Compressed);

            var error = await Assert.ThrowsAsync<ImageChecksumException>(() => _downloader.SaveAsync(Request("6.4.0"), null, CancellationToken.None));

            Assert.Equal("5dbf894d9120664a675030c475f25040", error.ExpectedMd5);
            Assert.Equal(_fixture.CompressedMd5, error.ActualMd5);
        }

        [Fact]
        public async Task ProgressIsReportedAndEndsAtHundredPercent()
        {
            ServeImageAndSums();
            var log = new ProgressLog();

            await _downloader.SaveAsync(Request(), log, CancellationToken.None);

            var downloads = log.Reports.Where(r => r.Stage == ImageStage.Download).ToList();
            Assert.NotEmpty(downloads);
            Assert.All(downloads, r => Assert.Equal(_fixture.Compressed.Length, r.TotalBytes));
            Assert.Equal(100.0, downloads.Last().PercentComplete);
            Assert.Equal(_fixture.Compressed.Length, downloads.Last().BytesDone);
            Assert.Contains(log.Reports, r => r.Stage == ImageStage.Verify);
            Assert.Contains(log.Reports, r => r.Stage == ImageStage.Decompress);
            Assert.Equal(100.0, log.Reports.Last().PercentComplete);
            Assert.True(downloads.Select(r => r.BytesDone).SequenceEqual(downloads.Select(r => r.BytesDone).OrderBy(b => b)), "bytes only grow");
        }

        [Fact]
        public async Task ProgressIsThrottled()
        {
            ServeImageAndSums();
            var log = new ProgressLog();
            var throttled = new ImageDownloader { ProgressInterval = TimeSpan.FromHours(1) };
            using (throttled)
                await throttled.SaveAsync(Request(), log, CancellationToken.None);

            // First and final report of each stage only.
            Assert.Equal(2, log.Reports.Count(r => r.Stage == ImageStage.Download));
            Assert.Equal(2, log.Reports.Count(r => r.Stage == ImageStage.Verify));
        }

        [Fact]
        public async Task BadVersionIsRejectedBeforeAnyRequest()
        {
            await Assert.ThrowsAsync<ArgumentException>(() => _downloader.SaveAsync(Request("../6.4.0"), null, CancellationToken.None));
            Assert.Empty(_server.Requests);
        }
    }
}
