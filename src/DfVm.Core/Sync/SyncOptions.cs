using System.Collections.Generic;

namespace DfVm.Core.Sync
{
    /// <summary>What to sync where, and how.</summary>
    public sealed class SyncOptions
    {
        /// <summary>Host directory to sync (the project root).</summary>
        public string SourcePath { get; set; }
        /// <summary>Absolute guest path; created when missing.</summary>
        public string Destination { get; set; }
        /// <summary>Host path of the JSON manifest of what the guest holds (under the VM's directory).</summary>
        public string ManifestPath { get; set; }
        /// <summary>Ignore the manifest: list the guest, send everything, delete extras.</summary>
        public bool Full { get; set; }
        /// <summary>After syncing, hash every guest file and report drift.</summary>
        public bool Verify { get; set; }
        /// <summary>Also sync <c>.git</c> (excluded by default).</summary>
        public bool IncludeGit { get; set; }
        /// <summary>More exclude patterns (gitignore syntax, relative to the source root; they win over .gitignore files).</summary>
        public IReadOnlyList<string> ExtraExcludes { get; set; }
        /// <summary>
        /// Host folder of the VMs (their keys, disks, image cache): never sent, wherever it is,
        /// through whatever spelling of the path (symlinks are resolved). Null: none.
        /// </summary>
        public string VmDirectory { get; set; }
        /// <summary>Plan only: report what would be sent and deleted, change nothing.</summary>
        public bool WhatIf { get; set; }
    }
}
