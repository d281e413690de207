using System.Collections.Generic;

namespace DfVm.Core.Sync
{
    /// <summary>What a sync did (or, with WhatIf, would do).</summary>
    public sealed class SyncOutcome
    {
        public SyncOutcome(DfVm.DfVmSyncResult result, IReadOnlyList<string> sent, IReadOnlyList<string> deleted,
            bool whatIf, IReadOnlyList<string> problems, IReadOnlyList<SyncDrift> drift, int guestCommands)
        {
            Result = result;
            Sent = whatIf ? new string[0] : sent;
            Deleted = whatIf ? new string[0] : deleted;
            WouldSend = whatIf ? sent : new string[0];
            WouldDelete = whatIf ? deleted : new string[0];
            WhatIf = whatIf;
            Problems = problems;
            DriftDetails = drift;
            SyncShellCommands = guestCommands;
        }

        public DfVm.DfVmSyncResult Result { get; }
        /// <summary>Relative paths put in the tar stream (directories end without '/').</summary>
        public IReadOnlyList<string> Sent { get; }
        /// <summary>Relative paths removed in the guest before extracting.</summary>
        public IReadOnlyList<string> Deleted { get; }
        public IReadOnlyList<string> WouldSend { get; }
        public IReadOnlyList<string> WouldDelete { get; }
        public bool WhatIf { get; }
        /// <summary>Host entries that could not be read (skipped; retried next sync): "path: reason".</summary>
        public IReadOnlyList<string> Problems { get; }
        /// <summary>With Verify: each difference found, else empty.</summary>
        public IReadOnlyList<SyncDrift> DriftDetails { get; }
        /// <summary>How many guest commands the sync ran (0 when nothing changed).</summary>
        public int SyncShellCommands { get; }
        /// <summary>True when the tar stream went gzipped (<see cref="StreamCompression"/>).</summary>
        public bool Compressed { get; internal set; }
        /// <summary>Bytes that went to the guest's tar (the gzip stream when <see cref="Compressed"/>; else the tar's size).</summary>
        public long WireBytes { get; internal set; }
    }

    public enum SyncDriftKind
    {
        /// <summary>The guest file's SHA-256 differs from the host's.</summary>
        Differs,
        /// <summary>On the host, not in the guest.</summary>
        Missing,
        /// <summary>In the guest, not on the host (and not excluded).</summary>
        Extra,
    }

    public sealed class SyncDrift
    {
        public SyncDrift(string path, SyncDriftKind kind)
        {
            Path = path;
            Kind = kind;
        }

        public string Path { get; }
        public SyncDriftKind Kind { get; }
        public override string ToString() => Kind + ": " + Path;
    }
}
