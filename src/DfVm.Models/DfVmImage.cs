namespace DfVm
{
    /// <summary>
    /// A DragonFly BSD release image cached on disk, decompressed and ready to boot
    /// (the output of Save-DfVmImage).
    /// </summary>
    public sealed class DfVmImage
    {
        /// <summary>Release version, e.g. "6.4.0".</summary>
        public string Version { get; set; }

        /// <summary>Iso (installer CD) or Img (USB/disk image).</summary>
        public ImageKind Kind { get; set; }

        /// <summary>Full path of the decompressed image.</summary>
        public string Path { get; set; }

        /// <summary>Size of the decompressed image in bytes.</summary>
        public long SizeBytes { get; set; }

        /// <summary>MD5 (lower-case hex) of the decompressed image.</summary>
        public string Md5 { get; set; }

        /// <summary>
        /// True when the download was checked against a published or built-in checksum;
        /// false only when the caller allowed an unverified image.
        /// </summary>
        public bool Verified { get; set; }

        /// <summary>SHA-256 (lower-case hex) of the file as downloaded, for an image fetched by URL (-Uri -Sha256); else null.</summary>
        public string Sha256 { get; set; }

        /// <summary>Where the compressed image was fetched from.</summary>
        public string Source { get; set; }

        public override string ToString() => Path;
    }
}
