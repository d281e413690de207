using System;

namespace DfVm.Core.Images
{
    /// <summary>The step of fetching an image that a progress report is about.</summary>
    public enum ImageStage
    {
        Download,
        Verify,
        Decompress,
    }

    /// <summary>One progress report while an image is fetched, checked or decompressed.</summary>
    public sealed class DownloadProgress
    {
        public DownloadProgress(ImageStage stage, string fileName, long bytesDone, long? totalBytes, double bytesPerSecond, TimeSpan? eta)
        {
            Stage = stage;
            FileName = fileName;
            BytesDone = bytesDone;
            TotalBytes = totalBytes;
            BytesPerSecond = bytesPerSecond;
            Eta = eta;
        }

        public ImageStage Stage { get; }

        /// <summary>The file being worked on (the compressed file for Download/Verify).</summary>
        public string FileName { get; }

        /// <summary>Bytes done so far, counting bytes a resumed download already had.</summary>
        public long BytesDone { get; }

        /// <summary>Total bytes when known.</summary>
        public long? TotalBytes { get; }

        /// <summary>Average rate since this stage started.</summary>
        public double BytesPerSecond { get; }

        /// <summary>Estimated time left, when the total and a rate are known.</summary>
        public TimeSpan? Eta { get; }

        /// <summary>0-100 when the total is known, else null.</summary>
        public double? PercentComplete =>
            TotalBytes.HasValue && TotalBytes.Value > 0
                ? Math.Min(100.0, BytesDone * 100.0 / TotalBytes.Value)
                : TotalBytes.HasValue ? 100.0 : (double?)null;

        public override string ToString() =>
            $"{Stage} {FileName}: {BytesDone}/{(TotalBytes.HasValue ? TotalBytes.Value.ToString() : "?")} bytes";
    }
}
