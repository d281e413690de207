using System;
using System.Text;

namespace DfVm.Core.Images.Iso9660
{
    /// <summary>ECMA-119 number, text and date encodings.</summary>
    internal static class IsoEncoding
    {
        public const int SectorSize = 2048;

        public static void BothEndian32(byte[] b, int at, uint value)
        {
            Little32(b, at, value);
            Big32(b, at + 4, value);
        }

        public static void BothEndian16(byte[] b, int at, ushort value)
        {
            b[at] = (byte)value;
            b[at + 1] = (byte)(value >> 8);
            b[at + 2] = (byte)(value >> 8);
            b[at + 3] = (byte)value;
        }

        public static void Little32(byte[] b, int at, uint value)
        {
            b[at] = (byte)value;
            b[at + 1] = (byte)(value >> 8);
            b[at + 2] = (byte)(value >> 16);
            b[at + 3] = (byte)(value >> 24);
        }

        public static void Big32(byte[] b, int at, uint value)
        {
            b[at] = (byte)(value >> 24);
            b[at + 1] = (byte)(value >> 16);
            b[at + 2] = (byte)(value >> 8);
            b[at + 3] = (byte)value;
        }

        public static void Little16(byte[] b, int at, ushort value)
        {
            b[at] = (byte)value;
            b[at + 1] = (byte)(value >> 8);
        }

        public static void Big16(byte[] b, int at, ushort value)
        {
            b[at] = (byte)(value >> 8);
            b[at + 1] = (byte)value;
        }

        /// <summary>Space-padded ASCII text field.</summary>
        public static void Text(byte[] b, int at, int length, string text)
        {
            for (var i = 0; i < length; i++)
                b[at + i] = i < (text ?? "").Length ? (byte)text[i] : (byte)' ';
        }

        /// <summary>7-byte recording date (UTC).</summary>
        public static void ShortDate(byte[] b, int at, DateTime utc)
        {
            b[at] = (byte)Math.Max(0, Math.Min(255, utc.Year - 1900));
            b[at + 1] = (byte)utc.Month;
            b[at + 2] = (byte)utc.Day;
            b[at + 3] = (byte)utc.Hour;
            b[at + 4] = (byte)utc.Minute;
            b[at + 5] = (byte)utc.Second;
            b[at + 6] = 0;
        }

        /// <summary>17-byte volume descriptor date (UTC); null writes "not specified".</summary>
        public static void LongDate(byte[] b, int at, DateTime? utc)
        {
            var digits = utc.HasValue ? utc.Value.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + "00" : "0000000000000000";
            Encoding.ASCII.GetBytes(digits, 0, 16, b, at);
            b[at + 16] = 0;
        }

        public static uint Sectors(long bytes) => (uint)((bytes + SectorSize - 1) / SectorSize);
    }
}
