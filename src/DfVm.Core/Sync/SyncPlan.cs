using System;
using System.Collections.Generic;

namespace DfVm.Core.Sync
{
    /// <summary>What one sync must do: deletions first, then the entries to stream (in tree order).</summary>
    internal sealed class SyncPlan
    {
        public SyncPlan(List<string> deletes, List<string> clearIfNotDirectory, List<HostEntry> sends)
        {
            Deletes = deletes;
            ClearIfNotDirectory = clearIfNotDirectory;
            Sends = sends;
        }

        /// <summary>Relative paths to rm -rf in the guest, sorted, none below another one.</summary>
        public List<string> Deletes { get; }
        /// <summary>Host entries to send, parents before children.</summary>
        public List<HostEntry> Sends { get; }
        /// <summary>
        /// Unknown paths the host has as directories: whatever non-directory the guest may hold
        /// there (a symlink tar would refuse to extract through) is removed; a directory is kept.
        /// </summary>
        public List<string> ClearIfNotDirectory { get; }
        public bool IsEmpty => Deletes.Count == 0 && Sends.Count == 0 && ClearIfNotDirectory.Count == 0;

        /// <summary>
        /// Plans against the manifest of what the guest holds (incremental), or, when there is
        /// none, against a listing of the guest (everything is sent; only extras are deleted).
        /// </summary>
        public static SyncPlan Create(HostTree host, Dictionary<string, ManifestEntry> manifest,
            Dictionary<string, SyncEntryType> guestListing, ManifestEntry heldRoot = null)
        {
            var deletes = new HashSet<string>(StringComparer.Ordinal);
            var clear = new HashSet<string>(StringComparer.Ordinal);
            var send = new HashSet<string>(StringComparer.Ordinal);

            if (manifest == null)
            {
                foreach (HostEntry e in host.Entries)
                {
                    send.Add(e.RelativePath);
                }
                if (guestListing != null)
                {
                    foreach (KeyValuePair<string, SyncEntryType> g in guestListing)
                    {
                        host.ByPath.TryGetValue(g.Key, out HostEntry h);
                        if (h != null && h.Type == g.Value)
                        {
                            continue;
                        }
                        if (h == null && host.Filter.IsExcludedPath(g.Key, g.Value == SyncEntryType.Directory))
                        {
                            continue; // excluded paths in the guest are left alone
                        }
                        deletes.Add(g.Key);
                    }
                }
            }
            else
            {
                foreach (HostEntry e in host.Entries)
                {
                    manifest.TryGetValue(e.RelativePath, out ManifestEntry m);
                    if (m == null)
                    {
                        send.Add(e.RelativePath);
                        continue;
                    }
                    SyncEntryType held = m.EntryType;
                    if (held != e.Type)
                    {
                        // Another type (or unknown): clear the way unless a directory may simply be updated.
                        if (held == SyncEntryType.Unknown && e.Type == SyncEntryType.Directory)
                        {
                            clear.Add(e.RelativePath);
                        }
                        else
                        {
                            deletes.Add(e.RelativePath);
                        }
                        send.Add(e.RelativePath);
                        continue;
                    }
                    if (!SameAsHeld(e, m))
                    {
                        send.Add(e.RelativePath);
                    }
                }
                foreach (ManifestEntry m in manifest.Values)
                {
                    if (!host.ByPath.ContainsKey(m.Path))
                    {
                        deletes.Add(m.Path);
                    }
                }
            }

            // Creating, replacing or removing an entry changes its directory's mtime in the
            // guest: resend the parent's header so tar sets it back after extracting.
            var touched = new List<string>(send);
            touched.AddRange(deletes);
            bool sendRoot = host.RootEntry != null &&
                (manifest == null || heldRoot == null || heldRoot.EntryType != SyncEntryType.Directory || !SameAsHeld(host.RootEntry, heldRoot));
            foreach (string path in touched)
            {
                int slash = path.LastIndexOf('/');
                if (slash < 0)
                {
                    sendRoot = true; // an entry of the destination folder itself
                }
                else if (slash > 0)
                {
                    string parent = path.Substring(0, slash);
                    if (host.ByPath.TryGetValue(parent, out HostEntry pe) && pe.Type == SyncEntryType.Directory)
                    {
                        send.Add(parent);
                    }
                }
            }

            var sends = new List<HostEntry>(send.Count + 1);
            if (sendRoot && host.RootEntry != null)
            {
                sends.Add(host.RootEntry); // first (and, as the shallowest directory, last again at the end of the stream)
            }
            foreach (HostEntry e in host.Entries)
            {
                if (send.Contains(e.RelativePath))
                {
                    sends.Add(e);
                }
            }
            foreach (string dir in host.UnreadableDirectories)
            {
                deletes.RemoveWhere(p => dir.Length == 0 || p.StartsWith(dir + "/", StringComparison.Ordinal));
            }
            List<string> minimal = Minimal(deletes);
            var clearList = new List<string>();
            foreach (string p in clear)
            {
                if (!UnderAny(p, deletes))
                {
                    clearList.Add(p);
                }
            }
            clearList.Sort(StringComparer.Ordinal);
            return new SyncPlan(minimal, clearList, sends);
        }

        private static bool SameAsHeld(HostEntry e, ManifestEntry m)
        {
            switch (e.Type)
            {
                case SyncEntryType.File:
                    return m.Size == e.Size && m.MtimeTicks == e.MtimeTicks && m.Mode == e.Mode && m.Sha256 != null;
                case SyncEntryType.Directory:
                    return m.MtimeTicks == e.MtimeTicks && m.Mode == e.Mode;
                case SyncEntryType.Symlink:
                    return string.Equals(m.LinkTarget, e.LinkTarget, StringComparison.Ordinal) && m.MtimeTicks == e.MtimeTicks;
                default:
                    return false;
            }
        }

        // Sorted; a path below another deleted path is dropped (rm -rf takes it along).
        private static List<string> Minimal(HashSet<string> deletes)
        {
            var sorted = new List<string>(deletes);
            sorted.Sort(StringComparer.Ordinal);
            var result = new List<string>(sorted.Count);
            foreach (string p in sorted)
            {
                if (!UnderAny(p, deletes))
                {
                    result.Add(p);
                }
            }
            return result;
        }

        private static bool UnderAny(string path, HashSet<string> set)
        {
            int slash = path.IndexOf('/');
            while (slash > 0)
            {
                if (set.Contains(path.Substring(0, slash)))
                {
                    return true;
                }
                slash = path.IndexOf('/', slash + 1);
            }
            return false;
        }
    }
}
