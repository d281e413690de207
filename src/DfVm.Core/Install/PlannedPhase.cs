using System.Collections.Generic;
using DfVm.Core.Images;

namespace DfVm.Core.Install
{
    /// <summary>One phase of an unattended install: its markers, the disc to write and how to boot it.</summary>
    public sealed class PlannedPhase
    {
        public PfiPhase Phase { get; set; }

        /// <summary>Where the phase's PFI disc is written (inside vm/&lt;name&gt;/install/).</summary>
        public string DiscPath { get; set; }

        /// <summary>The files on the disc (pfi.conf, the script, authorized_keys).</summary>
        public IReadOnlyList<PfiDiscFile> DiscFiles { get; set; }

        /// <summary>Media (including the disc at <see cref="DiscPath"/>), QEMU arguments, keys, timeouts.</summary>
        public PhaseBoot Boot { get; set; }
    }
}
