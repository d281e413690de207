using System;

namespace DfVm.Core.Images
{
    /// <summary>One file to put on a PFI disc.</summary>
    public sealed class PfiDiscFile
    {
        public PfiDiscFile(string name, byte[] content, int mode = 0x1A4 /* 0644 */)
        {
            Name = name ?? throw new ArgumentNullException(nameof(name));
            Content = content ?? throw new ArgumentNullException(nameof(content));
            Mode = mode;
        }

        /// <summary>Path on the disc, '/'-separated (e.g. "pfi.conf" or "keys/authorized_keys"); case and length are kept (Rock Ridge).</summary>
        public string Name { get; }

        public byte[] Content { get; }

        /// <summary>POSIX permission bits (e.g. 0755 = 0x1ED for a script); only 07777 is used.</summary>
        public int Mode { get; }

        /// <summary>Octal helper: <c>PfiDiscFile.Octal("755")</c> is 0x1ED.</summary>
        public static int Octal(string digits) => Convert.ToInt32(digits, 8);
    }
}
