using System;
using System.IO;
using System.Text;

namespace DfVm.Core.Snapshots
{
    /// <summary>
    /// The two fields of a qcow2 header the snapshot layer needs: virtual size and backing file.
    /// Read straight from the file (no process, no lock), so listing a chain costs microseconds.
    /// </summary>
    internal sealed class QcowHeader
    {
        public ulong VirtualSize { get; private set; }
        /// <summary>The backing file as stored in the header (may be relative), or null.</summary>
        public string BackingFile { get; private set; }

        public static QcowHeader Read(string path)
        {
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                var head = new byte[32];
                if (stream.Read(head, 0, head.Length) != head.Length || head[0] != 'Q' || head[1] != 'F' || head[2] != 'I' || head[3] != 0xfb)
                {
                    throw new InvalidDataException($"{path} is not a qcow2 image.");
                }
                ulong backingOffset = BigEndian64(head, 8);
                uint backingSize = BigEndian32(head, 16);
                var header = new QcowHeader { VirtualSize = BigEndian64(head, 24) };
                if (backingOffset != 0 && backingSize > 0 && backingSize <= 4096)
                {
                    var name = new byte[backingSize];
                    stream.Position = (long)backingOffset;
                    if (stream.Read(name, 0, name.Length) != name.Length) throw new InvalidDataException($"{path}: truncated backing file name.");
                    header.BackingFile = Encoding.UTF8.GetString(name);
                }
                return header;
            }
        }

        /// <summary>The absolute path of the image's backing file (relative names resolve from the image's folder), or null.</summary>
        public static string BackingPath(string imagePath)
        {
            string backing = Read(imagePath).BackingFile;
            if (string.IsNullOrEmpty(backing)) return null;
            if (backing.Contains(":") && !backing.StartsWith("/", StringComparison.Ordinal)) return backing; // a protocol (json:, nbd:): not ours
            return Path.IsPathRooted(backing) ? backing : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(imagePath)), backing));
        }

        private static ulong BigEndian64(byte[] b, int at)
        {
            ulong v = 0;
            for (int i = 0; i < 8; i++) v = (v << 8) | b[at + i];
            return v;
        }

        private static uint BigEndian32(byte[] b, int at) => (uint)(b[at] << 24 | b[at + 1] << 16 | b[at + 2] << 8 | b[at + 3]);
    }
}
