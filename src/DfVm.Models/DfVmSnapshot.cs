using System;

namespace DfVm
{
    /// <summary>A snapshot of one VM, as Checkpoint-DfVm and Get-DfVmSnapshot report it.</summary>
    public sealed class DfVmSnapshot
    {
        public string Name { get; set; }
        public string VmName { get; set; }
        public DateTime Created { get; set; }
        /// <summary>True when it holds the running guest's memory too: restoring it resumes the guest, no boot.</summary>
        public bool Live { get; set; }
        /// <summary>Bytes on the host: its disk layer plus its saved memory.</summary>
        public long SizeBytes { get; set; }
        /// <summary>The snapshot this one's disk layer is stacked on, or null.</summary>
        public string Parent { get; set; }
        /// <summary>The snapshots stacked directly on this one.</summary>
        public string[] Children { get; set; } = Array.Empty<string>();
        /// <summary>True when the VM's current disk is stacked directly on this snapshot.</summary>
        public bool Current { get; set; }
        /// <summary>The snapshot's disk layer (read-only qcow2).</summary>
        public string Path { get; set; }

        public override string ToString() => Name;
    }
}
