using System;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace DfVm.Core.Images
{
    /// <summary>
    /// Finds the MD5 sums an image must match: the mirror's md5.txt, cross-checked with the
    /// sums built into <see cref="DragonFlyRelease"/>. When both exist they must agree.
    /// </summary>
    internal sealed class ChecksumResolver
    {
        private readonly HttpClient _http;
        private readonly TimeSpan _timeout;

        public ChecksumResolver(HttpClient http, TimeSpan timeout)
        {
            _http = http;
            _timeout = timeout;
        }

        public async Task<ExpectedChecksums> ResolveAsync(Uri mirror, string compressedName, string imageName, CancellationToken ct)
        {
            var listUri = DragonFlyRelease.FileUri(mirror, DragonFlyRelease.ChecksumListFileName);
            var knownCompressed = DragonFlyRelease.KnownMd5(compressedName);
            var knownImage = DragonFlyRelease.KnownMd5(imageName);

            var result = new ExpectedChecksums();
            string mirrorCompressed = null, mirrorImage = null;
            try
            {
                var text = await FetchListAsync(listUri, ct).ConfigureAwait(false);
                if (text == null)
                {
                    result.MirrorListProblem = $"{listUri} does not exist";
                }
                else
                {
                    var sums = Md5List.Parse(text);
                    sums.TryGetValue(compressedName, out mirrorCompressed);
                    sums.TryGetValue(imageName, out mirrorImage);
                    if (mirrorCompressed == null) result.MirrorListProblem = $"{listUri} has no entry for {compressedName}";
                }
            }
            catch (Exception e) when (IsTransferFailure(e, ct))
            {
                if (knownCompressed == null)
                    throw new ImageDownloadException($"Could not fetch {listUri}: {e.Message}", listUri, 0, e);
                result.MirrorListProblem = $"{listUri} could not be fetched ({e.Message})";
            }

            result.Compressed = Agree(compressedName, mirrorCompressed, knownCompressed);
            result.Decompressed = Agree(imageName, mirrorImage, knownImage);
            return result;
        }

        private static string Agree(string fileName, string fromMirror, string known)
        {
            if (fromMirror != null && known != null && !Md5File.SameHex(fromMirror, known))
                throw new ImageChecksumConflictException(fileName, fromMirror, known);
            return fromMirror ?? known;
        }

        // The list's text, or null when the mirror says it has none (404/410/403).
        private async Task<string> FetchListAsync(Uri listUri, CancellationToken ct)
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timeout.CancelAfter(_timeout);
                try
                {
                    using (var response = await _http.GetAsync(listUri, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false))
                    {
                        if (response.StatusCode == HttpStatusCode.NotFound || response.StatusCode == HttpStatusCode.Gone || response.StatusCode == HttpStatusCode.Forbidden)
                            return null;
                        if (!response.IsSuccessStatusCode)
                            throw new HttpRequestException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                        return await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new TimeoutException($"no answer within {_timeout.TotalSeconds:0} s");
                }
            }
        }

        internal static bool IsTransferFailure(Exception e, CancellationToken ct) =>
            !ct.IsCancellationRequested && (e is HttpRequestException || e is System.IO.IOException || e is TimeoutException || e is OperationCanceledException);
    }
}
