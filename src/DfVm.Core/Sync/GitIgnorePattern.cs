namespace DfVm.Core.Sync
{
    /// <summary>One parsed line of a .gitignore file (git's parse_path_pattern rules).</summary>
    internal sealed class GitIgnorePattern
    {
        private GitIgnorePattern(string pattern, bool negated, bool mustBeDir, bool basenameOnly, string source)
        {
            Pattern = pattern;
            Negated = negated;
            MustBeDirectory = mustBeDir;
            BasenameOnly = basenameOnly;
            Source = source;
        }

        /// <summary>The wildmatch pattern (no leading '!', no trailing '/', leading '/' kept off).</summary>
        public string Pattern { get; }
        public bool Negated { get; }
        public bool MustBeDirectory { get; }
        /// <summary>No slash in the pattern: it matches a name at any depth below its base.</summary>
        public bool BasenameOnly { get; }
        /// <summary>The line as written, for diagnostics.</summary>
        public string Source { get; }

        /// <summary>Parses one line; returns null for blank lines and comments.</summary>
        public static GitIgnorePattern Parse(string line)
        {
            if (line == null)
            {
                return null;
            }
            if (line.EndsWith("\r", System.StringComparison.Ordinal))
            {
                line = line.Substring(0, line.Length - 1);
            }
            if (line.Length == 0 || line[0] == '#')
            {
                return null;
            }
            string text = TrimTrailingSpaces(line);
            if (text.Length == 0)
            {
                return null;
            }

            bool negated = false;
            if (text[0] == '!')
            {
                negated = true;
                text = text.Substring(1);
            }
            bool mustBeDir = false;
            if (text.Length > 0 && text[text.Length - 1] == '/')
            {
                mustBeDir = true;
                text = text.Substring(0, text.Length - 1);
            }
            if (text.Length == 0)
            {
                return null;
            }
            bool basenameOnly = text.IndexOf('/') < 0;
            if (!basenameOnly && text[0] == '/')
            {
                text = text.Substring(1);
            }
            return new GitIgnorePattern(text, negated, mustBeDir, basenameOnly, line);
        }

        /// <summary>
        /// Does the pattern match? <paramref name="relativeToBase"/> is the path relative to the
        /// directory holding the pattern's .gitignore; <paramref name="name"/> its last component.
        /// </summary>
        public bool IsMatch(string relativeToBase, string name, bool isDirectory)
        {
            if (MustBeDirectory && !isDirectory)
            {
                return false;
            }
            return BasenameOnly
                ? WildMatch.IsMatch(Pattern, name, pathName: false)
                : WildMatch.IsMatch(Pattern, relativeToBase, pathName: true);
        }

        // git's trim_trailing_spaces: unescaped trailing spaces go, "\ " keeps its space.
        private static string TrimTrailingSpaces(string s)
        {
            int lastSpace = -1;
            for (int i = 0; i < s.Length; i++)
            {
                char c = s[i];
                if (c == ' ')
                {
                    if (lastSpace < 0)
                    {
                        lastSpace = i;
                    }
                }
                else if (c == '\\')
                {
                    i++;
                    if (i >= s.Length)
                    {
                        return s;
                    }
                    lastSpace = -1;
                }
                else
                {
                    lastSpace = -1;
                }
            }
            return lastSpace >= 0 ? s.Substring(0, lastSpace) : s;
        }
    }
}
