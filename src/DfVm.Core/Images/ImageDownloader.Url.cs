using System;
using System.Diagnostics;
using System.IO;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Qemu;
using DfVm.Core.Util;
using ICSharpCode.SharpZipLib.GZip;

namespace DfVm.Core.Images
{
    /// <summary>What <see cref="ImageDownloader.SaveFromUrlAsync"/> fetches: any prebuilt image by URL, with the SHA-256 its publisher gives.</summary>
    public sealed class UrlImageRequest
    {
        public Uri Uri { get; set; }
        /// <summary>SHA-256 (hex) of the file at <see cref="Uri"/> as downloaded (the compressed file when compressed). Required.</summary>
        public string Sha256 { get; set; }
        public string ImagesDirectory { get; set; }
        public bool Force { get; set; }
    }

    public sealed partial class ImageDownloader
    {
        private static readonly Regex SafeFileName = new Regex(@"^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}\z", RegexOptions.CultureInvariant);
        private static readonly Regex Sha256Hex = new Regex(@"^[0-9A-Fa-f]{64}\z", RegexOptions.CultureInvariant);

        /// <summary>
        /// Fetches a prebuilt image by URL into the cache folder with the same resume, lock, progress and
        /// verification as the release ISO: resumable download to <c>X.part</c>, SHA-256 against
        /// <see cref="UrlImageRequest.Sha256"/> (a mismatch deletes it), then decompression by suffix
        /// (<c>.bz2</c> and <c>.gz</c> in-process with SharpZipLib; <c>.xz</c> and <c>.zst</c> through the
        /// host's <c>xz</c> and <c>zstd</c>), rename into place and a sidecar. A cached image whose sidecar
        /// records the same SHA-256 is returned without network traffic.
        /// </summary>
        public async Task<DfVmImage> SaveFromUrlAsync(UrlImageRequest req, IProgress<DownloadProgress> progress, CancellationToken ct)
        {
            if (req?.Uri == null) throw new ArgumentNullException(nameof(req));
            if (!req.Uri.IsAbsoluteUri || (req.Uri.Scheme != Uri.UriSchemeHttp && req.Uri.Scheme != Uri.UriSchemeHttps))
                throw new DfVmException(ErrorIds.InvalidImageUri, DfVmErrorKind.InvalidArgument, $"The image URL must be http(s), not '{req.Uri}'.", req.Uri.OriginalString);
            if (req.Sha256 == null || !Sha256Hex.IsMatch(req.Sha256))
                throw new ArgumentException("The SHA-256 must be 64 hex digits.", nameof(req));
            if (string.IsNullOrWhiteSpace(req.ImagesDirectory))
                throw new ArgumentException("ImagesDirectory is required.", nameof(req));
            string expected = req.Sha256.ToLowerInvariant();
            string fileName = Uri.UnescapeDataString(req.Uri.Segments.Length > 0 ? req.Uri.Segments[req.Uri.Segments.Length - 1] : "");
            if (!SafeFileName.IsMatch(fileName))
                throw new DfVmException(ErrorIds.InvalidImageUri, DfVmErrorKind.InvalidArgument, $"The URL's last path segment '{fileName}' is not a plain file name (letters, digits, . _ + -, not starting with a dot): DfVm names the cached image after it.", req.Uri.AbsoluteUri);

            var format = CompressionOf(fileName);
            string imageName = format == null ? fileName : fileName.Substring(0, fileName.Length - format.Length - 1);
            if (!SafeFileName.IsMatch(imageName))
                throw new DfVmException(ErrorIds.InvalidImageUri, DfVmErrorKind.InvalidArgument, $"'{fileName}' names no image once its .{format} is taken off.", req.Uri.AbsoluteUri);

            var directory = Path.GetFullPath(req.ImagesDirectory);
            Directory.CreateDirectory(directory);
            var imagePath = Path.Combine(directory, imageName);
            var partPath = Path.Combine(directory, fileName + ".part");
            var decompressPath = imagePath + ".part-decompress";

            if (!req.Force)
            {
                var cached = TryCachedUrl(imagePath, expected);
                if (cached != null) return cached;
            }
            bool waited = false;
            using (await DownloadLock.AcquireAsync(Path.Combine(directory, fileName + ".lock"), () => waited = true, ct).ConfigureAwait(false))
            {
                var fresh = waited ? TryCachedUrl(imagePath, expected) : null;
                if (fresh != null) return fresh;

                await new ResumableDownload(_http, StallTimeout, ProgressInterval).RunAsync(req.Uri, partPath, fileName, progress, ct).ConfigureAwait(false);
                string actual = Sha256Of(partPath, NewMeter(progress, ImageStage.Verify, fileName, new FileInfo(partPath).Length), ct);
                if (actual != expected)
                {
                    ResumableDownload.DeletePart(partPath);
                    throw new ImageChecksumException(fileName, expected, actual, "SHA-256");
                }

                string md5;
                if (format == null)
                {
                    md5 = Md5File.Compute(partPath, null, ct);
                    AtomicFile.TryDelete(decompressPath);
                    File.Move(partPath, decompressPath);
                }
                else
                {
                    md5 = DecompressByFormat(format, partPath, decompressPath, fileName, progress, ct);
                }

                AtomicFile.TryDelete(ImageSidecar.PathFor(imagePath));
                AtomicFile.MoveIntoPlace(decompressPath, imagePath);
                var sidecar = new ImageSidecar
                {
                    FileName = imageName,
                    Kind = ImageKind.Img.ToString(),
                    SizeBytes = new FileInfo(imagePath).Length,
                    Md5 = md5,
                    DownloadSha256 = expected,
                    Verified = true,
                    Source = req.Uri.AbsoluteUri,
                    SavedUtc = DateTime.UtcNow,
                };
                sidecar.Write(imagePath);
                ResumableDownload.DeletePart(partPath);
                return UrlImage(sidecar, imagePath);
            }
        }

