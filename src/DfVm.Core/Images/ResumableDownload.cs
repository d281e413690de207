using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;

using DfVm.Core.Util;

namespace DfVm.Core.Images
{
    /// <summary>
    /// Streams one URL into a .part file, resuming from what the file already holds with an
    /// HTTP Range request: 206 appends, 200 (Range ignored) starts over, 416 means the file
    /// is already whole. A transfer that breaks keeps its bytes for the next attempt. The
    /// validator of the response the .part came from (ETag, else Last-Modified) is kept in
    /// <c>X.part.validator</c> and sent as If-Range: a mirror file that changed since answers
    /// 200 with the whole new file, so old and new bytes are never spliced.
    /// </summary>
    internal sealed class ResumableDownload
    {
        private readonly HttpClient _http;
        private readonly TimeSpan _stallTimeout;
        private readonly TimeSpan _progressInterval;

        public ResumableDownload(HttpClient http, TimeSpan stallTimeout, TimeSpan progressInterval)
        {
            _http = http;
            _stallTimeout = stallTimeout;
            _progressInterval = progressInterval;
        }

        /// <summary>Fetches <paramref name="uri"/> into <paramref name="partPath"/>; returns the file's final length.</summary>
        public async Task<long> RunAsync(Uri uri, string partPath, string fileName, IProgress<DownloadProgress> progress, CancellationToken ct)
        {
            // At most one restart: when the server ignores Range or answers another range.
            for (var attempt = 0; ; attempt++)
            {
                var have = File.Exists(partPath) ? new FileInfo(partPath).Length : 0;
                try
                {
                    var outcome = await TryOnceAsync(uri, partPath, fileName, have, progress, ct).ConfigureAwait(false);
                    if (outcome >= 0) return outcome;
                    if (attempt > 0)
                        throw new ImageDownloadException($"The server at {uri} answered a range that does not continue the partial download; gave up after restarting once.", uri, 0);
                    ResumableDownload.DeletePart(partPath);
                }
                catch (IOException e) when (DiskFull.Is(e))
                {
                    var kept = File.Exists(partPath) ? new FileInfo(partPath).Length : 0;
                    throw new ImageDownloadException(
                        $"Writing {partPath} failed after {kept} bytes: the file system holding it is full ({e.Message}). Free space there, then run the same command again to resume.",
                        uri, kept, e, $"Free space on the file system that holds {partPath}, then run the same command again to resume.");
                }
                catch (Exception e) when (ChecksumResolver.IsTransferFailure(e, ct) || (e is OperationCanceledException && !ct.IsCancellationRequested))
                {
                    var kept = File.Exists(partPath) ? new FileInfo(partPath).Length : 0;
                    throw new ImageDownloadException(
                        $"Downloading {uri} failed after {kept} bytes: {e.Message}. The partial file was kept; run the same command again to resume.",
                        uri, kept, e, "Run the same command again to resume from the partial file.");
                }
            }
        }

        // Returns the final length, or -1 when the partial file must be dropped and the request made again.
        private async Task<long> TryOnceAsync(Uri uri, string partPath, string fileName, long have, IProgress<DownloadProgress> progress, CancellationToken ct)
        {
            using (var request = new HttpRequestMessage(HttpMethod.Get, uri))
            {
                if (have > 0)
                {
                    request.Headers.Range = new RangeHeaderValue(have, null);
                    var validator = ReadValidator(partPath);
                    if (validator != null) request.Headers.IfRange = validator;
                }
                using (var response = await SendAsync(request, ct).ConfigureAwait(false))
                {
                    long start;
                    long? total;
                    switch (response.StatusCode)
                    {
                        case HttpStatusCode.NotFound:
                            throw new ImageNotFoundException(uri);
                        case HttpStatusCode.RequestedRangeNotSatisfiable:
                            if (have == 0)
                                throw new ImageDownloadException($"The server at {uri} refused the download (HTTP 416).", uri, 0);
                            // The partial file is (at least) whole; the checksum decides.
                            new ProgressMeter(progress, ImageStage.Download, fileName, have, have, _progressInterval).Complete(have);
                            return have;
                        case HttpStatusCode.PartialContent:
                            var range = response.Content.Headers.ContentRange;
                            if (range == null || !range.From.HasValue || range.From.Value != have) return -1;
                            start = have;
                            total = range.Length ?? (response.Content.Headers.ContentLength + have);
                            break;
                        case HttpStatusCode.OK:
                            start = 0;
                            total = response.Content.Headers.ContentLength;
                            break;
                        default:
                            throw new ImageDownloadException(
                                $"The server at {uri} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}.", uri, have);
                    }

                    if (start == 0) WriteValidator(partPath, response);
                    var done = await CopyBodyAsync(response, partPath, start, total, fileName, progress, ct).ConfigureAwait(false);
                    if (total.HasValue && done < total.Value)
                        throw new IOException($"the connection closed at byte {done} of {total.Value}");
                    return done;
                }
            }
        }

