using System;
using System.Collections.Generic;

namespace DfVm.Core.Sync
{
    /// <summary>Parses what the guest-side listing and hashing commands print.</summary>
    internal static class GuestListing
    {
        /// <summary>Path → type from the output of <see cref="GuestCommands.List"/> (Unknown stands for "other": file, fifo, ...).</summary>
        public static Dictionary<string, SyncEntryType> ParseList(IEnumerable<string> lines)
        {
            var result = new Dictionary<string, SyncEntryType>(StringComparer.Ordinal);
            int section = 0;
            foreach (string raw in lines)
            {
                string line = raw;
                if (line == GuestCommands.SectionMarker)
                {
                    section++;
                    continue;
                }
                string rel = Relative(line);
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

        private static string Relative(string line)
        {
            if (line.StartsWith("./", StringComparison.Ordinal) && line.Length > 2)
            {
                return line.Substring(2);
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
