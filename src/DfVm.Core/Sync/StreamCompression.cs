using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Threading;
using System.Threading.Tasks;

namespace DfVm.Core.Sync
{
    /// <summary>
    /// Whether the sync's tar stream goes to the guest gzipped, and the stream that does it.
    /// Under TCG the guest's sshd decrypting each byte costs more than the guest's bsdtar inflating
    /// it (libarchive reads gzip with zlib, on DragonFly as on the test guest), so source code, which
    /// deflates to a third at level 1, reaches the guest faster compressed. Random or already
    /// compressed bytes would only cost host and guest time, so a sample decides: the payload must be
    /// at least <see cref="MinimumPayload"/> and a byte-weighted sample of the files must deflate to
    /// at most <see cref="MaximumRatio"/> of its size. Either way the guest gets the same tar.
    /// </summary>
    internal static class StreamCompression
    {
        /// <summary>Below this many bytes of archive the stream goes plain: the round trip, not the bytes, is the cost.</summary>
        public const long MinimumPayload = 1L << 20;

        /// <summary>The sample must deflate to at most this fraction of its size.</summary>
        public const double MaximumRatio = 0.60;

        private const int Probes = 32;
        private const int ProbeBytes = 32 * 1024;
        private const int TarBlock = 512;

        /// <summary>The archive's size: every entry's header and its content padded to whole blocks.</summary>
        public static long ArchiveBytes(IReadOnlyList<HostEntry> sends)
        {
            long total = 0;
            foreach (HostEntry e in sends)
            {
                total += TarBlock;
                if (e.Type == SyncEntryType.File)
                {
                    total += (e.Size + TarBlock - 1) / TarBlock * TarBlock;
                }
            }
            return total;
        }

        /// <summary>
        /// True when the entries about to be sent are worth compressing: the archive is large enough and
        /// <see cref="Probes"/> reads of up to <see cref="ProbeBytes"/>, spread evenly over the files'
        /// bytes, deflate (level 1, as sent) to at most <see cref="MaximumRatio"/>. A file that cannot be
        /// read is left out of the sample (the send reports it).
        /// </summary>
        public static bool Worthwhile(IReadOnlyList<HostEntry> sends, CancellationToken ct)
        {
            if (ArchiveBytes(sends) < MinimumPayload)
            {
                return false;
            }
            var files = new List<HostEntry>();
            long contentBytes = 0;
            foreach (HostEntry e in sends)
            {
                if (e.Type == SyncEntryType.File && e.Size > 0)
                {
                    files.Add(e);
                    contentBytes += e.Size;
                }
            }
            if (contentBytes == 0)
            {
                return true; // headers only: blocks of zeros and names
            }

            var counter = new CountingStream();
            long sampled = 0;
            var buffer = new byte[ProbeBytes];
            using (var deflate = new DeflateStream(counter, CompressionLevel.Fastest, leaveOpen: true))
            {
                int fileIndex = 0;
                long fileStart = 0; // offset of files[fileIndex] in the files' bytes laid end to end
                HostEntry lastProbed = null;
                for (int p = 0; p < Probes; p++)
                {
                    ct.ThrowIfCancellationRequested();
                    long at = contentBytes / Probes * p;
                    while (fileStart + files[fileIndex].Size <= at)
                    {
                        fileStart += files[fileIndex].Size;
                        fileIndex++;
                    }
                    HostEntry e = files[fileIndex];
                    if (ReferenceEquals(e, lastProbed))
                    {
                        continue; // a big file: one probe of it is enough to judge what it holds
                    }
                    lastProbed = e;
                    int n = ReadProbe(e, at - fileStart, buffer);
                    deflate.Write(buffer, 0, n);
                    sampled += n;
                }
            }
            return sampled == 0 || counter.Length <= sampled * MaximumRatio;
        }

        /// <summary>
        /// Wraps the command's stdin: what is written is gzipped (level 1) in 256 KiB writes to <paramref name="stdin"/>.
        /// <see cref="Compressed.FinishAsync"/> ends the gzip stream; <paramref name="stdin"/> is left open.
        /// </summary>
        public static Compressed Compress(Stream stdin) => new Compressed(stdin);

        private static int ReadProbe(HostEntry e, long offset, byte[] buffer)
        {
            try
            {
                using (var fs = new FileStream(e.FullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1))
                {
                    // Not from the very start when the file is larger than one probe: a header comment
                    // or a licence is not what the file is made of.
                    long start = Math.Max(0, Math.Min(offset, e.Size - buffer.Length));
                    fs.Seek(start, SeekOrigin.Begin);
                    int total = 0;
                    int n;
                    while (total < buffer.Length && (n = fs.Read(buffer, total, buffer.Length - total)) > 0)
                    {
                        total += n;
                    }
                    return total;
                }
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                return 0;
            }
        }

        /// <summary>The gzip stream over a command's stdin, and the count of bytes that went on the wire.</summary>
        internal sealed class Compressed
        {
            private readonly BufferedStream _wire;
            private readonly CountingStream _count;
            private readonly GZipStream _gzip;

            public Compressed(Stream stdin)
            {
                _count = new CountingStream(stdin);
                // GZipStream writes 8 KiB at a time: coalesced into large writes, as the plain stream is.
                _wire = new BufferedStream(_count, 256 * 1024);
                _gzip = new GZipStream(_wire, CompressionLevel.Fastest, leaveOpen: true);
                Input = new BufferedStream(_gzip, 256 * 1024);
            }

            /// <summary>Where the tar goes.</summary>
            public Stream Input { get; }

            /// <summary>Bytes written to stdin so far.</summary>
            public long WireBytes => _count.Length;

            /// <summary>Flushes the tar, ends the gzip stream (its trailer) and sends what is buffered.</summary>
            public async Task FinishAsync(CancellationToken ct)
            {
                await Input.FlushAsync(ct).ConfigureAwait(false);
                _gzip.Dispose();
                await _wire.FlushAsync(ct).ConfigureAwait(false);
            }
        }

        /// <summary>Counts what is written; passes it on to an inner stream when there is one.</summary>
        private sealed class CountingStream : Stream
        {
            private readonly Stream _inner;
            private long _length;

            public CountingStream(Stream inner = null)
            {
                _inner = inner;
            }

            public override bool CanRead => false;
            public override bool CanSeek => false;
            public override bool CanWrite => true;
            public override long Length => _length;
            public override long Position { get => _length; set => throw new NotSupportedException(); }
            public override void Flush() => _inner?.Flush();
            public override Task FlushAsync(CancellationToken ct) => _inner == null ? Task.CompletedTask : _inner.FlushAsync(ct);
            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();

            public override void Write(byte[] buffer, int offset, int count)
            {
                _inner?.Write(buffer, offset, count);
                _length += count;
            }

            public override async Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct)
            {
                if (_inner != null)
                {
                    await _inner.WriteAsync(buffer, offset, count, ct).ConfigureAwait(false);
                }
                _length += count;
            }
        }
    }
}
