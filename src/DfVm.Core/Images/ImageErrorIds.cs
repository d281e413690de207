namespace DfVm.Core.Images
{
    /// <summary>Stable error ids the image exceptions carry (cmdlets use them for ErrorRecords).</summary>
    public static class ImageErrorIds
    {
        public const string ImageNotFound = nameof(ImageNotFound);
        public const string ImageDownloadFailed = nameof(ImageDownloadFailed);
        public const string ImageChecksumMismatch = nameof(ImageChecksumMismatch);
        public const string ImageChecksumUnavailable = nameof(ImageChecksumUnavailable);
        public const string ImageChecksumConflict = nameof(ImageChecksumConflict);
        public const string ImageDecompressFailed = nameof(ImageDecompressFailed);
        /// <summary>Save-DfVmImage -Uri: not an http(s) URL, or its last segment is not a plain file name.</summary>
        public const string InvalidImageUri = nameof(InvalidImageUri);
        /// <summary>-Mirror of Save-DfVmImage or Install-DfVm: not an absolute http(s) URL.</summary>
        public const string InvalidMirror = nameof(InvalidMirror);
    }
}
