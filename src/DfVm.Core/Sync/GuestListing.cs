using System;
using System.Collections.Generic;
using System.Text;

namespace DfVm.Core.Sync
{
    /// <summary>
    /// Parses what the guest-side listing and hashing commands print, line by line as it streams in
    /// (nothing but the parsed result is kept). The guest is untrusted: output that the real command
    /// cannot print (a name that is absolute or has an empty, "." or ".." part, a record outside the
    /// format, more than <see cref="MaxEntries"/> entries or <see cref="MaxNameBytes"/> bytes of names)
    /// is a <see cref="SyncGuestOutputInvalidException"/>, never a plan.
    /// </summary>
    internal static class GuestListing
    {
        /// <summary>At most this many entries in one listing or hash list (a 5,000-file project lists 5,000).</summary>
        public const int MaxEntries = 1_000_000;
        /// <summary>At most this many bytes in one name (find prints paths longer than PATH_MAX; none this long).</summary>
        public const int MaxRecordBytes = 64 * 1024;
        /// <summary>At most this many bytes of names in all (UTF-8, as the guest prints them).</summary>
        public const long MaxNameBytes = 32L * 1024 * 1024;

        /// <summary>Parses a whole listing at once (tests); see <see cref="ListParser"/>.</summary>
        public static Dictionary<string, SyncEntryType> ParseList(IEnumerable<string> hexLines)
        {
            var parser = new ListParser();
            foreach (string line in hexLines)
            {
                parser.Add(line);
            }
            return parser.Finish();
        }

        /// <summary>Parses a whole hash list at once (tests); see <see cref="HashParser"/>.</summary>
        public static Dictionary<string, string> ParseHashes(IEnumerable<string> lines)
        {
            var parser = new HashParser();
            foreach (string line in lines)
            {
                parser.Add(line);
            }
            return parser.Result;
        }

        /// <summary>
        /// Path → type from the output of <see cref="SyncShellCommands.List"/> (hex of NUL-terminated
        /// records, fed one od line at a time). Unknown stands for "other": file, fifo, ... A name
        /// holding a line break (a guest-only file a test made) is left out: nothing is planned for it.
        /// </summary>
        internal sealed class ListParser
        {
            private const string What = "Listing the destination";
            private readonly Dictionary<string, SyncEntryType> _result = new Dictionary<string, SyncEntryType>(StringComparer.Ordinal);
            private readonly byte[] _record = new byte[MaxRecordBytes];
            private readonly UTF8Encoding _utf8 = new UTF8Encoding(false, false);
            private int _length;
            private int _records;
            private int _section;
            private bool _ended;
            private long _nameBytes;
            private readonly int _maxEntries;

            public ListParser(int maxEntries = MaxEntries)
            {
                _maxEntries = maxEntries;
            }

            public void Add(string hexLine)
            {
                int i = 0;
                int n = hexLine.Length;
                while (i < n)
                {
                    char c = hexLine[i];
                    if (c == ' ' || c == '\t')
                    {
                        i++;
                        continue;
                    }
                    if (i + 1 >= n || !IsHexDigit(c) || !IsHexDigit(hexLine[i + 1]) || (i + 2 < n && hexLine[i + 2] != ' ' && hexLine[i + 2] != '\t'))
                    {
                        throw Invalid("a line that is not od's hex bytes: '" + Shorten(hexLine) + "'");
                    }
                    Byte((byte)((HexValue(c) << 4) | HexValue(hexLine[i + 1])));
                    i += 2;
                }
            }

            /// <summary>The listing; null when it was cut short (no end record: find failed part-way, or od is missing).</summary>
            public Dictionary<string, SyncEntryType> Finish()
            {
                if (_records == 0 && _length == 0)
                {
                    return _result; // no destination yet
                }
                return _ended && _length == 0 ? _result : null;
            }

            private void Byte(byte b)
            {
                if (b != 0)
                {
                    if (_length == _record.Length)
                    {
                        throw Invalid("a name longer than " + MaxRecordBytes + " bytes");
                    }
                    _record[_length++] = b;
                    return;
                }
                string record = _utf8.GetString(_record, 0, _length);
                _nameBytes += _length;
                _length = 0;
                _records++;
                Record(record);
            }

