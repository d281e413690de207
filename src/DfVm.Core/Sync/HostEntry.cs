namespace DfVm.Core.Sync
{
    public enum SyncEntryType
    {
        /// <summary>The guest may hold anything here (a sync touching it did not confirm).</summary>
        Unknown = 0,
        File = 1,
        Directory = 2,
        Symlink = 3,
    }

    /// <summary>One entry of the host tree as the scan saw it.</summary>
    internal sealed class HostEntry
    {
        public HostEntry(string relativePath, string fullPath, SyncEntryType type, long size, long mtimeTicks, int mode, string linkTarget)
        {
            RelativePath = relativePath;
            FullPath = fullPath;
            Type = type;
            Size = size;
            MtimeTicks = mtimeTicks;
            Mode = mode;
            LinkTarget = linkTarget;
        }

        /// <summary>'/'-separated path relative to the source root.</summary>
        public string RelativePath { get; }
        public string FullPath { get; }
        public SyncEntryType Type { get; }
        public long Size { get; }
        /// <summary>Last write time, UTC ticks.</summary>
        public long MtimeTicks { get; }
        /// <summary>Permission bits (07777).</summary>
        public int Mode { get; }
        public string LinkTarget { get; }
        /// <summary>Lower-case hex SHA-256 of a file's content when known, else null.</summary>
        public string Sha256 { get; set; }
    }
}
