using System.IO;
using DfVm.Core.Instances;

namespace DfVm.Core.Snapshots
{
    /// <summary>
    /// Where the snapshots of one VM live: vm/&lt;name&gt;/snapshots/&lt;snap&gt;.qcow2 (disk layer, 0444),
    /// &lt;snap&gt;.vmstate (saved memory and devices of a live snapshot, 0444), &lt;snap&gt;.json (metadata,
    /// written last: a snapshot exists once its .json does) and .journal.json (an operation in progress).
    /// </summary>
    public sealed class SnapshotPaths
    {
        public SnapshotPaths(VmPaths vm)
        {
            Vm = vm;
        }

        public VmPaths Vm { get; }
        public string Directory => Vm.Snapshots;
        public string Image(string snapshot) => Path.Combine(Directory, snapshot + ".qcow2");
        public string State(string snapshot) => Path.Combine(Directory, snapshot + ".vmstate");
        public string StateTemp(string snapshot) => Path.Combine(Directory, snapshot + ".vmstate.tmp");
        public string Metadata(string snapshot) => Path.Combine(Directory, snapshot + ".json");
        /// <summary>Starts with a dot: no snapshot name can collide with it.</summary>
        public string Journal => Path.Combine(Directory, ".journal.json");
        /// <summary>The next overlay, built beside disk.qcow2 and renamed over it.</summary>
        public string DiskTemp => Vm.Disk + ".tmp";

        /// <summary>The snapshot name when <paramref name="imagePath"/> is one of this VM's snapshot layers, else null.</summary>
        public string NameOfImage(string imagePath)
        {
            if (imagePath == null) return null;
            string full = Path.GetFullPath(imagePath);
            if (!string.Equals(Path.GetDirectoryName(full), Path.GetFullPath(Directory), System.StringComparison.Ordinal)) return null;
            if (!full.EndsWith(".qcow2", System.StringComparison.Ordinal)) return null;
            string name = Path.GetFileNameWithoutExtension(full);
            return SnapshotNames.IsValid(name) ? name : null;
        }
    }
}
