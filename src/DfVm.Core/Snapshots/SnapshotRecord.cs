using System;

namespace DfVm.Core.Snapshots
{
    /// <summary>
    /// What snapshots/&lt;snap&gt;.json holds. The chain (parent, children) is not stored here: it is read
    /// from the qcow2 headers, the one source of truth that a merge rewrites.
    /// </summary>
    internal sealed class SnapshotRecord
    {
        public string Name { get; set; }
        public string VmName { get; set; }
        public DateTime Created { get; set; }
        public bool Live { get; set; }
        /// <summary>What the saved memory needs to load again (same accelerator, memory size).</summary>
        public string Accelerator { get; set; }
        public int MemoryMB { get; set; }
        /// <summary>The CPU count of the machine the memory was saved from (0: not recorded, an older snapshot).</summary>
        public int Cpus { get; set; }
        /// <summary>
        /// The definition's memory when the snapshot was taken (0: not recorded). It differs from <see cref="MemoryMB"/>
        /// when Set-DfVm changed a running VM: that size was owed to the next cold boot, and still is after a restore.
        /// </summary>
        public int DefinitionMemoryMB { get; set; }
        /// <summary>The definition's CPU count when the snapshot was taken (0: not recorded).</summary>
        public int DefinitionCpus { get; set; }
        /// <summary>The -cpu model of the machine the memory was saved from (null: not recorded; see
        /// <see cref="LoadCpuModel"/>).</summary>
        public string CpuModel { get; set; }

        /// <summary>The TCG model the saved memory loads into: the recorded one, else (a snapshot taken before DfVm
        /// chose a model for TCG) the model TCG guests ran then. Under KVM/HVF the model is the host's whatever this says.</summary>
        public string LoadCpuModel() => !string.IsNullOrEmpty(CpuModel) ? CpuModel : Qemu.QemuCommandLine.LegacyTcgCpuModel;
    }

    /// <summary>
    /// snapshots/.journal.json: the operation in progress, written before its first change and removed
    /// after its last. <see cref="SnapshotRecovery"/> finishes or undoes whatever it finds.
    /// </summary>
    internal sealed class SnapshotJournal
    {
        public const string Checkpoint = "checkpoint";
        public const string Remove = "remove";
        /// <summary>A live restore: from the disk swap until the saved memory is loaded, the resume is owed.</summary>
        public const string Restore = "restore";

        public string Operation { get; set; }
        public string Snapshot { get; set; }
        /// <summary>Checkpoint: the metadata to write at the commit; remove: the metadata removed (for the record).</summary>
        public SnapshotRecord Record { get; set; }
        /// <summary>Checkpoint of a running VM: the guest was running (not paused) and must run again afterwards.</summary>
        public bool WasRunning { get; set; }
        /// <summary>Checkpoint of a running VM: its run-time state before QEMU was relaunched (SSH port, boot id, readiness).</summary>
        public DfVm.Core.Instances.VmRuntimeState PreviousState { get; set; }
        /// <summary>Live checkpoint: the memory file is complete (set before QEMU is told to quit).</summary>
        public bool StateSaved { get; set; }
        /// <summary>Live restore: disk.qcow2 is the fresh overlay on the snapshot's layer; only the resume is left.</summary>
        public bool DiskRestored { get; set; }
        /// <summary>Remove: fold the snapshot into its dependants first.</summary>
        public bool Merge { get; set; }
    }
}