        /// <summary>"xz", "zst", "bz2", "gz", or null for an image stored as it is.</summary>
        public static string CompressionOf(string fileName)
        {
            foreach (var ext in new[] { "xz", "zst", "bz2", "gz" })
            {
                if (fileName.EndsWith("." + ext, StringComparison.OrdinalIgnoreCase)) return ext;
            }
            return null;
        }

        private static DfVmImage TryCachedUrl(string imagePath, string sha256)
        {
            if (!File.Exists(imagePath)) return null;
            var sidecar = ImageSidecar.TryRead(imagePath);
            if (sidecar == null || !sidecar.Verified || sidecar.DownloadSha256 != sha256) return null;
            if (sidecar.SizeBytes != new FileInfo(imagePath).Length) return null;
            return UrlImage(sidecar, imagePath);
        }

        private static DfVmImage UrlImage(ImageSidecar sidecar, string imagePath) => new DfVmImage
        {
            Kind = ImageKind.Img,
            Path = imagePath,
            SizeBytes = sidecar.SizeBytes,
            Md5 = sidecar.Md5,
            Sha256 = sidecar.DownloadSha256,
            Verified = sidecar.Verified,
            Source = sidecar.Source,
        };

        private static string Sha256Of(string path, ProgressMeter meter, CancellationToken ct)
        {
            using (var sha = SHA256.Create()) return Md5File.Compute(sha, path, meter, ct);
        }

        private string DecompressByFormat(string format, string partPath, string decompressPath, string fileName, IProgress<DownloadProgress> progress, CancellationToken ct)
        {
            var meter = NewMeter(progress, ImageStage.Decompress, fileName, new FileInfo(partPath).Length);
            try
            {
                switch (format)
                {
                    case "bz2": return Bzip2Decompressor.Decompress(partPath, decompressPath, meter, ct);
                    case "gz": return GzipDecompress(partPath, decompressPath, meter, ct);
                    case "xz": return ToolDecompressor.Decompress("xz", "xz-utils", partPath, decompressPath, meter, ct);
                    default: return ToolDecompressor.Decompress("zstd", "zstd", partPath, decompressPath, meter, ct);
                }
            }
            catch (InvalidDataException e)
            {
                AtomicFile.TryDelete(decompressPath);
                ResumableDownload.DeletePart(partPath);
                throw new ImageDecompressException(fileName, e, format);
            }
            catch
            {
                AtomicFile.TryDelete(decompressPath);
                throw;
            }
        }

