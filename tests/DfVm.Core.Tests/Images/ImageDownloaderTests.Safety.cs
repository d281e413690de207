using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Images;
using Xunit;

namespace DfVm.Core.Tests.Images
{
    /// <summary>
    /// Issue 10 item 7: one download of a release at a time, across processes (a real flock, checked
    /// against python3's fcntl.flock), and a resume that cannot splice two versions of a mirror file.
    /// </summary>
    public sealed partial class ImageDownloaderTests
    {
        private string LockPath => Path.Combine(_fixture.ImagesDirectory, Compressed + ".lock");

        [Fact]
        public async Task A_mirror_file_that_changed_between_two_attempts_is_fetched_whole_not_spliced()
        {
            // The first attempt gets half of an older file, then the mirror replaces it.
            var older = (byte[])_fixture.Compressed.Clone();
            for (int i = 0; i < 512; i++) older[i] ^= 0xFF;
            ServeImageAndSums();
            _server.Serve(Compressed, older);
            int half = older.Length / 2;
            _server.DropNextBodyAfter(half);
            await Assert.ThrowsAsync<ImageDownloadException>(() => _downloader.SaveAsync(Request(), null, CancellationToken.None));
            Assert.Equal(half, new FileInfo(PartPath).Length);
            Assert.Equal(FixtureHttpServer.ETagOf(older), File.ReadAllText(ResumableDownload.ValidatorPath(PartPath)).Trim());

            _server.Serve(Compressed, _fixture.Compressed);
            var image = await _downloader.SaveAsync(Request(), null, CancellationToken.None);

            Assert.Contains(_server.Requests, r => r.Range == $"bytes={half}-" && r.IfRange == FixtureHttpServer.ETagOf(older));
            Assert.Equal(_fixture.PayloadMd5, image.Md5);
            Assert.Equal(_fixture.Payload, File.ReadAllBytes(image.Path));
            Assert.False(File.Exists(ResumableDownload.ValidatorPath(PartPath)), "the validator goes with the .part");
        }

        [Fact]
        public async Task An_unchanged_mirror_file_still_resumes_with_a_range()
        {
            ServeImageAndSums();
            int half = _fixture.Compressed.Length / 2;
            _server.DropNextBodyAfter(half);
            await Assert.ThrowsAsync<ImageDownloadException>(() => _downloader.SaveAsync(Request(), null, CancellationToken.None));
            await _downloader.SaveAsync(Request(), null, CancellationToken.None);
            // Two GETs of the file in all: the second asked for (and got) only the rest.
            Assert.Equal(2, _server.Requests.Count(r => r.Method == "GET" && r.Path.EndsWith(Compressed)));
            Assert.Contains(_server.Requests, r => r.Range == $"bytes={half}-" && r.IfRange == FixtureHttpServer.ETagOf(_fixture.Compressed));
        }

        private static Process HoldFlock(string path, bool nonBlocking)
        {
            string op = nonBlocking ? "fcntl.LOCK_EX | fcntl.LOCK_NB" : "fcntl.LOCK_EX";
            var psi = new ProcessStartInfo("python3", "-c \"import fcntl,sys\nf=open(sys.argv[1],'a')\ntry:\n  fcntl.flock(f," + op + ")\nexcept BlockingIOError:\n  print('busy',flush=True); sys.exit(3)\nprint('locked',flush=True)\nsys.stdin.read()\" " + path)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            return Process.Start(psi);
        }

        [Fact]
        public async Task A_download_waits_while_another_process_holds_the_release_lock()
        {
            ServeImageAndSums();
            Directory.CreateDirectory(_fixture.ImagesDirectory);
            using (var other = HoldFlock(LockPath, false))
            {
                try
                {
                    Assert.Equal("locked", other.StandardOutput.ReadLine());
                    var save = _downloader.SaveAsync(Request(), null, CancellationToken.None);
                    var deadline = Stopwatch.StartNew();
                    while (deadline.Elapsed < TimeSpan.FromSeconds(2) && !save.IsCompleted) await Task.Delay(50);
                    Assert.False(save.IsCompleted, "the download ran while another process held the lock");
                    Assert.DoesNotContain(_server.Requests, r => r.Path.EndsWith(Compressed));

                    other.StandardInput.Close(); // the other process ends and its lock with it
                    var image = await save;
                    Assert.Equal(_fixture.Payload, File.ReadAllBytes(image.Path));
                }
                finally
                {
                    if (!other.HasExited) other.Kill();
                }
            }
        }

        [Fact]
        public async Task The_release_lock_shuts_out_another_process()
        {
            Directory.CreateDirectory(_fixture.ImagesDirectory);
            using (await DownloadLock.AcquireAsync(LockPath, null, CancellationToken.None))
            using (var other = HoldFlock(LockPath, true))
            {
                Assert.Equal("busy", other.StandardOutput.ReadLine());
                Assert.True(other.WaitForExit(10000));
                Assert.Equal(3, other.ExitCode);
            }
            using (var other = HoldFlock(LockPath, true))
            {
                Assert.Equal("locked", other.StandardOutput.ReadLine());
                other.StandardInput.Close();
                Assert.True(other.WaitForExit(10000));
            }
        }

        [Fact]
        public async Task Two_downloads_of_one_release_in_one_process_transfer_it_once()
        {
            ServeImageAndSums();
            Directory.CreateDirectory(_fixture.ImagesDirectory);
            // Hold the lock so both start before either may download, then let them race for it.
            var hold = await DownloadLock.AcquireAsync(LockPath, null, CancellationToken.None);
            Task<DfVmImage> a, b;
            using (var second = new ImageDownloader { StallTimeout = TimeSpan.FromSeconds(20) })
            {
                a = _downloader.SaveAsync(Request(), null, CancellationToken.None);
                b = second.SaveAsync(Request(), null, CancellationToken.None);
                await Task.Delay(300);
                Assert.False(a.IsCompleted || b.IsCompleted);
                hold.Dispose();
                var images = await Task.WhenAll(a, b);
                Assert.Equal(images[0].Path, images[1].Path);
            }
            Assert.Equal(1, _server.Requests.Count(r => r.Method == "GET" && r.Path.EndsWith(Compressed)));
            Assert.Equal(_fixture.Payload, File.ReadAllBytes(Path.Combine(_fixture.ImagesDirectory, "dfly-x86_64-9.9.1_REL.iso")));
        }
    }
}
