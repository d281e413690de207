using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Images;
using Xunit;

namespace DfVm.Core.Tests.Images
{
    public sealed class Bzip2DecompressorTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "dfvm-bz2-" + Guid.NewGuid().ToString("N"));

        public Bzip2DecompressorTests() => Directory.CreateDirectory(_dir);

        public void Dispose() => Directory.Delete(_dir, true);

        [Fact]
        public void ConcatenatedStreamsAreDecodedOneAfterAnother()
        {
            var a = ImageFixture.MakePayload(300_000, 7);
            var b = ImageFixture.MakePayload(200_000, 8);
            var source = Path.Combine(_dir, "two.bz2");
            File.WriteAllBytes(source, ImageFixture.Bzip2(a, _dir).Concat(ImageFixture.Bzip2(b, _dir)).ToArray());
            var target = Path.Combine(_dir, "two");

            var md5 = Bzip2Decompressor.Decompress(source, target, null, CancellationToken.None);

            var expected = a.Concat(b).ToArray();
            Assert.Equal(expected, File.ReadAllBytes(target));
            Assert.Equal(ImageFixture.Md5(expected), md5);
            // The real tool agrees on what the file holds.
            var check = ImageFixture.Run("bzip2", new[] { "-t", source });
            Assert.Equal(0, check.exit);
        }

        [Fact]
        public async Task CorruptUnverifiedDownloadIsDecompressFailedAndDeleted()
        {
            using (var server = new FixtureHttpServer())
            using (var downloader = new ImageDownloader())
            {
                var good = ImageFixture.Bzip2(ImageFixture.MakePayload(100_000, 3), _dir);
                var bad = (byte[])good.Clone();
                for (var i = 200; i < 400; i++) bad[i] ^= 0xFF;
                server.Serve("dfly-x86_64-9.9.2_REL.img.bz2", bad);
                var images = Path.Combine(_dir, "images");

                var error = await Assert.ThrowsAsync<ImageDecompressException>(() => downloader.SaveAsync(new ImageRequest
                {
                    Version = "9.9.2",
                    Kind = ImageKind.Img,
                    Mirror = server.Mirror,
                    ImagesDirectory = images,
                    AllowUnverified = true,
                }, null, CancellationToken.None));

                Assert.Equal("ImageDecompressFailed", error.ErrorId);
                // Nothing is left but the release's (empty) download lock file, which stays on purpose.
                Assert.Equal(new[] { "dfly-x86_64-9.9.2_REL.img.bz2.lock" }, Directory.GetFiles(images).Select(Path.GetFileName));
            }
        }
    }
}
