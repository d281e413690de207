namespace DfVm.Core.Sync
{
    /// <summary>A progress snapshot (reported at most about ten times a second, plus once at the end of each phase).</summary>
    public sealed class SyncProgress
    {
        public SyncProgress(string phase, int itemsDone, int itemsTotal, long bytesDone, long bytesTotal, string currentPath)
        {
            Phase = phase;
            ItemsDone = itemsDone;
            ItemsTotal = itemsTotal;
            BytesDone = bytesDone;
            BytesTotal = bytesTotal;
            CurrentPath = currentPath;
        }

        /// <summary>"Scanning", "Sending", "Deleting" or "Verifying".</summary>
        public string Phase { get; }
        public int ItemsDone { get; }
        /// <summary>Items in the phase; 0 when not known yet (scanning).</summary>
        public int ItemsTotal { get; }
        public long BytesDone { get; }
        public long BytesTotal { get; }
        public string CurrentPath { get; }

        /// <summary>0..100, or -1 when the total is not known.</summary>
        public int PercentComplete
        {
            get
            {
                if (BytesTotal > 0)
                {
                    return (int)(100 * BytesDone / BytesTotal);
                }
                return ItemsTotal > 0 ? 100 * ItemsDone / ItemsTotal : -1;
            }
        }
    }
}
