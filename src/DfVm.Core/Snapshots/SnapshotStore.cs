using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Instances;
using DfVm.Core.Util;

namespace DfVm.Core.Snapshots
{
    /// <summary>
    /// The read side of snapshots (list, get, count, who depends on whom): pure reads of the files
    /// under vm/&lt;name&gt;/snapshots/. Changes go through <see cref="SnapshotManager"/>.
    /// </summary>
    public static class SnapshotStore
    {
        public static int Count(VmPaths paths)
        {
            if (!Directory.Exists(paths.Snapshots)) return 0;
            return Directory.GetFiles(paths.Snapshots, "*.json").Count(f => SnapshotNames.IsValid(Path.GetFileNameWithoutExtension(f)));
        }

        /// <summary>Every snapshot of the VM, oldest first.</summary>
        public static IReadOnlyList<DfVmSnapshot> List(VmPaths paths)
        {
            var files = new SnapshotPaths(paths);
            var graph = SnapshotGraph.Read(files);
            return graph.Names
                .Select(n => Describe(files, graph, n))
                .Where(s => s != null)
                .OrderBy(s => s.Created).ThenBy(s => s.Name, StringComparer.Ordinal)
                .ToList();
        }

        /// <summary>One snapshot; throws SnapshotNotFound.</summary>
        public static DfVmSnapshot Get(VmPaths paths, string name)
        {
            SnapshotNames.Validate(name, paths.Name);
            var files = new SnapshotPaths(paths);
            var found = File.Exists(files.Metadata(name)) ? Describe(files, SnapshotGraph.Read(files), name) : null;
            if (found == null)
            {
                throw new DfVmException(ErrorIds.SnapshotNotFound, DfVmErrorKind.NotFound,
                    $"VM '{paths.Name}' has no snapshot named '{name}'. List them with Get-DfVmSnapshot -Name {paths.Name}.", paths.Name);
            }
            return found;
        }

        internal static SnapshotRecord ReadRecord(SnapshotPaths files, string name) => Json.Read<SnapshotRecord>(files.Metadata(name));

        private static DfVmSnapshot Describe(SnapshotPaths files, SnapshotGraph graph, string name)
        {
            var record = ReadRecord(files, name);
            if (record == null || !File.Exists(files.Image(name))) return null;
            bool live = record.Live && File.Exists(files.State(name));
            return new DfVmSnapshot
            {
                Name = name,
                VmName = files.Vm.Name,
                Created = record.Created.ToLocalTime(),
                Live = live,
                SizeBytes = new FileInfo(files.Image(name)).Length + (live ? new FileInfo(files.State(name)).Length : 0),
                Parent = graph.ParentOf(name),
                Children = graph.ChildrenOf(name).ToArray(),
                Current = graph.DiskParent == name,
                Path = files.Image(name),
            };
        }
    }
}
