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
    /// The read side of snapshots (list, get, count, who depends on whom) and the two calls the
    /// rest of the module wires: <see cref="Register"/> at module import, <see cref="Recover"/>
    /// under the VM lock before each start.
    /// </summary>
    public static class SnapshotStore
    {
        /// <summary>Lets Get-DfVm count snapshots (sets <see cref="VmController.SnapshotCounter"/>).</summary>
        public static void Register() => VmController.SnapshotCounter = Count;

        /// <summary>
        /// Finishes or undoes a checkpoint/restore/remove that was interrupted (process or QEMU killed),
        /// and removes stray temporary files. Call it while holding the VM lock, before starting QEMU.
        /// Cheap when there is nothing to do (one stat).
        /// </summary>
        public static void Recover(VmPaths paths, IOperationReporter reporter = null) =>
            RecoverAsync(paths, reporter, CancellationToken.None).GetAwaiter().GetResult();

        /// <inheritdoc cref="Recover"/>
        public static Task RecoverAsync(VmPaths paths, IOperationReporter reporter, CancellationToken ct) =>
            new SnapshotRecovery(paths, reporter).RunAsync(ct);

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
                throw new DfVmException(SnapshotErrorIds.SnapshotNotFound, DfVmErrorKind.NotFound,
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
