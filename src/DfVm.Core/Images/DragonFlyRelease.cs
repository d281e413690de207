using System;
using System.Collections.Generic;
using System.Text.RegularExpressions;

namespace DfVm.Core.Images
{
    /// <summary>
    /// What the module knows about DragonFly BSD release media: versions, file names,
    /// mirrors and checksums it can vouch for without asking a mirror.
    /// </summary>
    public static class DragonFlyRelease
    {
        /// <summary>
        /// The version used when none is asked for: the newest release known to this module. Its
        /// MD5 is not built in (none was found in public sources), so it comes from the mirror's
        /// md5.txt at run time (<see cref="ChecksumResolver"/>); a mirror without md5.txt cannot
        /// vouch for it and the download stops.
        /// </summary>
        public const string DefaultVersion = LatestVersion;

        /// <summary>The newest point release known to this module.</summary>
        public const string LatestVersion = "6.4.2";

        private static readonly Regex VersionPattern = new Regex(@"^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$", RegexOptions.CultureInvariant);

        /// <summary>
        /// Versions known to exist on the mirrors, newest first (the 6.4 point releases: 6.4.0,
        /// 6.4.1, 6.4.2). Only 6.4.0's sums are built in (below); for the others the mirror's
        /// md5.txt is the source.
        /// </summary>
        public static IReadOnlyList<string> KnownVersions { get; } = new[] { "6.4.2", "6.4.1", "6.4.0", "6.2.2", "6.0.1" };

        /// <summary>DragonFly's own mirrors; each URI is the folder that holds the images and md5.txt.</summary>
        public static IReadOnlyList<Uri> DefaultMirrors { get; } = new[]
        {
            new Uri("https://mirror-master.dragonflybsd.org/iso-images/"),
            new Uri("https://avalon.dragonflybsd.org/iso-images/"),
        };

        /// <summary>The file name of the checksum list every mirror folder publishes.</summary>
        public const string ChecksumListFileName = "md5.txt";

        // MD5 sums this module can vouch for (lower-case hex), keyed by file name. Only sums found
        // in public sources are written here, never guessed; 6.4.1 and 6.4.2 have none yet.
        private static readonly Dictionary<string, string> KnownMd5s = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["dfly-x86_64-6.4.0_REL.iso.bz2"] = "5dbf894d9120664a675030c475f25040",
            ["dfly-x86_64-6.4.0_REL.iso"] = "ff4d500c7c75b1f88ca4237a6aa861d1",
        };

        /// <summary>True for a version of the form major.minor.patch (digits only).</summary>
        public static bool IsWellFormedVersion(string version) =>
            version != null && VersionPattern.IsMatch(version);

        /// <summary>Throws <see cref="ArgumentException"/> unless the version is well formed.</summary>
        public static void ValidateVersion(string version)
        {
            if (!IsWellFormedVersion(version))
                throw new ArgumentException($"'{version}' is not a DragonFly version (expected e.g. {DefaultVersion}).", nameof(version));
        }

        /// <summary>Name of the decompressed image: dfly-x86_64-&lt;version&gt;_REL.iso or .img.</summary>
        public static string ImageFileName(string version, ImageKind kind)
        {
            ValidateVersion(version);
            return $"dfly-x86_64-{version}_REL.{(kind == ImageKind.Iso ? "iso" : "img")}";
        }

        /// <summary>Name of the compressed file on the mirror: the image name plus ".bz2".</summary>
        public static string CompressedFileName(string version, ImageKind kind) =>
            ImageFileName(version, kind) + ".bz2";

        /// <summary>URI of a file inside a mirror folder (a missing trailing slash is added).</summary>
        public static Uri FileUri(Uri mirror, string fileName)
        {
            if (mirror == null) throw new ArgumentNullException(nameof(mirror));
            var text = mirror.AbsoluteUri;
            if (!text.EndsWith("/", StringComparison.Ordinal)) text += "/";
            return new Uri(new Uri(text), Uri.EscapeDataString(fileName));
        }

        /// <summary>The built-in MD5 for a release file name, or null when none is known.</summary>
        public static string KnownMd5(string fileName) =>
            fileName != null && KnownMd5s.TryGetValue(fileName, out var md5) ? md5 : null;
    }
}
