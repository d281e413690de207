using System;
using System.Collections.Generic;
using System.IO;

namespace DfVm.Core.Sync
{
    /// <summary>The patterns of one .gitignore file (or one list of extra patterns) and the directory they apply to.</summary>
    internal sealed class GitIgnoreRules
    {
        private readonly List<GitIgnorePattern> _patterns;

        /// <param name="baseDirectory">Relative path of the directory the patterns are relative to ("" for the root).</param>
        public GitIgnoreRules(string baseDirectory, IEnumerable<string> lines)
        {
            BaseDirectory = baseDirectory ?? string.Empty;
            _patterns = new List<GitIgnorePattern>();
            if (lines != null)
            {
                foreach (string line in lines)
                {
                    GitIgnorePattern p = GitIgnorePattern.Parse(line);
                    if (p != null)
                    {
                        _patterns.Add(p);
                    }
                }
            }
        }

        public string BaseDirectory { get; }
        public int Count => _patterns.Count;

        public static GitIgnoreRules Load(string file, string baseDirectory)
        {
            string text = File.ReadAllText(file);
            return new GitIgnoreRules(baseDirectory, text.Split('\n'));
        }

        /// <summary>
        /// The verdict of the last matching pattern: true = ignored, false = re-included
        /// by a '!' pattern, null = no pattern matches.
        /// </summary>
        /// <param name="relativePath">Path relative to the sync root, '/'-separated, under <see cref="BaseDirectory"/>.</param>
        public bool? Evaluate(string relativePath, string name, bool isDirectory)
        {
            if (_patterns.Count == 0)
            {
                return null;
            }
            string relToBase = BaseDirectory.Length == 0
                ? relativePath
                : relativePath.Substring(BaseDirectory.Length + 1);
            for (int i = _patterns.Count - 1; i >= 0; i--)
            {
                GitIgnorePattern p = _patterns[i];
                if (p.IsMatch(relToBase, name, isDirectory))
                {
                    return !p.Negated;
                }
            }
            return null;
        }
    }
}