            private void Record(string record)
            {
                if (_ended)
                {
                    throw Invalid("records after the end record");
                }
                if (record == SyncShellCommands.SectionMarker)
                {
                    if (++_section > 2)
                    {
                        throw Invalid("more than three sections");
                    }
                    return;
                }
                if (record == SyncShellCommands.EndMarker)
                {
                    if (_section != 2)
                    {
                        throw Invalid("the end record after " + (_section + 1) + " section(s), not 3");
                    }
                    _ended = true;
                    return;
                }
                if (record == ".")
                {
                    return; // the destination itself
                }
                string rel = CheckedRelative(What, record);
                if (rel == null)
                {
                    return;
                }
                if (_nameBytes > MaxNameBytes || (!_result.ContainsKey(rel) && _result.Count >= _maxEntries))
                {
                    throw Invalid("more than " + _maxEntries + " entries or " + (MaxNameBytes >> 20) + " MiB of names");
                }
                _result[rel] = _section == 0 ? SyncEntryType.Directory
                    : _section == 1 ? SyncEntryType.Symlink
                    : SyncEntryType.File;
            }

            private static SyncGuestOutputInvalidException Invalid(string reason) => new SyncGuestOutputInvalidException(What, reason);
        }

        /// <summary>Path → lower-case hex SHA-256 from sha256sum (GNU or busybox) or BSD "sha256 -r" lines, fed one at a time.</summary>
        internal sealed class HashParser
        {
            private const string What = "Hashing the destination";
            private long _nameBytes;
            private readonly int _maxEntries;

            public HashParser(int maxEntries = MaxEntries)
            {
                _maxEntries = maxEntries;
            }

            public Dictionary<string, string> Result { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

            public void Add(string raw)
            {
                string line = raw;
                bool escaped = line.StartsWith("\\", StringComparison.Ordinal);
                if (escaped)
                {
                    line = line.Substring(1);
                }
                if (line.Length < 66 || !IsHex(line, 64) || line[64] != ' ')
                {
                    throw new SyncGuestOutputInvalidException(What, "a line that is not '<sha256> <name>': '" + Shorten(raw) + "'");
                }
                int nameStart = 65;
                if (line[nameStart] == ' ' || line[nameStart] == '*')
                {
                    nameStart++;
                }
                string name = line.Substring(nameStart);
                if (escaped)
                {
                    name = Unescape(name);
                }
                string rel = CheckedRelative(What, name);
                if (rel == null)
                {
                    return;
                }
                _nameBytes += rel.Length;
                if (_nameBytes > MaxNameBytes || (!Result.ContainsKey(rel) && Result.Count >= _maxEntries))
                {
                    throw new SyncGuestOutputInvalidException(What, "more than " + _maxEntries + " entries or " + (MaxNameBytes >> 20) + " MiB of names");
                }
                Result[rel] = line.Substring(0, 64).ToLowerInvariant();
            }
        }

        /// <summary>
        /// "./a/b" → "a/b". A name find cannot print under "." (absolute, not "./", an empty, "." or ".."
        /// part, a NUL) is an error; a name holding a line break (possible in the guest, never synced) is null.
        /// </summary>
        internal static string CheckedRelative(string what, string name)
        {
            if (!name.StartsWith("./", StringComparison.Ordinal) || name.Length == 2)
            {
                throw new SyncGuestOutputInvalidException(what, "a name outside the destination: '" + Shorten(name) + "'");
            }
            string rel = name.Substring(2);
            if (rel.IndexOf('\0') >= 0)
            {
                throw new SyncGuestOutputInvalidException(what, "a name holding a NUL byte");
            }
            foreach (string part in rel.Split('/'))
            {
                if (part.Length == 0 || part == "." || part == "..")
                {
                    throw new SyncGuestOutputInvalidException(what, "a name that is not a plain path below the destination: '" + Shorten(name) + "'");
                }
            }
            return SyncManifest.IsSafeRelativePath(rel) ? rel : null;
        }

        private static string Shorten(string s)
        {
            string t = s.Length > 120 ? s.Substring(0, 120) + "..." : s;
            var sb = new StringBuilder(t.Length);
            foreach (char c in t)
            {
                sb.Append(c < 0x20 || c == 0x7f ? '?' : c);
            }
            return sb.ToString();
        }

        private static bool IsHexDigit(char c) => (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');

        private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

        private static bool IsHex(string s, int count)
        {
            for (int i = 0; i < count; i++)
            {
                if (!IsHexDigit(s[i]))
                {
                    return false;
                }
            }
            return true;
        }

        // GNU sha256sum escapes '\\', '\n' and '\r' in names (and marks the line with a leading '\').
        private static string Unescape(string s)
        {
            var sb = new StringBuilder(s.Length);
            for (int i = 0; i < s.Length; i++)
            {
                if (s[i] == '\\' && i + 1 < s.Length)
                {
                    char n = s[++i];
                    sb.Append(n == 'n' ? '\n' : n == 'r' ? '\r' : n);
                }
                else
                {
                    sb.Append(s[i]);
                }
            }
            return sb.ToString();
        }
    }
}
