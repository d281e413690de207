using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace DfVm.Core.Snapshots
{
    /// <summary>
    /// Who is stacked on whom, read from the qcow2 headers: a snapshot's layer is backed by its
    /// parent's layer; disk.qcow2 is backed by the snapshot it was last checkpointed or restored from.
    /// </summary>
    internal sealed class SnapshotGraph
    {
        private readonly Dictionary<string, string> _parent = new Dictionary<string, string>(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _backingPath = new Dictionary<string, string>(StringComparer.Ordinal);

        /// <summary>Snapshots with metadata.</summary>
        public IReadOnlyList<string> Names { get; private set; } = Array.Empty<string>();

        /// <summary>The snapshot disk.qcow2 is stacked on, or null.</summary>
        public string DiskParent { get; private set; }

        public static SnapshotGraph Read(SnapshotPaths files)
        {
            var graph = new SnapshotGraph();
            if (!Directory.Exists(files.Directory)) return graph;
            graph.Names = Directory.GetFiles(files.Directory, "*.json")
                .Select(Path.GetFileNameWithoutExtension)
                .Where(SnapshotNames.IsValid)
                .OrderBy(n => n, StringComparer.Ordinal)
                .ToList();
            foreach (var image in Directory.GetFiles(files.Directory, "*.qcow2"))
            {
                string name = files.NameOfImage(image);
                if (name == null) continue;
                string backing = SafeBacking(image);
                graph._backingPath[name] = backing;
                graph._parent[name] = files.NameOfImage(backing);
            }
            if (File.Exists(files.Vm.Disk)) graph.DiskParent = files.NameOfImage(SafeBacking(files.Vm.Disk));
            return graph;
        }

        public string ParentOf(string name) => _parent.TryGetValue(name, out var p) ? p : null;

        /// <summary>The absolute backing path of a snapshot's layer (its parent, or a base image outside snapshots/), or null.</summary>
        public string BackingPathOf(string name) => _backingPath.TryGetValue(name, out var p) ? p : null;

        public IEnumerable<string> ChildrenOf(string name) =>
            _parent.Where(kv => kv.Value == name).Select(kv => kv.Key).OrderBy(n => n, StringComparer.Ordinal);

        /// <summary>The snapshots the running disk reads through: disk.qcow2's parent, its parent, ...</summary>
        public ISet<string> ActiveChain()
        {
            var chain = new HashSet<string>(StringComparer.Ordinal);
            for (string n = DiskParent; n != null && chain.Add(n); n = ParentOf(n)) { }
            return chain;
        }

        private static string SafeBacking(string image)
        {
            try { return QcowHeader.BackingPath(image); }
            catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException) { return null; }
        }
    }
}
