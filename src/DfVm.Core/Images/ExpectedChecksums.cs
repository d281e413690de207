namespace DfVm.Core.Images
{
    /// <summary>The MD5 sums an image must match, and where the compressed one came from.</summary>
    internal sealed class ExpectedChecksums
    {
        /// <summary>Expected MD5 of the .bz2 file, or null when none is known.</summary>
        public string Compressed { get; set; }

        /// <summary>Expected MD5 of the decompressed image, or null when none is known.</summary>
        public string Decompressed { get; set; }

        /// <summary>Why no mirror list was used, when it was not (for messages).</summary>
        public string MirrorListProblem { get; set; }
    }
}
