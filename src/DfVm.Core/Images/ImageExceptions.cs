using System;

namespace DfVm.Core.Images
{
    /// <summary>Base of every error fetching or preparing a release image.</summary>
    public abstract class ImageException : DfVmException
    {
        /// <param name="errorId">A stable id (one of the Image ids of <see cref="ErrorIds"/>), never derived from the message.</param>
        protected ImageException(string errorId, DfVmErrorKind kind, string message, Exception inner = null, string recommendedAction = null)
            : base(errorId, kind, message, null, inner)
        {
            RecommendedAction = recommendedAction;
        }

        /// <summary>The remedy when the bad file is gone: a new download.</summary>
        protected const string DownloadAgain = "Run the same command again to download the file anew.";
    }

    /// <summary>The mirror answered 404 for the image: wrong version, kind or mirror.</summary>
    public sealed class ImageNotFoundException : ImageException
    {
        public ImageNotFoundException(Uri uri)
            : base(ErrorIds.ImageNotFound, DfVmErrorKind.NotFound, $"The mirror has no such image: {uri} (404). Check the version, kind and mirror.",
                   recommendedAction: "Check the version, kind and mirror (-Mirror).")
        {
            Uri = uri;
        }

        public Uri Uri { get; }
    }

    /// <summary>
    /// The transfer failed (connection dropped, stalled, unexpected HTTP status). Bytes already
    /// received stay in the .part file and the next call resumes from them.
    /// </summary>
    public sealed class ImageDownloadException : ImageException
    {
        public ImageDownloadException(string message, Uri uri, long partialBytes, Exception inner = null, string recommendedAction = null)
            : base(ErrorIds.ImageDownloadFailed, DfVmErrorKind.ConnectionError, message, inner, recommendedAction)
        {
            Uri = uri;
            PartialBytes = partialBytes;
        }

        public Uri Uri { get; }

        /// <summary>Bytes kept in the .part file for the next attempt.</summary>
        public long PartialBytes { get; }
    }

    /// <summary>A downloaded or decompressed file does not have the expected MD5; the bad file was deleted.</summary>
    public sealed class ImageChecksumException : ImageException
    {
        public ImageChecksumException(string fileName, string expectedMd5, string actualMd5, string algorithm = "MD5")
            : base(ErrorIds.ImageChecksumMismatch, DfVmErrorKind.InvalidResult,
                   $"{algorithm} mismatch for {fileName}: expected {expectedMd5}, got {actualMd5}. The bad file was deleted; run again to download it anew.",
                   recommendedAction: DownloadAgain)
        {
            FileName = fileName;
            ExpectedMd5 = expectedMd5;
            ActualMd5 = actualMd5;
        }

        public string FileName { get; }
        public string ExpectedMd5 { get; }
        public string ActualMd5 { get; }
    }

    /// <summary>No checksum could be found (the mirror has no md5.txt entry and none is built in).</summary>
    public sealed class ImageChecksumUnavailableException : ImageException
    {
        public ImageChecksumUnavailableException(string fileName, Uri checksumListUri)
            : base(ErrorIds.ImageChecksumUnavailable, DfVmErrorKind.InvalidResult,
                   $"No MD5 is known for {fileName}: {checksumListUri} has no entry for it and the module knows none. Allow an unverified image to go on anyway.",
                   recommendedAction: "Use a mirror (-Mirror) whose md5.txt lists the file.")
        {
            FileName = fileName;
            ChecksumListUri = checksumListUri;
        }

        public string FileName { get; }
        public Uri ChecksumListUri { get; }
    }

    /// <summary>The mirror's md5.txt and the module's built-in checksum disagree; nothing was downloaded.</summary>
    public sealed class ImageChecksumConflictException : ImageException
    {
        public ImageChecksumConflictException(string fileName, string mirrorMd5, string knownMd5)
            : base(ErrorIds.ImageChecksumConflict, DfVmErrorKind.InvalidResult,
                   $"The mirror's md5.txt says {fileName} has MD5 {mirrorMd5}, but the module knows it as {knownMd5}. Refusing to trust either; try another mirror.",
                   recommendedAction: "Try another mirror (-Mirror).")
        {
            FileName = fileName;
            MirrorMd5 = mirrorMd5;
            KnownMd5 = knownMd5;
        }

        public string FileName { get; }
        public string MirrorMd5 { get; }
        public string KnownMd5 { get; }
    }

    /// <summary>The compressed image could not be decompressed (corrupt bzip2 data); it was deleted.</summary>
    public sealed class ImageDecompressException : ImageException
    {
        public ImageDecompressException(string fileName, Exception inner, string format = "bzip2")
            : base(ErrorIds.ImageDecompressFailed, DfVmErrorKind.InvalidData,
                   $"{fileName} is not valid {format} data ({inner.Message}). It was deleted; run again to download it anew.", inner, DownloadAgain)
        {
            FileName = fileName;
        }

        public string FileName { get; }
    }
}
