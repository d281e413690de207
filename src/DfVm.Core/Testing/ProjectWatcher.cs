using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Sync;

namespace DfVm.Core.Testing
{
    /// <summary>
    /// Watches a project tree for saved files (Invoke-DfVmTest -Watch). <see cref="NextBatchAsync"/>
    /// waits for the first change, then for a short quiet spell (an editor's save is several events),
    /// and returns the changed paths relative to the root, '/'-separated. Paths under an ignored
    /// folder (the VM directory, .git) are dropped, and so is what the sync leaves out: the config's
    /// SyncExclude patterns and the .gitignore files (read with the sync's own rules, and read again
    /// when one changes). Start it before the first run: what is saved meanwhile is the first batch.
    /// </summary>
    public sealed class ProjectWatcher : IDisposable
    {
        private readonly string _root;
        private readonly IReadOnlyList<string> _ignored;
        private readonly TimeSpan _quiet;
        private readonly FileSystemWatcher _watcher;
        private readonly object _gate = new object();
        private readonly SemaphoreSlim _signal = new SemaphoreSlim(0);
        private HashSet<string> _pending = new HashSet<string>(StringComparer.Ordinal);
        private DateTime _lastEvent;
        private readonly bool _includeGit;
        private readonly IReadOnlyList<string> _excludes;
        private ExclusionFilter _filter;
        private readonly HashSet<string> _rulesRead = new HashSet<string>(StringComparer.Ordinal);

        /// <param name="root">The project folder.</param>
        /// <param name="ignoredFolders">Full paths of folders whose changes do not count.</param>
        /// <param name="quiet">How long no event must come before a batch is handed out.</param>
        /// <param name="syncExcludes">The config's SyncExclude patterns (null: none).</param>
        /// <param name="includeGit">The config's SyncIncludeGit (.git changes count then).</param>
        public ProjectWatcher(string root, IEnumerable<string> ignoredFolders, TimeSpan quiet, IEnumerable<string> syncExcludes = null, bool includeGit = false)
        {
            _root = Path.GetFullPath(root).TrimEnd('/');
            var ignored = new List<string>();
            if (!includeGit)
            {
                ignored.Add(Path.Combine(_root, ".git"));
            }

            foreach (var folder in ignoredFolders ?? new string[0])
            {
                ignored.Add(Path.GetFullPath(folder).TrimEnd('/'));
            }

            _ignored = ignored;
            _includeGit = includeGit;
            _excludes = (syncExcludes ?? new string[0]).ToList();
            _quiet = quiet;
            _watcher = new FileSystemWatcher(_root)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
                InternalBufferSize = 64 * 1024,
            };
            _watcher.Changed += (s, e) => Add(e.FullPath);
            _watcher.Created += (s, e) => Add(e.FullPath);
            _watcher.Deleted += (s, e) => Add(e.FullPath);
            _watcher.Renamed += (s, e) =>
            {
                Add(e.OldFullPath);
                Add(e.FullPath);
            };
            _watcher.EnableRaisingEvents = true;
        }

        /// <summary>The next set of changed paths (relative, '/'-separated); waits until there is one.</summary>
        public async Task<IReadOnlyCollection<string>> NextBatchAsync(CancellationToken ct)
        {
            await _signal.WaitAsync(ct).ConfigureAwait(false);
            while (true)
            {
                TimeSpan wait;
                lock (_gate)
                {
                    wait = _quiet - (DateTime.UtcNow - _lastEvent);
                    if (wait <= TimeSpan.Zero)
                    {
                        var batch = _pending;
                        _pending = new HashSet<string>(StringComparer.Ordinal);
                        while (_signal.CurrentCount > 0)
                        {
                            _signal.Wait(0);
                        }

                        return batch;
                    }
                }

                await Task.Delay(wait, ct).ConfigureAwait(false);
            }
        }

        public void Dispose()
        {
            _watcher.EnableRaisingEvents = false;
            _watcher.Dispose();
            _signal.Dispose();
        }

        /// <summary>What the sync leaves out (under _gate): SyncExclude, then the .gitignore files of the path's folders.</summary>
        private bool IsExcluded(string relative, string fullPath)
        {
            if (relative == ".gitignore" || relative.EndsWith("/.gitignore", StringComparison.Ordinal))
            {
                _filter = null; // read them all again: a rule may have come or gone
                _rulesRead.Clear();
            }

            if (_filter == null)
            {
                _filter = new ExclusionFilter(_includeGit, _excludes);
            }

            string[] parts = relative.Split('/');
            string dir = "";
            for (int i = 0; i < parts.Length; i++)
            {
                if (_rulesRead.Add(dir))
                {
                    string file = Path.Combine(_root, dir, ".gitignore");
                    try
                    {
                        if (File.Exists(file))
                        {
                            _filter.AddDirectoryRules(GitIgnoreRules.Load(file, dir));
                        }
                    }
                    catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                    {
                        // unreadable now: read again on its next change
                    }
                }

                dir = dir.Length == 0 ? parts[i] : dir + "/" + parts[i];
            }

            return _filter.IsExcludedPath(relative, Directory.Exists(fullPath));
        }

        private void Add(string fullPath)
        {
            foreach (var folder in _ignored)
            {
                if (fullPath == folder || fullPath.StartsWith(folder + "/", StringComparison.Ordinal))
                {
                    return;
                }
            }

            if (!fullPath.StartsWith(_root + "/", StringComparison.Ordinal))
            {
                return;
            }

            string relative = fullPath.Substring(_root.Length + 1);
            lock (_gate)
            {
                if (IsExcluded(relative, fullPath))
                {
                    return;
                }

                _pending.Add(relative);
                _lastEvent = DateTime.UtcNow;
            }

            _signal.Release();
        }
    }
}
