using System;
using System.Collections.Generic;

namespace DfVm.Core.Sync
{
    /// <summary>
    /// Decides what stays on the host: the VM directory (wherever it lies in the source) always, <c>.git</c> unless
    /// included, extra patterns (highest precedence, rooted at the source), then the
    /// .gitignore files from the deepest directory up (git's precedence).
    /// </summary>
    internal sealed class ExclusionFilter
    {
        private readonly bool _includeGit;
        private readonly GitIgnoreRules _extra;
        private readonly HashSet<string> _hostOnly;
        private readonly Dictionary<string, GitIgnoreRules> _byDirectory =
            new Dictionary<string, GitIgnoreRules>(StringComparer.Ordinal);

        /// <param name="hostOnlyDirectories">Relative paths of directories never sent (the VM directory), matched exactly.</param>
        public ExclusionFilter(bool includeGit, IEnumerable<string> extraPatterns, IEnumerable<string> hostOnlyDirectories = null)
        {
            _includeGit = includeGit;
            _hostOnly = new HashSet<string>(hostOnlyDirectories ?? new string[0], StringComparer.Ordinal);
            _extra = new GitIgnoreRules(string.Empty, extraPatterns);
        }

        /// <summary>Records the .gitignore rules of a directory (relative path, "" for the root).</summary>
        public void AddDirectoryRules(GitIgnoreRules rules)
        {
            if (rules != null && rules.Count > 0)
            {
                _byDirectory[rules.BaseDirectory] = rules;
            }
        }

        public GitIgnoreRules RulesFor(string directory)
        {
            _byDirectory.TryGetValue(directory, out GitIgnoreRules rules);
            return rules;
        }

        /// <summary>
        /// Is this entry excluded, given the rules of its ancestor directories (root first)?
        /// The caller has already checked that no ancestor directory is excluded.
        /// </summary>
        public bool IsExcluded(string relativePath, string name, bool isDirectory, IReadOnlyList<GitIgnoreRules> ancestorRules)
        {
            if (_hostOnly.Contains(relativePath))
            {
                return true;
            }
            if (!_includeGit && name == ".git")
            {
                return true;
            }
            bool? verdict = _extra.Evaluate(relativePath, name, isDirectory);
            if (verdict.HasValue)
            {
                return verdict.Value;
            }
            for (int i = ancestorRules.Count - 1; i >= 0; i--)
            {
                verdict = ancestorRules[i].Evaluate(relativePath, name, isDirectory);
                if (verdict.HasValue)
                {
                    return verdict.Value;
                }
            }
            return false;
        }

        /// <summary>
        /// Is an arbitrary path (one that may exist only in the guest) excluded, itself or
        /// through an excluded ancestor directory? Uses the rules the host scan recorded.
        /// </summary>
        public bool IsExcludedPath(string relativePath, bool isDirectory)
        {
            var stack = new List<GitIgnoreRules>();
            string[] parts = relativePath.Split('/');
            string current = string.Empty;
            AddRules(stack, current);
            for (int i = 0; i < parts.Length; i++)
            {
                current = i == 0 ? parts[0] : current + "/" + parts[i];
                bool last = i == parts.Length - 1;
                bool dir = !last || isDirectory;
                if (IsExcluded(current, parts[i], dir, stack))
                {
                    return true;
                }
                if (!last)
                {
                    AddRules(stack, current);
                }
            }
            return false;
        }

        private void AddRules(List<GitIgnoreRules> stack, string directory)
        {
            GitIgnoreRules rules = RulesFor(directory);
            if (rules != null)
            {
                stack.Add(rules);
            }
        }
    }
}
