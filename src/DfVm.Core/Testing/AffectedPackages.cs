using System;
using System.Collections.Generic;
using System.Linq;

namespace DfVm.Core.Testing
{
    /// <summary>
    /// Which packages a set of changed files affects (Invoke-DfVmTest -Watch): the package whose
    /// folder holds a changed file (or a folder above it, for testdata/), and every package that
    /// imports an affected package, directly or not, in its code or its tests. Reads the output of
    /// <see cref="ListCommand"/> run in the project folder.
    /// </summary>
    public sealed class AffectedPackages
    {
        /// <summary>go list's -f template: one line per package: import path, folder, imports (code and tests).</summary>
        public const string ListFormat = "{{.ImportPath}}\t{{.Dir}}\t{{join .Imports \" \"}} {{join .TestImports \" \"}} {{join .XTestImports \" \"}}";

        /// <summary>sh text: <see cref="ListArguments"/> for a guest shell.</summary>
        public const string ListCommand = "go list -e -f '" + ListFormat + "' ./...";

        /// <summary>How much listing text is read (then <see cref="Truncated"/>): a listing past it is not a real module's.</summary>
        public const long MaxListChars = 16L * 1024 * 1024;

        private readonly Dictionary<string, string> _packageByDir = new Dictionary<string, string>(StringComparer.Ordinal);
        private readonly Dictionary<string, HashSet<string>> _importers = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        private readonly string _prefix;
        private long _chars;

        /// <summary>go's arguments for the listing (no shell).</summary>
        public static IReadOnlyList<string> ListArguments => new[] { "list", "-e", "-f", ListFormat, "./..." };

        /// <param name="listOutput">Lines of <see cref="ListCommand"/>'s output.</param>
        /// <param name="root">The folder it ran in (the project root on that machine).</param>
        public AffectedPackages(IEnumerable<string> listOutput, string root)
            : this(root)
        {
            foreach (string line in listOutput)
            {
                Add(line);
            }
        }

        /// <summary>An empty graph; <see cref="Add"/> reads the listing line by line as it comes.</summary>
        public AffectedPackages(string root)
        {
            _prefix = root.TrimEnd('/');
        }

        /// <summary>The listing was longer than <see cref="MaxListChars"/>: what came after was not read.</summary>
        public bool Truncated { get; private set; }

        /// <summary>Reads one line of the listing (false, and nothing kept, once <see cref="MaxListChars"/> is passed).</summary>
        public bool Add(string line)
        {
            if (Truncated || line == null)
            {
                return false;
            }

            _chars += line.Length + 1;
            if (_chars > MaxListChars)
            {
                Truncated = true;
                return false;
            }

            string prefix = _prefix;
            {
                string[] f = line.Split('\t');
                if (f.Length < 3 || f[0].Length == 0)
                {
                    return true;
                }

                string dir = f[1].TrimEnd('/');
                string rel = dir == prefix ? "" : dir.StartsWith(prefix + "/", StringComparison.Ordinal) ? dir.Substring(prefix.Length + 1) : null;
                if (rel != null)
                {
                    _packageByDir[rel] = f[0];
                }

                foreach (string imported in f[2].Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries))
                {
                    if (!_importers.TryGetValue(imported, out HashSet<string> set))
                    {
                        _importers[imported] = set = new HashSet<string>(StringComparer.Ordinal);
                    }

                    set.Add(f[0]);
                }
            }

            return true;
        }

        /// <summary>The import paths affected by the changed files (relative to the root, '/'-separated), sorted.</summary>
        public IReadOnlyList<string> For(IEnumerable<string> changedFiles)
        {
            var affected = new HashSet<string>(StringComparer.Ordinal);
            var queue = new Queue<string>();
            foreach (string file in changedFiles)
            {
                string dir = file.Contains("/") ? file.Substring(0, file.LastIndexOf('/')) : "";
                while (true)
                {
                    if (_packageByDir.TryGetValue(dir, out string pkg))
                    {
                        if (affected.Add(pkg))
                        {
                            queue.Enqueue(pkg);
                        }

                        break;
                    }

                    if (dir.Length == 0)
                    {
                        break;
                    }

                    dir = dir.Contains("/") ? dir.Substring(0, dir.LastIndexOf('/')) : "";
                }
            }

            while (queue.Count > 0)
            {
                string pkg = queue.Dequeue();
                if (_importers.TryGetValue(pkg, out HashSet<string> importers))
                {
                    foreach (string importer in importers)
                    {
                        if (affected.Add(importer))
                        {
                            queue.Enqueue(importer);
                        }
                    }
                }
            }

            return affected.OrderBy(p => p, StringComparer.Ordinal).ToList();
        }
    }
}
