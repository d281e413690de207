namespace DfVm.Core.Snapshots
{
    /// <summary>The stable error ids of the snapshot cmdlets.</summary>
    public static class SnapshotErrorIds
    {
        public const string SnapshotNotFound = nameof(SnapshotNotFound);
        public const string SnapshotExists = nameof(SnapshotExists);
        public const string InvalidSnapshotName = nameof(InvalidSnapshotName);
        public const string SnapshotInUse = nameof(SnapshotInUse);
        public const string VmMustBeStopped = nameof(VmMustBeStopped);
        public const string SnapshotFailed = nameof(SnapshotFailed);
    }
}