        /// <summary>Deletes the .part and its validator.</summary>
        public static void DeletePart(string partPath)
        {
            AtomicFile.TryDelete(partPath);
            AtomicFile.TryDelete(ValidatorPath(partPath));
        }

        /// <summary>Where the validator of the .part's response is kept.</summary>
        public static string ValidatorPath(string partPath) => partPath + ".validator";

        private static RangeConditionHeaderValue ReadValidator(string partPath)
        {
            string text = File.Exists(ValidatorPath(partPath)) ? File.ReadAllText(ValidatorPath(partPath)).Trim() : "";
            if (text.Length == 0) return null;
            if (text.StartsWith("\"", StringComparison.Ordinal) || text.StartsWith("W/", StringComparison.Ordinal))
            {
                // A weak ETag may not be used in If-Range (RFC 9110 13.1.5): no validator then.
                return text.StartsWith("W/", StringComparison.Ordinal) ? null : new RangeConditionHeaderValue(new EntityTagHeaderValue(text));
            }
            return DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var date)
                ? new RangeConditionHeaderValue(date) : null;
        }

        /// <summary>The .part starts anew from this response: remember its validator (or that it has none).</summary>
        private static void WriteValidator(string partPath, HttpResponseMessage response)
        {
            string validator = response.Headers.ETag?.ToString()
                ?? response.Content.Headers.LastModified?.ToString("r", System.Globalization.CultureInfo.InvariantCulture)
                ?? "";
            AtomicFile.WriteAllText(ValidatorPath(partPath), validator + "\n");
        }

        private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timeout.CancelAfter(_stallTimeout);
                try
                {
                    return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new TimeoutException($"no answer within {_stallTimeout.TotalSeconds:0} s");
                }
            }
        }

        private async Task<long> CopyBodyAsync(HttpResponseMessage response, string partPath, long start, long? total, string fileName,
            IProgress<DownloadProgress> progress, CancellationToken ct)
        {
            var meter = new ProgressMeter(progress, ImageStage.Download, fileName, total, start, _progressInterval);
            var done = start;
            // FileShare.Read: a second downloader of the same file fails here instead of interleaving.
            using (var file = new FileStream(partPath, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, 1 << 16))
            using (var body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false))
            {
                file.SetLength(start);
                file.Position = start;
                meter.Update(done);
                var buffer = new byte[1 << 16];
                while (true)
                {
                    int read;
                    using (var stall = CancellationTokenSource.CreateLinkedTokenSource(ct))
                    {
                        stall.CancelAfter(_stallTimeout);
                        try
                        {
                            read = await body.ReadAsync(buffer, 0, buffer.Length, stall.Token).ConfigureAwait(false);
                        }
                        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                        {
                            throw new TimeoutException($"no data for {_stallTimeout.TotalSeconds:0} s");
                        }
                    }
                    if (read == 0) break;
                    await file.WriteAsync(buffer, 0, read, ct).ConfigureAwait(false);
                    done += read;
                    meter.Update(done);
                }
                await file.FlushAsync(ct).ConfigureAwait(false);
            }
            if (!total.HasValue || done >= total.Value) meter.Complete(done);
            return done;
        }
    }
}
