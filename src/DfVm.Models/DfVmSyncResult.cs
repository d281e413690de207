using System;

namespace DfVm
{
    /// <summary>The result of Sync-DfVmProject.</summary>
    public sealed class DfVmSyncResult
    {
        public string Source { get; set; }
        public string Destination { get; set; }
        /// <summary>Files (not directories or symlinks) the host scan kept.</summary>
        public int FilesScanned { get; set; }
        /// <summary>Files and symlinks written into the guest (directory headers not counted).</summary>
        public int FilesSent { get; set; }
        /// <summary>Entries removed from the guest.</summary>
        public int FilesDeleted { get; set; }
        /// <summary>Bytes of the tar stream sent to the guest.</summary>
        public long BytesSent { get; set; }
        public TimeSpan Duration { get; set; }
        /// <summary>With -Verify: true when the guest matches the host, false on drift; null without -Verify.</summary>
        public bool? Verified { get; set; }
        /// <summary>With -Verify: the paths that differ, are missing or are extra in the guest.</summary>
        public string[] Drift { get; set; }
        public bool WhatIf { get; set; }
    }
}
