using System;
using System.Globalization;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace DfVm.Core.Sync
{
    /// <summary>What writing one file's content gave.</summary>
    internal sealed class TarFileWritten
    {
        public TarFileWritten(string sha256, bool stable)
        {
            Sha256 = sha256;
            Stable = stable;
        }

        /// <summary>SHA-256 of the bytes sent.</summary>
        public string Sha256 { get; }
        /// <summary>False when the file's length changed while it was read (the bytes sent are not the file).</summary>
        public bool Stable { get; }
    }

    /// <summary>
    /// Streams a portable ustar archive with pax extended headers where ustar cannot say it
    /// (long or non-ASCII names and link targets, sizes past 8 GiB). Owner 0:0, mode, mtime in
    /// seconds. Names are raw UTF-8 (hdrcharset=BINARY) so the guest locale does not matter.
    /// </summary>
    internal sealed class PaxTarWriter
    {
        private const int Block = 512;
        private const long MaxOctalSize = 077777777777L; // 11 octal digits
        private static readonly long UnixEpochTicks = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

        private readonly Stream _out;
        private readonly byte[] _buffer;

        public PaxTarWriter(Stream output, int bufferSize = 256 * 1024)
        {
            _out = output;
            _buffer = new byte[bufferSize];
        }

        public long BytesWritten { get; private set; }

        public static long ToUnixSeconds(long ticks)
        {
            long s = (ticks - UnixEpochTicks) / TimeSpan.TicksPerSecond;
            if (ticks < UnixEpochTicks && (ticks - UnixEpochTicks) % TimeSpan.TicksPerSecond != 0)
            {
                s--;
            }
            return s < 0 ? 0 : s;
        }

        public Task WriteDirectoryAsync(HostEntry e, CancellationToken ct)
        {
            return WriteHeaderAsync(e.RelativePath + "/", '5', e.Mode, 0, e.MtimeTicks, null, ct);
        }

        public Task WriteSymlinkAsync(HostEntry e, CancellationToken ct)
        {
            return WriteHeaderAsync(e.RelativePath, '2', 0x1FF, 0, e.MtimeTicks, e.LinkTarget ?? string.Empty, ct);
        }

        /// <summary>Writes the header for <paramref name="e"/> (its scanned size) and then its content, hashing it.</summary>
        public async Task<TarFileWritten> WriteFileAsync(HostEntry e, Stream content, Action<long> onBytes, CancellationToken ct)
        {
            await WriteHeaderAsync(e.RelativePath, '0', e.Mode, e.Size, e.MtimeTicks, null, ct).ConfigureAwait(false);
            bool stable = true;
            long remaining = e.Size;
            using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                while (remaining > 0)
                {
                    int want = (int)Math.Min(_buffer.Length, remaining);
                    int n = await content.ReadAsync(_buffer, 0, want, ct).ConfigureAwait(false);
                    if (n <= 0)
                    {
                        // Shrunk while reading: pad so the archive stays well-formed.
                        stable = false;
                        Array.Clear(_buffer, 0, want);
                        n = want;
                    }
                    sha.AppendData(_buffer, 0, n);
                    await WriteRawAsync(_buffer, 0, n, ct).ConfigureAwait(false);
                    remaining -= n;
                    onBytes?.Invoke(n);
                }
                if (stable && await content.ReadAsync(_buffer, 0, 1, ct).ConfigureAwait(false) > 0)
                {
                    stable = false; // grew while reading
                }
                await PadAsync(e.Size, ct).ConfigureAwait(false);
                return new TarFileWritten(ToHex(sha.GetHashAndReset()), stable);
            }
        }

        /// <summary>Ends the archive (two zero blocks) and flushes.</summary>
        public async Task FinishAsync(CancellationToken ct)
        {
            var zeros = new byte[Block * 2];
            await WriteRawAsync(zeros, 0, zeros.Length, ct).ConfigureAwait(false);
            await _out.FlushAsync(ct).ConfigureAwait(false);
        }

        public static string ToHex(byte[] hash)
        {
            var sb = new StringBuilder(hash.Length * 2);
            foreach (byte b in hash)
            {
                sb.Append(b.ToString("x2", CultureInfo.InvariantCulture));
            }
            return sb.ToString();
        }

        private async Task WriteHeaderAsync(string name, char type, int mode, long size, long mtimeTicks, string linkName, CancellationToken ct)
        {
            byte[] nameBytes = Encoding.UTF8.GetBytes(name);
            byte[] linkBytes = linkName == null ? new byte[0] : Encoding.UTF8.GetBytes(linkName);
            bool nameFits = nameBytes.Length <= 100 && IsAscii(nameBytes);
            bool linkFits = linkBytes.Length <= 100 && IsAscii(linkBytes);
            bool sizeFits = size <= MaxOctalSize;
            long mtime = ToUnixSeconds(mtimeTicks);

            if (!nameFits || !linkFits || !sizeFits)
            {
                var records = new MemoryStream();
                if (!IsAscii(nameBytes) || !IsAscii(linkBytes))
                {
                    AppendRecord(records, "hdrcharset", Encoding.ASCII.GetBytes("BINARY"));
                }
                if (!nameFits)
                {
                    AppendRecord(records, "path", nameBytes);
                }
                if (!linkFits)
                {
                    AppendRecord(records, "linkpath", linkBytes);
                }
                if (!sizeFits)
                {
                    AppendRecord(records, "size", Encoding.ASCII.GetBytes(size.ToString(CultureInfo.InvariantCulture)));
                }
                byte[] data = records.ToArray();
                byte[] paxHeader = BuildHeader(PaxName(nameBytes), 'x', 0x1A4, data.Length, mtime, new byte[0]);
                await WriteRawAsync(paxHeader, 0, Block, ct).ConfigureAwait(false);
                await WriteRawAsync(data, 0, data.Length, ct).ConfigureAwait(false);
                await PadAsync(data.Length, ct).ConfigureAwait(false);
            }

            byte[] headerName = nameFits ? nameBytes : Truncate(SafeAscii(nameBytes), 100);
            byte[] headerLink = linkFits ? linkBytes : Truncate(SafeAscii(linkBytes), 100);
            byte[] header = BuildHeader(headerName, type, mode, sizeFits ? size : 0, mtime, headerLink);
            await WriteRawAsync(header, 0, Block, ct).ConfigureAwait(false);
        }

        private static byte[] BuildHeader(byte[] name, char type, int mode, long size, long mtime, byte[] link)
        {
            var h = new byte[Block];
            Array.Copy(name, 0, h, 0, Math.Min(name.Length, 100));
            WriteOctal(h, 100, 8, mode & 0xFFF);
            WriteOctal(h, 108, 8, 0);
            WriteOctal(h, 116, 8, 0);
            WriteOctal(h, 124, 12, size);
            WriteOctal(h, 136, 12, Math.Min(mtime, MaxOctalSize));
            for (int i = 148; i < 156; i++)
            {
                h[i] = (byte)' ';
            }
            h[156] = (byte)type;
            Array.Copy(link, 0, h, 157, Math.Min(link.Length, 100));
            Encoding.ASCII.GetBytes("ustar\0").CopyTo(h, 257);
            h[263] = (byte)'0';
            h[264] = (byte)'0';
            WriteOctal(h, 329, 8, 0);
            WriteOctal(h, 337, 8, 0);
            long sum = 0;
            foreach (byte b in h)
            {
                sum += b;
            }
            string chk = Convert.ToString(sum, 8).PadLeft(6, '0');
            Encoding.ASCII.GetBytes(chk).CopyTo(h, 148);
            h[154] = 0;
            h[155] = (byte)' ';
            return h;
        }

        private static void WriteOctal(byte[] h, int offset, int width, long value)
        {
            string s = Convert.ToString(value, 8).PadLeft(width - 1, '0');
            Encoding.ASCII.GetBytes(s).CopyTo(h, offset);
            h[offset + width - 1] = 0;
        }

        // "<len> key=value\n" where len counts the whole record, its own digits included.
        private static void AppendRecord(MemoryStream ms, string key, byte[] value)
        {
            int body = 1 + Encoding.ASCII.GetByteCount(key) + 1 + value.Length + 1;
            int len = body + 1;
            while (len.ToString(CultureInfo.InvariantCulture).Length + body != len)
            {
                len = len.ToString(CultureInfo.InvariantCulture).Length + body;
            }
            byte[] prefix = Encoding.ASCII.GetBytes(len.ToString(CultureInfo.InvariantCulture) + " " + key + "=");
            ms.Write(prefix, 0, prefix.Length);
            ms.Write(value, 0, value.Length);
            ms.WriteByte((byte)'\n');
        }

        private static byte[] PaxName(byte[] name)
        {
            byte[] tail = SafeAscii(name);
            int keep = Math.Min(tail.Length, 80);
            var result = new byte[10 + keep];
            Encoding.ASCII.GetBytes("PaxHeader/").CopyTo(result, 0);
            Array.Copy(tail, tail.Length - keep, result, 10, keep);
            return result;
        }

        private static byte[] SafeAscii(byte[] bytes)
        {
            var r = new byte[bytes.Length];
            for (int i = 0; i < bytes.Length; i++)
            {
                r[i] = bytes[i] < 0x80 && bytes[i] >= 0x20 ? bytes[i] : (byte)'_';
            }
            return r;
        }

        private static byte[] Truncate(byte[] b, int max)
        {
            if (b.Length <= max)
            {
                return b;
            }
            var r = new byte[max];
            Array.Copy(b, r, max);
            return r;
        }

        private static bool IsAscii(byte[] b)
        {
            foreach (byte x in b)
            {
                if (x >= 0x80)
                {
                    return false;
                }
            }
            return true;
        }

        private Task PadAsync(long written, CancellationToken ct)
        {
            int rem = (int)(written % Block);
            if (rem == 0)
            {
                return Task.CompletedTask;
            }
            var zeros = new byte[Block - rem];
            return WriteRawAsync(zeros, 0, zeros.Length, ct);
        }

        private async Task WriteRawAsync(byte[] buffer, int offset, int count, CancellationToken ct)
        {
            await _out.WriteAsync(buffer, offset, count, ct).ConfigureAwait(false);
            BytesWritten += count;
        }
    }
}
