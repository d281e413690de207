using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace DfVm.Core.Sync
{
    /// <summary>
    /// Unpacks a tar stream that came from the guest (untrusted) into a fresh host folder, fed as the
    /// bytes arrive. Only what is safe is made: regular files (mode &amp; 0777: no setuid, setgid or
    /// sticky bit), folders, and symlinks whose target is relative and stays inside the folder; no
    /// owner is ever kept. Device nodes, fifos, hard links to nothing copied, absolute or '..' names,
    /// entries outside the items asked for, and anything that would be written through a symlink
    /// are skipped and reported. Nothing is ever opened through a symlink: the extractor knows what
    /// it made and creates each file with O_EXCL. Memory is bounded (a header, bounded pax records).
    /// </summary>
    internal sealed class GuestTarExtractor : IDisposable
    {
        private const int Block = 512;
        private const int MaxMetaBytes = 1024 * 1024;
        private const long MaxEntrySize = 1L << 50;
        /// <summary>Zero bytes after the end-of-archive blocks that are read before the stream counts as a flood (bsdtar pads to 10 KiB).</summary>
        public const long MaxBytesAfterEnd = 1024 * 1024;
        private const long SpaceCheckEvery = 16L * 1024 * 1024;
        /// <summary>Entries one copy takes (each is remembered to refuse writes through links): a flood of empty files stops here.</summary>
        public const int MaxEntries = 1000000;

        private enum State { Header, Meta, Data, Padding, Ended }
        private enum Made { Directory, File, Symlink }

        private readonly string _root;
        private readonly Func<string, bool> _isAsked;
        private readonly Action<string, string> _onSkipped;
        private readonly Func<long> _freeBytes;
        private readonly long _reserve;
        private readonly Dictionary<string, Made> _made = new Dictionary<string, Made>(StringComparer.Ordinal);
        private readonly Dictionary<string, Tuple<int, DateTime?>> _dirAttrs = new Dictionary<string, Tuple<int, DateTime?>>(StringComparer.Ordinal);
        private readonly byte[] _header = new byte[Block];
        private int _headerFill;
        private State _state = State.Header;
        private long _offset;
        private long _remaining;
        private long _padding;
        private MemoryStream _meta;
        private char _metaType;
        private Dictionary<string, string> _pax;
        private string _longName;
        private string _longLink;
        private FileStream _file;
        private string _fileRel;
        private int _fileMode;
        private DateTime? _fileTime;
        private long _sinceSpaceCheck;
        private int _entries;

        /// <param name="root">An empty host folder the extractor owns.</param>
        /// <param name="isAsked">Whether a top-level name is one of the items asked for.</param>
        /// <param name="onSkipped">Told each entry that was not made (its name as the archive gave it, why).</param>
        /// <param name="freeBytes">Free bytes on the host file system of <paramref name="root"/>.</param>
        /// <param name="reserve">Bytes that must stay free: a file that would leave less is HostDiskFull.</param>
        public GuestTarExtractor(string root, Func<string, bool> isAsked, Action<string, string> onSkipped, Func<long> freeBytes, long reserve)
        {
            _root = root;
            _isAsked = isAsked;
            _onSkipped = onSkipped;
            _freeBytes = freeBytes;
            _reserve = reserve;
        }

        /// <summary>The archive's end (a zero block) was read.</summary>
        public bool Ended => _state == State.Ended;

        /// <summary>Bytes of the whole stream read so far.</summary>
        public long Offset => _offset;

        /// <summary>Bytes read after the end of the archive (padding, or a guest that goes on sending).</summary>
        public long BytesAfterEnd { get; private set; }

        /// <summary>The top-level names that were made.</summary>
        public IEnumerable<string> TopLevel => _made.Keys.Where(k => k.IndexOf('/') < 0);

        public void Feed(byte[] data, int offset, int count)
        {
            int end = offset + count;
            while (offset < end)
            {
                int n;
                switch (_state)
                {
                    case State.Ended:
                        for (int i = offset; i < end; i++)
                        {
                            if (data[i] != 0) throw Invalid("data after the end of the archive");
                        }
                        BytesAfterEnd += end - offset;
                        _offset += end - offset;
                        if (BytesAfterEnd > MaxBytesAfterEnd) throw Invalid($"more than {MaxBytesAfterEnd} bytes after the end of the archive");
                        return;
                    case State.Header:
                        n = Math.Min(Block - _headerFill, end - offset);
                        Buffer.BlockCopy(data, offset, _header, _headerFill, n);
                        _headerFill += n;
                        break;
                    case State.Meta:
                        n = (int)Math.Min(_remaining, end - offset);
                        _meta.Write(data, offset, n);
                        _remaining -= n;
                        break;
                    case State.Data:
                        n = (int)Math.Min(_remaining, end - offset);
                        if (_file != null)
                        {
                            _file.Write(data, offset, n);
                            _sinceSpaceCheck += n;
                            if (_sinceSpaceCheck >= SpaceCheckEvery)
                            {
                                _sinceSpaceCheck = 0;
                                CheckSpace(0);
                            }
                        }
                        _remaining -= n;
                        break;
                    default: // Padding
                        n = (int)Math.Min(_padding, end - offset);
                        _padding -= n;
                        break;
                }
                offset += n;
                _offset += n;
                Advance();
            }
        }

        /// <summary>Called when the stream is over: an archive cut short is an error; folder modes and times are set last.</summary>
        public void Finish()
        {
            if (_state != State.Ended)
            {
                // A stream that stops at an entry boundary without the end blocks is cut short too: the guest's tar did not finish.
                throw Invalid("the archive is cut short");
            }
            foreach (var d in _dirAttrs.OrderByDescending(k => k.Key.Length))
            {
                string full = Full(d.Key);
                HostFileOps.Chmod(full, d.Value.Item1);
                if (d.Value.Item2.HasValue) Directory.SetLastWriteTimeUtc(full, d.Value.Item2.Value);
            }
        }

        public void Dispose()
        {
            _file?.Dispose();
            _file = null;
        }

        private void Advance()
        {
            switch (_state)
            {
                case State.Header:
                    if (_headerFill == Block)
                    {
                        _headerFill = 0;
                        OnHeader();
                    }
                    break;
                case State.Meta:
                    if (_remaining == 0)
                    {
                        OnMeta();
                        _state = _padding > 0 ? State.Padding : State.Header;
                    }
                    break;
                case State.Data:
                    if (_remaining == 0)
                    {
                        CloseFile();
                        _state = _padding > 0 ? State.Padding : State.Header;
                    }
                    break;
                case State.Padding:
                    if (_padding == 0) _state = State.Header;
                    break;
            }
        }

        private void OnHeader()
        {
            long headerAt = _offset - Block;
            if (_header.All(b => b == 0))
            {
                _state = State.Ended;
                return;
            }
            long sum = 0;
            for (int i = 0; i < Block; i++) sum += i >= 148 && i < 156 ? (byte)' ' : _header[i];
            long stored = Number(148, 8, headerAt);
            if (stored != sum) throw Invalid($"no tar header at byte {headerAt} (bad checksum)");
            char type = (char)_header[156];
            long size = Number(124, 12, headerAt);
            if (type == 'x' || type == 'g' || type == 'L' || type == 'K')
            {
                if (size > MaxMetaBytes) throw Invalid($"a {size}-byte extended header at byte {headerAt}");
                _meta = new MemoryStream((int)size);
                _metaType = type;
                _remaining = size;
                _padding = Pad(size);
                _state = size > 0 ? State.Meta : State.Header;
                if (size == 0) OnMeta();
                return;
            }

            bool ustar = _header[257] == 'u' && _header[258] == 's' && _header[259] == 't' && _header[260] == 'a' && _header[261] == 'r' && _header[262] == 0;
            string name = _longName ?? Text(0, 100);
            if (_longName == null && ustar)
            {
                string prefix = Text(345, 155);
                if (prefix.Length > 0) name = prefix + "/" + name;
            }
            string link = _longLink ?? Text(157, 100);
            int mode = (int)(Number(100, 8, headerAt) & 0xFFF);
            long mtime = Number(136, 12, headerAt);
            DateTime? time = mtime >= 0 && mtime < 253402300800L ? DateTimeOffset.FromUnixTimeSeconds(mtime).UtcDateTime : (DateTime?)null;
            bool sparse = false;
            if (_pax != null)
            {
                if (_pax.TryGetValue("path", out string p)) name = p;
                if (_pax.TryGetValue("linkpath", out string l)) link = l;
                if (_pax.TryGetValue("size", out string s) && (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size > MaxEntrySize))
                {
                    throw Invalid($"a bad pax size '{Printable(s)}' at byte {headerAt}");
                }
                if (_pax.TryGetValue("mtime", out string m) && decimal.TryParse(m, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out decimal md)
                    && md >= 0 && md < 253402300800m)
                {
                    time = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddTicks((long)(md * TimeSpan.TicksPerSecond));
                }
                sparse = _pax.Keys.Any(k => k.StartsWith("GNU.sparse.", StringComparison.Ordinal));
            }
            _pax = null;
            _longName = null;
            _longLink = null;
            if (++_entries > MaxEntries) throw Invalid($"more than {MaxEntries} entries");

            // Types without data in a tar archive: links, devices, folders, fifos. Everything else carries 'size' bytes.
            long data = type == '2' || type == '3' || type == '4' || type == '5' || type == '6' ? 0 : size;
            _remaining = data;
            _padding = Pad(data);
            _file = null;
            Place(name, type, link, mode, time, data, sparse);
            _state = data > 0 ? State.Data : (_padding > 0 ? State.Padding : State.Header);
            if (data == 0) CloseFile();
        }

        private void OnMeta()
        {
            byte[] bytes = _meta.ToArray();
            _meta = null;
            switch (_metaType)
            {
                case 'L': _longName = Decode(bytes, 0, bytes.Length); break;
                case 'K': _longLink = Decode(bytes, 0, bytes.Length); break;
                case 'x': _pax = ParsePax(bytes); break;
                default: ParsePax(bytes); break; // 'g': global defaults DfVm does not use; still checked
            }
        }

        private Dictionary<string, string> ParsePax(byte[] bytes)
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            int i = 0;
            while (i < bytes.Length)
            {
                int space = Array.IndexOf(bytes, (byte)' ', i);
                if (space < 0) throw Invalid("a malformed pax record");
                string lengthText = Encoding.ASCII.GetString(bytes, i, space - i);
                if (!int.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out int length) || length <= space - i || i + length > bytes.Length || bytes[i + length - 1] != '\n')
                {
                    throw Invalid("a malformed pax record");
                }
                int eq = Array.IndexOf(bytes, (byte)'=', space + 1, i + length - space - 1);
                if (eq < 0) throw Invalid("a malformed pax record");
                string key = Encoding.ASCII.GetString(bytes, space + 1, eq - space - 1);
                result[key] = Decode(bytes, eq + 1, i + length - 1 - (eq + 1));
                i += length;
            }
            return result;
        }

        /// <summary>Decides what one entry becomes; opens the file its data goes to, or leaves <see cref="_file"/> null to skip the data.</summary>
        private void Place(string rawName, char type, string link, int mode, DateTime? time, long size, bool sparse)
        {
            string rel = Normalize(rawName, out string why);
            if (rel == null)
            {
                _onSkipped(rawName, why);
                return;
            }
            if (rel.Length == 0) return; // "." itself: the folder we extract into
            int slash = rel.IndexOf('/');
            string top = slash < 0 ? rel : rel.Substring(0, slash);
            if (!_isAsked(top))
            {
                _onSkipped(rawName, "it is not inside an item that was asked for");
                return;
            }
            bool isFile = type == '0' || type == '\0' || type == '7';
            if (sparse) { _onSkipped(rawName, "it is a sparse file (not supported)"); return; }
            if (type == '3' || type == '4') { _onSkipped(rawName, "it is a device node"); return; }
            if (type == '6') { _onSkipped(rawName, "it is a fifo"); return; }
            if (!isFile && type != '5' && type != '2' && type != '1') { _onSkipped(rawName, $"it has the tar type '{Printable(type.ToString())}' (only files, folders and symlinks are copied)"); return; }

            string linkRel = null;
            if (type == '2')
            {
                if (!LinkStaysInside(rel, link, out string linkWhy)) { _onSkipped(rawName, linkWhy); return; }
            }
            else if (type == '1')
            {
                linkRel = Normalize(link, out _);
                if (linkRel == null || !_made.TryGetValue(linkRel, out Made target) || target != Made.File)
                {
                    _onSkipped(rawName, $"it is a hard link to '{Printable(link)}', which is not a file this copy made");
                    return;
                }
            }

            // Every folder on the way must be one this copy made; a file or symlink on the way is never written through.
            string[] parts = rel.Split('/');
            string prefix = "";
            for (int i = 0; i < parts.Length - 1; i++)
            {
                prefix = i == 0 ? parts[0] : prefix + "/" + parts[i];
                if (_made.TryGetValue(prefix, out Made kind))
                {
                    if (kind != Made.Directory)
                    {
                        _onSkipped(rawName, $"it would be written through the {(kind == Made.Symlink ? "symlink" : "file")} '{prefix}'");
                        return;
                    }
                }
                else
                {
                    Directory.CreateDirectory(Full(prefix));
                    _made[prefix] = Made.Directory;
                    _dirAttrs[prefix] = Tuple.Create(0x1ED, (DateTime?)null); // 0755 unless the archive says
                }
            }

            string full = Full(rel);
            if (_made.TryGetValue(rel, out Made existing))
            {
                if (existing == Made.Directory && type == '5')
                {
                    _dirAttrs[rel] = Tuple.Create(mode & 0x1FF, time);
                    return;
                }
                // A later entry of the same name replaces the earlier one, as tar does (never through it).
                HostFileOps.Remove(full);
                foreach (string k in _made.Keys.Where(k => k.StartsWith(rel + "/", StringComparison.Ordinal)).ToList())
                {
                    _made.Remove(k);
                    _dirAttrs.Remove(k);
                }
                _made.Remove(rel);
                _dirAttrs.Remove(rel);
            }

            switch (type)
            {
                case '5':
                    Directory.CreateDirectory(full);
                    _made[rel] = Made.Directory;
                    _dirAttrs[rel] = Tuple.Create(mode & 0x1FF, time);
                    return;
                case '2':
                    HostFileOps.Symlink(link, full);
                    _made[rel] = Made.Symlink;
                    return;
                case '1':
                    CheckSpace(new FileInfo(Full(linkRel)).Length);
                    File.Copy(Full(linkRel), full);
                    _made[rel] = Made.File;
                    HostFileOps.Chmod(full, mode & 0x1FF);
                    if (time.HasValue) File.SetLastWriteTimeUtc(full, time.Value);
                    return; // the data of a pax "hard link with data", if any, is read and dropped
                default:
                    CheckSpace(size);
                    _file = new FileStream(full, FileMode.CreateNew, FileAccess.Write, FileShare.None, 65536);
                    _made[rel] = Made.File;
                    _fileRel = rel;
                    _fileMode = mode & 0x1FF;
                    _fileTime = time;
                    return;
            }
        }

        private void CloseFile()
        {
            if (_file == null) return;
            _file.Dispose();
            _file = null;
            string full = Full(_fileRel);
            HostFileOps.Chmod(full, _fileMode);
            if (_fileTime.HasValue) File.SetLastWriteTimeUtc(full, _fileTime.Value);
        }

        private void CheckSpace(long size)
        {
            long free = _freeBytes();
            if (size > free - _reserve)
            {
                throw new DfVmException(ErrorIds.HostDiskFull, DfVmErrorKind.ResourceUnavailable,
                    $"The guest sent a file of {size} bytes and {free} bytes are free on the host's file system of '{_root}' (at least {_reserve} must stay free): the copy stopped.", _root);
            }
        }

        /// <summary>The name relative to the folder, or null (and why) for an absolute name or one that climbs with '..'. "./a//b/" gives "a/b"; "." gives "".</summary>
        internal static string Normalize(string name, out string why)
        {
            why = null;
            if (name.Length == 0) { why = "it has an empty name"; return null; }
            if (name[0] == '/') { why = "its name is absolute"; return null; }
            var parts = new List<string>();
            foreach (string part in name.Split('/'))
            {
                if (part.Length == 0 || part == ".") continue;
                if (part == "..") { why = "its name climbs out with '..'"; return null; }
                parts.Add(part);
            }
            return string.Join("/", parts);
        }

        /// <summary>
        /// A symlink is made only when its target is relative, climbs ('..') only at its start, and does not climb
        /// above the folder the copy lands in. Each such link then points inside that folder, whatever other links it passes.
        /// </summary>
        internal static bool LinkStaysInside(string rel, string target, out string why)
        {
            why = null;
            if (target.Length == 0) { why = "it is a symlink with an empty target"; return false; }
            if (target[0] == '/') { why = $"it is a symlink to the absolute path '{Printable(target)}'"; return false; }
            int depth = rel.Split('/').Length - 1; // folders above the link inside the destination
            bool descended = false;
            foreach (string part in target.Split('/'))
            {
                if (part.Length == 0 || part == ".") continue;
                if (part == "..")
                {
                    if (descended) { why = $"it is a symlink to '{Printable(target)}', which climbs with '..' after a name"; return false; }
                    if (--depth < 0) { why = $"it is a symlink to '{Printable(target)}', outside the destination"; return false; }
                    continue;
                }
                descended = true;
            }
            return true;
        }

        private string Full(string rel) => Path.Combine(_root, rel);

        private static long Pad(long size) => (Block - size % Block) % Block;

        private long Number(int at, int length, long headerAt)
        {
            if ((_header[at] & 0x80) != 0)
            {
                // base-256 (GNU/bsdtar for big values): a negative or too big one is a lie.
                if ((_header[at] & 0x40) != 0) throw Invalid($"a negative number in the header at byte {headerAt}");
                long v = _header[at] & 0x3F;
                for (int i = 1; i < length; i++)
                {
                    if (v > (MaxEntrySize >> 8)) throw Invalid($"a number too big in the header at byte {headerAt}");
                    v = (v << 8) | _header[at + i];
                }
                return v;
            }
            long value = 0;
            int j = at;
            int stop = at + length;
            while (j < stop && (_header[j] == ' ' || _header[j] == 0)) j++;
            for (; j < stop; j++)
            {
                byte b = _header[j];
                if (b == ' ' || b == 0) break;
                if (b < '0' || b > '7') throw Invalid($"a bad number in the header at byte {headerAt}");
                value = (value << 3) | (uint)(b - '0');
                if (value > MaxEntrySize) throw Invalid($"a number too big in the header at byte {headerAt}");
            }
            return value;
        }

        private string Text(int at, int length)
        {
            int n = 0;
            while (n < length && _header[at + n] != 0) n++;
            return Decode(_header, at, n);
        }

        private static readonly Encoding Strict = new UTF8Encoding(false, true);

        /// <summary>UTF-8 as the names are on the guest; bytes that are not UTF-8 are refused (no host name can say them the same way).</summary>
        private string Decode(byte[] bytes, int at, int length)
        {
            while (length > 0 && bytes[at + length - 1] == 0) length--; // GNU long names end with NUL
            if (Array.IndexOf(bytes, (byte)0, at, length) >= 0) throw Invalid("a name with a NUL byte");
            try { return Strict.GetString(bytes, at, length); }
            catch (DecoderFallbackException) { throw Invalid("a name that is not UTF-8"); }
        }

        /// <summary>A name as a warning can show it: control characters (a newline in a guest name) escaped.</summary>
        internal static string Printable(string s)
        {
            var sb = new StringBuilder(s.Length);
            foreach (char c in s)
            {
                if (c < 0x20 || c == 0x7F) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                else sb.Append(c);
            }
            return sb.ToString();
        }

        private DfVmException Invalid(string what) =>
            new DfVmException(ErrorIds.GuestArchiveInvalid, DfVmErrorKind.InvalidData, $"The archive the guest sent is not valid: {what}. Nothing was copied.", null);
    }
}
