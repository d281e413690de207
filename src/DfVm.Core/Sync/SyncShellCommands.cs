using System.Collections.Generic;
using System.Text;

namespace DfVm.Core.Sync
{
    /// <summary>
    /// The POSIX sh command lines the sync runs in the guest. Paths never go through the shell
    /// unquoted: the destination is single-quoted; entry names travel in the tar stream or on
    /// stdin, one per line, prefixed with "./" (so a leading '-' is harmless).
    /// </summary>
    internal static class SyncShellCommands
    {
        /// <summary>Single-quotes a string for POSIX sh ('it'\''s').</summary>
        public static string Quote(string s) => Ssh.GuestCommandLine.SingleQuote(s);

        /// <summary>
        /// Creates the destination and extracts the tar on stdin, keeping modes and mtimes.
        /// The system's /usr/bin/tar (bsdtar on DragonFly) by path when there is one: a busybox sh
        /// runs its own tar applet for a bare `tar`, and that one sets no symlink mtimes and leaves
        /// each directory with the time its last child was extracted. With <paramref name="gzipped"/>
        /// the stream is gzip (<see cref="StreamCompression"/>): <c>-z</c>, which bsdtar reads with
        /// libarchive's own zlib filter (it would also detect gzip without the flag).
        /// </summary>
        public static string Extract(string destination, bool gzipped = false)
        {
            string q = Quote(destination);
            string flags = gzipped ? "-xzpf" : "-xpf";
            return "mkdir -p -- " + q + " && cd " + q + " && " +
                   "if [ -x /usr/bin/tar ]; then exec /usr/bin/tar " + flags + " -; else exec tar " + flags + " -; fi";
        }

        /// <summary>
        /// Reads lines "r./path" (rm -rf, batched) and "n./path" (remove unless it is a real
        /// directory) from stdin, in order; a pending batch runs before each "n" line so a
        /// parent is gone before its child is looked at. A missing destination means there is
        /// nothing to remove.
        /// </summary>
        public static string Delete(string destination)
        {
            return "cd " + Quote(destination) + " 2>/dev/null || exit 0; st=0; set --; " +
                   "while IFS= read -r l; do p=${l#?}; case $l in " +
                   "n*) if [ $# -gt 0 ]; then rm -rf -- \"$@\" || st=1; set --; fi; " +
                   "if [ -L \"$p\" ] || { [ -e \"$p\" ] && [ ! -d \"$p\" ]; }; then rm -f -- \"$p\" || st=1; fi;; " +
                   "*) set -- \"$@\" \"$p\"; if [ $# -ge 200 ]; then rm -rf -- \"$@\" || st=1; set --; fi;; " +
                   "esac; done; " +
                   "if [ $# -gt 0 ]; then rm -rf -- \"$@\" || st=1; fi; exit $st";
        }

        public static byte[] DeleteInput(IEnumerable<string> removeTrees, IEnumerable<string> clearIfNotDirectory)
        {
            var lines = new List<string>();
            foreach (string p in removeTrees)
            {
                lines.Add("r./" + p);
            }
            foreach (string p in clearIfNotDirectory)
            {
                lines.Add("n./" + p);
            }
            lines.Sort((a, b) => string.CompareOrdinal(a.Substring(1), b.Substring(1)));
            var sb = new StringBuilder();
            foreach (string l in lines)
            {
                sb.Append(l).Append('\n');
            }
            return Encoding.UTF8.GetBytes(sb.ToString());
        }

        /// <summary>Record between the sections of <see cref="List"/>: find prints "./..." or ".", never this.</summary>
        public const string SectionMarker = "//";

        /// <summary>The last record of a complete <see cref="List"/>: without it the listing was cut short.</summary>
        public const string EndMarker = "//end";

        /// <summary>
        /// Lists the destination: directories, then symlinks, then everything else, split by
        /// <see cref="SectionMarker"/> and closed by <see cref="EndMarker"/>. Names are
        /// NUL-terminated (a name may hold '\n' or '\r') and the stream goes through
        /// <c>od</c> as hex, so no line splitting on the way can cut a name
        /// (find -print0 and od -A n -t x1 work in busybox, DragonFly and GNU alike).
        /// </summary>
        public static string List(string destination, IReadOnlyList<string> prune)
        {
            string p = PruneClause(prune);
            return "cd " + Quote(destination) + " 2>/dev/null || exit 0; " +
                   "{ find . " + p + "-type d -print0 && printf '" + SectionMarker + "\\0' && " +
                   "find . " + p + "-type l -print0 && printf '" + SectionMarker + "\\0' && " +
                   "find . " + p + "! -type d ! -type l -print0 && printf '" + EndMarker + "\\0'; } | od -A n -v -t x1";
        }

        /// <summary>
        /// SHA-256 of every file under the destination, as "hash  ./path" lines (sha256sum, or BSD sha256 -r).
        /// Names holding a line break are left out (no host file has one: they cannot be synced),
        /// so every line printed is one whole file.
        /// </summary>
        public static string Hash(string destination, IReadOnlyList<string> prune)
        {
            string p = PruneClause(prune) + "-type f ! -name " + Quote("*\n*") + " ! -name " + Quote("*\r*") + " ";
            return "cd " + Quote(destination) + " 2>/dev/null || exit 0; " +
                   "if command -v sha256sum >/dev/null 2>&1; then find . " + p + "-exec sha256sum {} +; " +
                   "elif command -v sha256 >/dev/null 2>&1; then find . " + p + "-exec sha256 -r {} +; " +
                   "else echo 'dfvm: neither sha256sum nor sha256 found in the guest' >&2; exit 127; fi";
        }

        private static string PruneClause(IReadOnlyList<string> prune)
        {
            if (prune == null || prune.Count == 0)
            {
                return string.Empty;
            }
            var sb = new StringBuilder("\\( ");
            for (int i = 0; i < prune.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append("-o ");
                }
                sb.Append("-path ").Append(Quote("./" + EscapeFindPattern(prune[i]))).Append(' ');
            }
            sb.Append("\\) -prune -o ");
            return sb.ToString();
        }

        // find -path takes a glob: escape its special characters.
        private static string EscapeFindPattern(string s)
        {
            var sb = new StringBuilder(s.Length);
            foreach (char c in s)
            {
                if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\')
                {
                    sb.Append('\\');
                }
                sb.Append(c);
            }
            return sb.ToString();
        }
    }
}
