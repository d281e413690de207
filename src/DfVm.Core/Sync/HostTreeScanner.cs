using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;

namespace DfVm.Core.Sync
{
    /// <summary>What a host scan found: the kept entries in pre-order, and what it left out.</summary>
    internal sealed class HostTree
    {
        /// <summary>The relative path of <see cref="RootEntry"/>: its tar header is "./".</summary>
        public const string RootPath = ".";

        public HostTree(string root, ExclusionFilter filter)
        {
            Root = root;
            Filter = filter;
        }

        public string Root { get; }
        /// <summary>
        /// The source folder itself (path "."): the destination folder gets its mode and mtime, as
        /// rsync -a gives "dest/" those of "src/". Not in <see cref="Entries"/>.
        /// </summary>
        public HostEntry RootEntry { get; set; }
        public ExclusionFilter Filter { get; }
        /// <summary>Kept entries, parents before children, siblings in ordinal order.</summary>
        public List<HostEntry> Entries { get; } = new List<HostEntry>();
        public Dictionary<string, HostEntry> ByPath { get; } = new Dictionary<string, HostEntry>(StringComparer.Ordinal);
        /// <summary>Excluded directories (relative paths): the guest-side listings skip them.</summary>
        public List<string> ExcludedDirectories { get; } = new List<string>();
        /// <summary>Entries that could not be read (path: reason).</summary>
        public List<string> Problems { get; } = new List<string>();
        /// <summary>Directories that could not be listed: nothing below them is deleted in the guest.</summary>
        public List<string> UnreadableDirectories { get; } = new List<string>();

        public int FileCount { get; set; }
        public long FileBytes { get; set; }
    }

    /// <summary>Walks the source tree with stat data only (no reads but .gitignore files), pruning excluded directories.</summary>
    internal sealed class HostTreeScanner
    {
        private readonly ExclusionFilter _filter;
        private readonly Action<HostTree, string> _onEntry;

        public HostTreeScanner(ExclusionFilter filter, Action<HostTree, string> onEntry)
        {
            _filter = filter;
            _onEntry = onEntry;
        }

        public HostTree Scan(string root, CancellationToken ct)
        {
            var tree = new HostTree(root, _filter);
            var stack = new List<GitIgnoreRules>();
            var dir = new DirectoryInfo(root);
            // Stat before listing, like every other folder (its parent's listing stats it): a change
            // made during the scan makes the next scan see another mtime.
            tree.RootEntry = new HostEntry(HostTree.RootPath, dir.FullName, SyncEntryType.Directory, 0, dir.LastWriteTimeUtc.Ticks,
                UnixFileMetadata.GetMode(dir, true), null);
            Walk(tree, dir, string.Empty, stack, ct);
            return tree;
        }

        private void Walk(HostTree tree, DirectoryInfo dir, string relDir, List<GitIgnoreRules> stack, CancellationToken ct)
        {
            ct.ThrowIfCancellationRequested();
            FileSystemInfo[] children;
            try
            {
                children = dir.GetFileSystemInfos();
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                tree.Problems.Add((relDir.Length == 0 ? "." : relDir) + ": " + ex.Message);
                tree.UnreadableDirectories.Add(relDir);
                return;
            }
            Array.Sort(children, (a, b) => string.CompareOrdinal(a.Name, b.Name));

            bool pushed = false;
            foreach (FileSystemInfo child in children)
            {
                if (child.Name == ".gitignore" && !UnixFileMetadata.IsSymlink(child) && child is FileInfo)
                {
                    try
                    {
                        GitIgnoreRules rules = GitIgnoreRules.Load(child.FullName, relDir);
                        if (rules.Count > 0)
                        {
                            _filter.AddDirectoryRules(rules);
                            stack.Add(rules);
                            pushed = true;
                        }
                    }
                    catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
                    {
                        tree.Problems.Add(Join(relDir, child.Name) + ": " + ex.Message);
                    }
                    break;
                }
            }

            foreach (FileSystemInfo child in children)
            {
                string name = child.Name;
                string rel = Join(relDir, name);
                bool isLink = UnixFileMetadata.IsSymlink(child);
                bool isDir = !isLink && child is DirectoryInfo;
                if (_filter.IsExcluded(rel, name, isDir, stack))
                {
                    if (isDir)
                    {
                        tree.ExcludedDirectories.Add(rel);
                    }
                    continue;
                }
                if (name.IndexOf('\n') >= 0 || name.IndexOf('\r') >= 0)
                {
                    throw new SyncPathUnsupportedException(rel,
                        "The path '" + rel.Replace("\n", "\\n").Replace("\r", "\\r") +
                        "' contains a line break; names with line breaks cannot be synced. Rename it or exclude it.");
                }

                HostEntry entry;
                long mtime = child.LastWriteTimeUtc.Ticks;
                if (isLink)
                {
                    entry = new HostEntry(rel, child.FullName, SyncEntryType.Symlink, 0, mtime, 0x1FF,
                        UnixFileMetadata.GetLinkTarget(child) ?? string.Empty);
                }
                else if (isDir)
                {
                    entry = new HostEntry(rel, child.FullName, SyncEntryType.Directory, 0, mtime,
                        UnixFileMetadata.GetMode(child, true), null);
                }
                else
                {
                    long size = ((FileInfo)child).Length;
                    entry = new HostEntry(rel, child.FullName, SyncEntryType.File, size, mtime,
                        UnixFileMetadata.GetMode(child, false), null);
                    tree.FileCount++;
                    tree.FileBytes += size;
                }
                tree.Entries.Add(entry);
                tree.ByPath[rel] = entry;
                _onEntry?.Invoke(tree, rel);

                if (isDir)
                {
                    Walk(tree, (DirectoryInfo)child, rel, stack, ct);
                }
            }

            if (pushed)
            {
                stack.RemoveAt(stack.Count - 1);
            }
        }

        private static string Join(string dir, string name) => dir.Length == 0 ? name : dir + "/" + name;
    }
}
