using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

using DfVm.Core.Util;

namespace DfVm.Core.Images
{
    /// <summary>
    /// Fetches a DragonFly release image into a cache folder: resumable download of the .bz2,
    /// MD5 check against the mirror's md5.txt and the built-in sums, streaming bzip2
    /// decompression, rename into place. A verified cached image is returned without any
    /// network traffic.
    /// </summary>
    /// <remarks>
    /// Files in the images folder for image X: <c>X.bz2.part</c> (download in progress, kept
    /// across failures for resume), <c>X.part-decompress</c> (decompression in progress),
    /// <c>X</c> (the image) and <c>X.json</c> (what was verified); <c>X.bz2.part.validator</c> (the
    /// ETag or Last-Modified the .part came with, for If-Range) and <c>X.bz2.lock</c> (one download
    /// of X at a time, across processes).
    /// </remarks>
    public sealed partial class ImageDownloader : IDisposable
    {
        private readonly HttpClient _http;
        private readonly bool _ownsHttp;

        /// <summary>Uses <paramref name="httpClient"/> when given (not disposed here), else an own client.</summary>
        public ImageDownloader(HttpClient httpClient = null)
        {
            if (httpClient != null)
            {
                _http = httpClient;
                return;
            }
            var handler = new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None, AllowAutoRedirect = true };
            _http = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
            _http.DefaultRequestHeaders.UserAgent.ParseAdd("DfVm/0.1");
            _ownsHttp = true;
        }

        /// <summary>How long a request may wait for headers or for the next body bytes before it fails (resumable).</summary>
        public TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(60);

        /// <summary>Least time between two progress reports of one stage (first and last always go out).</summary>
        public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromMilliseconds(200);

        /// <summary>One <see cref="SaveAsync"/> with a downloader of its own (the installers' image step).</summary>
        public static async Task<DfVmImage> SaveOnceAsync(ImageRequest req, IProgress<DownloadProgress> progress, CancellationToken ct)
        {
            using (var downloader = new ImageDownloader())
            {
                return await downloader.SaveAsync(req, progress, ct).ConfigureAwait(false);
            }
        }

        /// <summary>
        /// Returns the cached image when a verified one is there (unless <see cref="ImageRequest.Force"/>),
        /// else downloads, verifies and decompresses it.
        /// </summary>
        /// <exception cref="ImageNotFoundException">The mirror has no such file (404).</exception>
        /// <exception cref="ImageDownloadException">The transfer broke; a later call resumes it.</exception>
        /// <exception cref="ImageChecksumException">MD5 mismatch; the bad file was deleted.</exception>
        /// <exception cref="ImageChecksumUnavailableException">No checksum known and unverified images not allowed.</exception>
        /// <exception cref="ImageChecksumConflictException">The mirror's and the built-in checksum disagree.</exception>
        /// <exception cref="ImageDecompressException">The .bz2 is not valid bzip2; it was deleted.</exception>
        public async Task<DfVmImage> SaveAsync(ImageRequest req, IProgress<DownloadProgress> progress, CancellationToken ct)
        {
            if (req == null) throw new ArgumentNullException(nameof(req));
            DragonFlyRelease.ValidateVersion(req.Version);
            if (string.IsNullOrWhiteSpace(req.ImagesDirectory))
                throw new ArgumentException("ImagesDirectory is required.", nameof(req));
            ImageRequest.ValidateMirror(req.Mirror);
            var mirror = req.Mirror ?? DragonFlyRelease.DefaultMirrors[0];

            var directory = Path.GetFullPath(req.ImagesDirectory);
            Directory.CreateDirectory(directory);
            var imageName = DragonFlyRelease.ImageFileName(req.Version, req.Kind);
            var compressedName = DragonFlyRelease.CompressedFileName(req.Version, req.Kind);
            var imagePath = Path.Combine(directory, imageName);
            var partPath = Path.Combine(directory, compressedName + ".part");
            var decompressPath = imagePath + ".part-decompress";
            var imageUri = DragonFlyRelease.FileUri(mirror, compressedName);

            if (!req.Force)
            {
                var cached = TryCached(req, imagePath, imageName);
                if (cached != null) return cached;
            }

            bool waited = false;
            using (await DownloadLock.AcquireAsync(Path.Combine(directory, compressedName + ".lock"), () => waited = true, ct).ConfigureAwait(false))
            {
                // The download this one waited for has just saved the image: that is the one to use.
                var fresh = waited ? TryCached(req, imagePath, imageName) : null;
                if (fresh != null) return fresh;
                return await DownloadLockedAsync(req, mirror, directory, imageName, compressedName, imagePath, partPath, decompressPath, imageUri, progress, ct).ConfigureAwait(false);
            }
        }

