using System;
using System.Collections.Generic;
using System.IO;
using System.Text.RegularExpressions;

namespace DfVm.Core.Images
{
    /// <summary>
    /// Parses a checksum list such as a mirror's md5.txt. BSD lines
    /// (<c>MD5 (file) = hex</c>) are the mirror's format; GNU lines (<c>hex  file</c>) are
    /// accepted too. Other lines are ignored.
    /// </summary>
    public static class Md5List
    {
        private static readonly Regex BsdLine = new Regex(@"^MD5\s*\((?<file>.+)\)\s*=\s*(?<md5>[0-9A-Fa-f]{32})\s*$", RegexOptions.CultureInvariant);
        private static readonly Regex GnuLine = new Regex(@"^(?<md5>[0-9A-Fa-f]{32})\s+\*?(?<file>\S.*?)\s*$", RegexOptions.CultureInvariant);

        /// <summary>File name to lower-case MD5. When a name appears twice the last line wins.</summary>
        public static IReadOnlyDictionary<string, string> Parse(string text)
        {
            var sums = new Dictionary<string, string>(StringComparer.Ordinal);
            if (string.IsNullOrEmpty(text)) return sums;
            using (var reader = new StringReader(text))
            {
                string line;
                while ((line = reader.ReadLine()) != null)
                {
                    line = line.Trim();
                    var match = BsdLine.Match(line);
                    if (!match.Success) match = GnuLine.Match(line);
                    if (!match.Success) continue;
                    var file = match.Groups["file"].Value.Trim();
                    // Entries may carry a path ("./iso-images/x"); the mirror folder is flat.
                    var slash = file.LastIndexOf('/');
                    if (slash >= 0) file = file.Substring(slash + 1);
                    sums[file] = match.Groups["md5"].Value.ToLowerInvariant();
                }
            }
            return sums;
        }
    }
}
