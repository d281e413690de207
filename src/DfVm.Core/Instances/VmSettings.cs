using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using DfVm.Core.Snapshots;

namespace DfVm.Core.Instances
{
    /// <summary>A change to a VM's machine settings (null: keep). The disk is never touched.</summary>
    public sealed class VmSettings
    {
        public int? MemoryMB { get; set; }
        public int? Cpus { get; set; }
        /// <summary>Fixed SSH port on 127.0.0.1, or 0 to choose a free one at each start.</summary>
        public int? SshPort { get; set; }

        /// <summary>
        /// What would change, one phrase each ("memory 512 -> 1024 MB"); empty when nothing would.
        /// Throws LiveSnapshotWouldNotLoad when memory or CPUs would change to a size a live snapshot cannot be
        /// restored with: QEMU loads saved memory only into a machine of the same size. A snapshot records the size
        /// its machine ran with and the definition's size then (they differ after Set-DfVm on a running VM, which is
        /// for the next cold boot); either is accepted, so a change made while the VM ran can always be set back.
        /// </summary>
        public IReadOnlyList<string> Describe(VmPaths paths, VmDefinition def)
        {
            var changes = new List<string>();
            bool memory = MemoryMB.HasValue && MemoryMB.Value != def.MemoryMB;
            bool cpus = Cpus.HasValue && Cpus.Value != def.Cpus;
            if (memory) changes.Add($"memory {def.MemoryMB} -> {MemoryMB} MB");
            if (cpus) changes.Add($"CPUs {def.Cpus} -> {Cpus}");
            if (memory || cpus)
            {
                var files = new SnapshotPaths(paths);
                var blocking = new List<string>();
                var held = new List<string>();
                foreach (var live in SnapshotStore.List(paths).Where(s => s.Live))
                {
                    var record = SnapshotStore.ReadRecord(files, live.Name) ?? new SnapshotRecord();
                    int machineMemory = record.MemoryMB != 0 ? record.MemoryMB : def.MemoryMB;
                    int machineCpus = record.Cpus != 0 ? record.Cpus : def.Cpus;
                    bool fits = (!memory || MemoryMB.Value == machineMemory || MemoryMB.Value == record.DefinitionMemoryMB)
                        && (!cpus || Cpus.Value == machineCpus || Cpus.Value == record.DefinitionCpus);
                    if (!fits)
                    {
                        blocking.Add(live.Name);
                        held.Add($"'{live.Name}' holds {machineMemory} MB and {machineCpus} CPU(s)");
                    }
                }
                if (blocking.Count > 0)
                {
                    throw new DfVmException(ErrorIds.LiveSnapshotWouldNotLoad, DfVmErrorKind.InvalidOperation,
                        $"VM '{def.Name}' has live snapshots ({string.Join(", ", blocking)}) that could not be restored after this change: {string.Join("; ", held)} of guest memory, "
                        + "and QEMU cannot load them into a machine of another size. Remove them first (Remove-DfVmSnapshot; disk snapshots can stay), "
                        + "or take them again after the change.", def.Name);
                }
            }
            if (SshPort.HasValue && SshPort.Value != def.SshPort) changes.Add($"SSH port {Port(def.SshPort)} -> {Port(SshPort.Value)}");
            return changes;
        }

        /// <summary>
        /// Saves the change in the VM's definition, under the VM lock (a snapshot taken meanwhile is
        /// seen: the check is made again). Returns what changed.
        /// </summary>
        public IReadOnlyList<string> Apply(VmStore store, VmPaths paths, CancellationToken ct)
        {
            using (VmLock.Acquire(paths, TimeSpan.FromSeconds(5), ct))
            {
                var def = store.LoadDefinition(paths);
                var changes = Describe(paths, def);
                if (changes.Count == 0) return changes;
                if (MemoryMB.HasValue) def.MemoryMB = MemoryMB.Value;
                if (Cpus.HasValue) def.Cpus = Cpus.Value;
                if (SshPort.HasValue) def.SshPort = SshPort.Value;
                store.SaveDefinition(paths, def);
                return changes;
            }
        }

        private static string Port(int port) => port == 0 ? "auto" : port.ToString(CultureInfo.InvariantCulture);
    }
}