        private async Task<DfVmImage> DownloadLockedAsync(ImageRequest req, Uri mirror, string directory, string imageName, string compressedName,
            string imagePath, string partPath, string decompressPath, Uri imageUri, IProgress<DownloadProgress> progress, CancellationToken ct)
        {
            var expected = await new ChecksumResolver(_http, StallTimeout)
                .ResolveAsync(mirror, compressedName, imageName, ct).ConfigureAwait(false);
            if (expected.Compressed == null && !req.AllowUnverified)
            {
                // Tell a missing image apart from a missing checksum before giving up.
                await ThrowIfImageMissingAsync(imageUri, ct).ConfigureAwait(false);
                throw new ImageChecksumUnavailableException(compressedName, DragonFlyRelease.FileUri(mirror, DragonFlyRelease.ChecksumListFileName));
            }

            await new ResumableDownload(_http, StallTimeout, ProgressInterval)
                .RunAsync(imageUri, partPath, compressedName, progress, ct).ConfigureAwait(false);

            var compressedMd5 = Md5File.Compute(partPath, NewMeter(progress, ImageStage.Verify, compressedName, new FileInfo(partPath).Length), ct);
            if (expected.Compressed != null && !Md5File.SameHex(compressedMd5, expected.Compressed))
            {
                ResumableDownload.DeletePart(partPath);
                throw new ImageChecksumException(compressedName, expected.Compressed, compressedMd5);
            }

            var imageMd5 = Decompress(partPath, decompressPath, compressedName, progress, ct);
            if (expected.Decompressed != null && !Md5File.SameHex(imageMd5, expected.Decompressed))
            {
                AtomicFile.TryDelete(decompressPath);
                ResumableDownload.DeletePart(partPath);
                throw new ImageChecksumException(imageName, expected.Decompressed, imageMd5);
            }

            // Old sidecar first: an image without a sidecar is never trusted, so a crash between
            // the steps below costs a download, never a wrong answer.
            AtomicFile.TryDelete(ImageSidecar.PathFor(imagePath));
            AtomicFile.MoveIntoPlace(decompressPath, imagePath);
            var sidecar = new ImageSidecar
            {
                FileName = imageName,
                Version = req.Version,
                Kind = req.Kind.ToString(),
                SizeBytes = new FileInfo(imagePath).Length,
                Md5 = imageMd5,
                CompressedMd5 = compressedMd5,
                Verified = expected.Compressed != null,
                Source = imageUri.AbsoluteUri,
                SavedUtc = DateTime.UtcNow,
            };
            sidecar.Write(imagePath);
            ResumableDownload.DeletePart(partPath);
            return ToImage(sidecar, imagePath, req.Kind);
        }

        private static DfVmImage TryCached(ImageRequest req, string imagePath, string imageName)
        {
            if (!File.Exists(imagePath)) return null;
            var sidecar = ImageSidecar.TryRead(imagePath);
            if (sidecar == null || string.IsNullOrEmpty(sidecar.Md5)) return null;
            if (sidecar.SizeBytes != new FileInfo(imagePath).Length) return null;
            if (!sidecar.Verified && !req.AllowUnverified) return null;
            var known = DragonFlyRelease.KnownMd5(imageName);
            if (known != null && !Md5File.SameHex(known, sidecar.Md5)) return null;
            return ToImage(sidecar, imagePath, req.Kind);
        }

        private static DfVmImage ToImage(ImageSidecar sidecar, string imagePath, ImageKind kind) => new DfVmImage
        {
            Version = sidecar.Version,
            Kind = kind,
            Path = imagePath,
            SizeBytes = sidecar.SizeBytes,
            Md5 = sidecar.Md5,
            Verified = sidecar.Verified,
            Source = sidecar.Source,
        };

        private string Decompress(string partPath, string decompressPath, string compressedName, IProgress<DownloadProgress> progress, CancellationToken ct)
        {
            var meter = NewMeter(progress, ImageStage.Decompress, compressedName, new FileInfo(partPath).Length);
            try
            {
                return Bzip2Decompressor.Decompress(partPath, decompressPath, meter, ct);
            }
            catch (InvalidDataException e)
            {
                AtomicFile.TryDelete(decompressPath);
                ResumableDownload.DeletePart(partPath);
                throw new ImageDecompressException(compressedName, e);
            }
            catch
            {
                AtomicFile.TryDelete(decompressPath);
                throw;
            }
        }

        private async Task ThrowIfImageMissingAsync(Uri imageUri, CancellationToken ct)
        {
            try
            {
                using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
                using (var head = new HttpRequestMessage(HttpMethod.Head, imageUri))
                {
                    timeout.CancelAfter(StallTimeout);
                    using (var response = await _http.SendAsync(head, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false))
                    {
                        if (response.StatusCode == HttpStatusCode.NotFound) throw new ImageNotFoundException(imageUri);
                    }
                }
            }
            catch (Exception e) when (ChecksumResolver.IsTransferFailure(e, ct))
            {
                // The probe only refines the error; the checksum problem stands.
            }
        }

        private ProgressMeter NewMeter(IProgress<DownloadProgress> progress, ImageStage stage, string fileName, long total) =>
            new ProgressMeter(progress, stage, fileName, total, 0, ProgressInterval);

        public void Dispose()
        {
            if (_ownsHttp) _http.Dispose();
        }
    }
}