        private static string GzipDecompress(string source, string destination, ProgressMeter meter, CancellationToken ct)
        {
            using (var md5 = MD5.Create())
            using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
            using (var output = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var buffer = new byte[1 << 20];
                try
                {
                    using (var gz = new GZipInputStream(input) { IsStreamOwner = false })
                    {
                        int read;
                        while ((read = gz.Read(buffer, 0, buffer.Length)) > 0)
                        {
                            ct.ThrowIfCancellationRequested();
                            output.Write(buffer, 0, read);
                            md5.TransformBlock(buffer, 0, read, null, 0);
                            meter?.Update(input.Position);
                        }
                    }
                }
                catch (Exception e) when (!(e is OperationCanceledException) && (!(e is IOException) || e is EndOfStreamException || e is ICSharpCode.SharpZipLib.SharpZipBaseException))
                {
                    throw new InvalidDataException($"corrupt gzip data: {e.Message}", e);
                }
                output.Flush(true);
                md5.TransformFinalBlock(buffer, 0, 0);
                meter?.Complete(input.Length);
                return Md5File.ToHex(md5.Hash);
            }
        }
    }

    /// <summary>
    /// xz and zstd have no decoder in the Core's libraries (SharpZipLib has bzip2 and gzip only): the
    /// host's own tool decodes, fed on stdin (so progress follows the input) and read from stdout, hashed
    /// on the way. Argv only, no shell.
    /// </summary>
    internal static class ToolDecompressor
    {
        public static string Decompress(string tool, string package, string source, string destination, ProgressMeter meter, CancellationToken ct)
        {
            string exe;
            try { exe = QemuTools.Find(tool, package); }
            catch (DfVmException)
            {
                throw new DfVmException(ErrorIds.ImageDecompressFailed, DfVmErrorKind.NotInstalled,
                    $"{tool} is needed to decompress {Path.GetFileName(source)} but is not on PATH. Install it ('sudo apt-get install {package}' on Debian/Ubuntu), then run the same command again (the download is kept).");
            }
            var psi = ProcessRunner.StartInfo(exe, new[] { "-d", "-c" });
            psi.RedirectStandardInput = true;
            psi.RedirectStandardOutput = true;
            psi.RedirectStandardError = true;
            using (var md5 = MD5.Create())
            using (var process = Process.Start(psi))
            using (ct.Register(() => { try { if (!process.HasExited) process.Kill(); } catch (InvalidOperationException) { } }))
            using (var output = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var stderr = process.StandardError.ReadToEndAsync();
                var feed = Task.Run(() =>
                {
                    try
                    {
                        using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
                        using (var stdin = process.StandardInput.BaseStream)
                        {
                            var b = new byte[1 << 20];
                            int n;
                            while ((n = input.Read(b, 0, b.Length)) > 0)
                            {
                                stdin.Write(b, 0, n);
                                meter?.Update(input.Position);
                            }
                        }
                    }
                    catch (IOException) { /* the tool stopped reading (bad data): its exit code says why */ }
                });
                var buffer = new byte[1 << 20];
                var stdout = process.StandardOutput.BaseStream;
                int read;
                while ((read = stdout.Read(buffer, 0, buffer.Length)) > 0)
                {
                    output.Write(buffer, 0, read);
                    md5.TransformBlock(buffer, 0, read, null, 0);
                }
                feed.Wait();
                process.WaitForExit();
                ct.ThrowIfCancellationRequested();
                if (process.ExitCode != 0)
                {
                    throw new InvalidDataException($"{tool} -d exit {process.ExitCode}: {stderr.Result.Trim()}");
                }
                output.Flush(true);
                md5.TransformFinalBlock(buffer, 0, 0);
                meter?.Complete(new FileInfo(source).Length);
                return Md5File.ToHex(md5.Hash);
            }
        }
    }
}
