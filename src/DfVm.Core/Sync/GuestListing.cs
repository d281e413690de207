using System;
using System.Collections.Generic;

namespace DfVm.Core.Sync
{
    /// <summary>Parses what the guest-side listing and hashing commands print.</summary>
    internal static class GuestListing
    {
        /// <summary>
        /// Path → type from the output of <see cref="SyncShellCommands.List"/> (hex of NUL-terminated
        /// records). Unknown stands for "other": file, fifo, ... A path that is not a safe relative
        /// path (a line break, "..", an empty part) is left out: nothing is ever planned for it.
        /// Returns null when the listing was cut short (no end record).
        /// </summary>
        public static Dictionary<string, SyncEntryType> ParseList(IEnumerable<string> hexLines)
        {
            var result = new Dictionary<string, SyncEntryType>(StringComparer.Ordinal);
            List<string> records = NulRecords(hexLines);
            if (records == null)
            {
                return null;
            }
            if (records.Count == 0)
            {
                return result; // no destination yet
            }
            if (records[records.Count - 1] != SyncShellCommands.EndMarker)
            {
                return null;
            }
            int section = 0;
            for (int i = 0; i < records.Count - 1; i++)
            {
                string record = records[i];
                if (record == SyncShellCommands.SectionMarker)
                {
                    section++;
                    continue;
                }
                string rel = Relative(record);
                if (rel == null)
                {
                    continue;
                }
                result[rel] = section == 0 ? SyncEntryType.Directory
                    : section == 1 ? SyncEntryType.Symlink
                    : SyncEntryType.File;
            }
            return result;
        }

        /// <summary>Decodes od -A n -t x1 output into the NUL-terminated UTF-8 records it holds; null when it is not hex.</summary>
        internal static List<string> NulRecords(IEnumerable<string> hexLines)
        {
            var bytes = new List<byte>();
            foreach (string line in hexLines)
            {
                foreach (string token in line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries))
                {
                    if (token.Length != 2 || !IsHex(token, 2))
                    {
                        return null;
                    }
                    bytes.Add(Convert.ToByte(token, 16));
                }
            }
            var records = new List<string>();
            var utf8 = new System.Text.UTF8Encoding(false, false);
            int start = 0;
            for (int i = 0; i < bytes.Count; i++)
            {
                if (bytes[i] == 0)
                {
                    records.Add(utf8.GetString(bytes.GetRange(start, i - start).ToArray()));
                    start = i + 1;
                }
            }
            if (start != bytes.Count)
            {
                records.Add(utf8.GetString(bytes.GetRange(start, bytes.Count - start).ToArray())); // an unterminated tail
            }
            return records;
        }

        /// <summary>Path → lower-case hex SHA-256 from sha256sum (GNU or busybox) or BSD "sha256 -r" lines.</summary>
        public static Dictionary<string, string> ParseHashes(IEnumerable<string> lines)
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string raw in lines)
            {
                string line = raw;
                bool escaped = line.StartsWith("\\", StringComparison.Ordinal);
                if (escaped)
                {
                    line = line.Substring(1);
                }
                if (line.Length < 66 || !IsHex(line, 64) || line[64] != ' ')
                {
                    continue;
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
                string rel = Relative(name);
                if (rel != null)
                {
                    result[rel] = line.Substring(0, 64).ToLowerInvariant();
                }
            }
            return result;
        }

        // "./a/b" → "a/b", only when that is a safe relative path (no line break, NUL, "..", empty part).
        private static string Relative(string line)
        {
            if (line.StartsWith("./", StringComparison.Ordinal) && line.Length > 2)
            {
                string rel = line.Substring(2);
                return SyncManifest.IsSafeRelativePath(rel) ? rel : null;
            }
            return null;
        }

        private static bool IsHex(string s, int count)
        {
            for (int i = 0; i < count; i++)
            {
                char c = s[i];
                bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
                if (!hex)
                {
                    return false;
                }
            }
            return true;
        }

        // GNU sha256sum escapes '\\', '\n' and '\r' in names (and marks the line with a leading '\').
        private static string Unescape(string s)
        {
            var sb = new System.Text.StringBuilder(s.Length);
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
