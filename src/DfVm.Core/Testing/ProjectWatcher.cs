using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace DfVm.Core.Testing
{
    /// <summary>
    /// Watches a project tree for saved files (Invoke-DfVmTest -Watch). <see cref="NextBatchAsync"/>
    /// waits for the first change, then for a short quiet spell (an editor's save is several events),
    /// and returns the changed paths relative to the root, '/'-separated. Paths under an ignored
    /// folder (the VM directory, .git) are dropped.
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

        /// <param name="root">The project folder.</param>
        /// <param name="ignoredFolders">Full paths of folders whose changes do not count.</param>
        /// <param name="quiet">How long no event must come before a batch is handed out.</param>
        public ProjectWatcher(string root, IEnumerable<string> ignoredFolders, TimeSpan quiet)
        {
            _root = Path.GetFullPath(root).TrimEnd('/');
            var ignored = new List<string> { Path.Combine(_root, ".git") };
            foreach (var folder in ignoredFolders ?? new string[0])
            {
                ignored.Add(Path.GetFullPath(folder).TrimEnd('/'));
            }

            _ignored = ignored;
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

            lock (_gate)
            {
                _pending.Add(fullPath.Substring(_root.Length + 1));
                _lastEvent = DateTime.UtcNow;
            }

            _signal.Release();
        }
    }
}
