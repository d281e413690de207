using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace DfVm.Core.Images.Iso9660
{
    /// <summary>
    /// SUSP / Rock Ridge (RRIP 1.10, "RRIP_1991A") system-use entries. The BSD cd9660 driver
    /// insists on SP at the start of the root's "." record and an ER naming RRIP_1991A; the ER
    /// does not fit in that record, so it lives in a continuation area reached by CE.
    /// </summary>
    internal static class RockRidge
    {
        public const int ModeDirectory = 0x4000; // S_IFDIR
        public const int ModeRegular = 0x8000;   // S_IFREG

        private const string ErId = "RRIP_1991A";
        private const string ErDescriptor = "THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS";
        private const string ErSource = "PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.  SEE PUBLISHER IDENTIFIER IN PRIMARY VOLUME DESCRIPTOR FOR CONTACT INFORMATION.";

        /// <summary>SP: "SUSP in use", no bytes skipped.</summary>
        public static byte[] Sp() => new byte[] { (byte)'S', (byte)'P', 7, 1, 0xBE, 0xEF, 0 };

        /// <summary>CE: the rest of this record's entries are at block/offset, length bytes long.</summary>
        public static byte[] Ce(uint block, uint offset, uint length)
        {
            var b = Header("CE", 28);
            IsoEncoding.BothEndian32(b, 4, block);
            IsoEncoding.BothEndian32(b, 12, offset);
            IsoEncoding.BothEndian32(b, 20, length);
            return b;
        }

        /// <summary>ER: the extension in use is Rock Ridge (RRIP_1991A, version 1).</summary>
        public static byte[] Er()
        {
            var id = Encoding.ASCII.GetBytes(ErId);
            var des = Encoding.ASCII.GetBytes(ErDescriptor);
            var src = Encoding.ASCII.GetBytes(ErSource);
            var b = Header("ER", 8 + id.Length + des.Length + src.Length);
            b[4] = (byte)id.Length;
            b[5] = (byte)des.Length;
            b[6] = (byte)src.Length;
            b[7] = 1;
            Buffer.BlockCopy(id, 0, b, 8, id.Length);
            Buffer.BlockCopy(des, 0, b, 8 + id.Length, des.Length);
            Buffer.BlockCopy(src, 0, b, 8 + id.Length + des.Length, src.Length);
            return b;
        }

        /// <summary>PX (RRIP 1.10 form, 36 bytes): mode with file type, link count, uid 0, gid 0.</summary>
        public static byte[] Px(int mode, uint links)
        {
            var b = Header("PX", 36);
            IsoEncoding.BothEndian32(b, 4, (uint)mode);
            IsoEncoding.BothEndian32(b, 12, links);
            IsoEncoding.BothEndian32(b, 20, 0);
            IsoEncoding.BothEndian32(b, 28, 0);
            return b;
        }

        /// <summary>TF: modify, access and attribute-change times, 7-byte form.</summary>
        public static byte[] Tf(DateTime utc)
        {
            var b = Header("TF", 5 + 3 * 7);
            b[4] = 0x02 | 0x04 | 0x08;
            for (var i = 0; i < 3; i++) IsoEncoding.ShortDate(b, 5 + 7 * i, utc);
            return b;
        }

        /// <summary>NM: the POSIX name, bytes as given (UTF-8).</summary>
        public static byte[] Nm(string name)
        {
            var bytes = Encoding.UTF8.GetBytes(name);
            var b = Header("NM", 5 + bytes.Length);
            b[4] = 0;
            Buffer.BlockCopy(bytes, 0, b, 5, bytes.Length);
            return b;
        }

        public static byte[] Concat(IEnumerable<byte[]> entries)
        {
            using (var ms = new MemoryStream())
            {
                foreach (var e in entries) ms.Write(e, 0, e.Length);
                return ms.ToArray();
            }
        }

        private static byte[] Header(string signature, int length)
        {
            if (length > 255) throw new ArgumentException($"SUSP entry {signature} too long ({length} bytes).");
            var b = new byte[length];
            b[0] = (byte)signature[0];
            b[1] = (byte)signature[1];
            b[2] = (byte)length;
            b[3] = 1;
            return b;
        }
    }
}
