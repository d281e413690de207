using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using DfVm.Core.Images.Iso9660;

using DfVm.Core.Util;

namespace DfVm.Core.Images
{
    /// <summary>
    /// Writes the small ISO 9660 + Rock Ridge disc that DragonFly's rc.d/pfi looks for at boot
    /// (pfi.conf, the phase script with its exec bit, authorized_keys). Pure C#: the host needs
    /// no xorriso or genisoimage.
    /// </summary>
    public sealed class PfiDiscBuilder
    {
        /// <summary>Time stamped on every entry; defaults to now. Set it for byte-identical discs.</summary>
        public DateTime TimestampUtc { get; set; } = DateTime.UtcNow;

        /// <summary>
        /// Builds the disc at <paramref name="isoPath"/> (written to a temporary file, then renamed
        /// over). Names may contain '/' for subdirectories. The volume id is upper-cased and
        /// reduced to A-Z, 0-9 and '_' (at most 32 characters).
        /// </summary>
        public void Build(string isoPath, IEnumerable<PfiDiscFile> files, string volumeId)
        {
            if (string.IsNullOrWhiteSpace(isoPath)) throw new ArgumentException("An output path is required.", nameof(isoPath));
            if (files == null) throw new ArgumentNullException(nameof(files));
            var image = BuildImage(files, volumeId);
            var directory = Path.GetDirectoryName(Path.GetFullPath(isoPath));
            if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
            AtomicFile.WriteAllBytes(isoPath, image);
        }

        /// <summary>
        /// Builds the disc for one PFI phase: pfi.conf naming the phase script, the script
        /// itself (0755, from <see cref="GuestScripts"/>) and, when given, authorized_keys (0600).
        /// </summary>
        public void BuildPhase(string isoPath, PfiPhase phase, string authorizedKeys)
        {
            if (phase == null) throw new ArgumentNullException(nameof(phase));
            Build(isoPath, phase.DiscFiles(authorizedKeys), "DFVM_" + phase.Name);
        }

        /// <summary>The disc image as bytes (what <see cref="Build"/> writes).</summary>
        public byte[] BuildImage(IEnumerable<PfiDiscFile> files, string volumeId)
        {
            var root = IsoTree.Build(files.ToList());
            return new IsoImageWriter(root, CleanVolumeId(volumeId), TimestampUtc.ToUniversalTime()).Write();
        }

        internal static string CleanVolumeId(string volumeId)
        {
            var sb = new StringBuilder();
            foreach (var c in (volumeId ?? "").ToUpperInvariant())
            {
                if (sb.Length == 32) break;
                sb.Append((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c : '_');
            }
            return sb.Length == 0 ? "PFI" : sb.ToString();
        }
    }
}
