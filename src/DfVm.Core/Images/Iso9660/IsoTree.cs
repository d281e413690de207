using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace DfVm.Core.Images.Iso9660
{
    /// <summary>A directory of the disc being built, with its Rock Ridge and ISO 9660 names and its place on the disc.</summary>
    internal sealed class IsoDirectory
    {
        public IsoDirectory(string name, IsoDirectory parent)
        {
            Name = name;
            Parent = parent;
        }

        public string Name { get; }
        public IsoDirectory Parent { get; }
        public string IsoId { get; set; }
        public List<IsoDirectory> Directories { get; } = new List<IsoDirectory>();
        public List<IsoFile> Files { get; } = new List<IsoFile>();
        public int Number { get; set; }
        public uint Extent { get; set; }
        public uint SizeBytes { get; set; }
        public bool IsRoot => Parent == null;
    }

    /// <summary>A file of the disc being built.</summary>
    internal sealed class IsoFile
    {
        public IsoFile(string name, byte[] content, int mode)
        {
            Name = name;
            Content = content;
            Mode = mode;
        }

        public string Name { get; }
        public byte[] Content { get; }
        public int Mode { get; }
        public string IsoId { get; set; }
        public uint Extent { get; set; }
    }

    /// <summary>Builds the directory tree from '/'-separated names and gives every entry a unique ISO 9660 name.</summary>
    internal static class IsoTree
    {
        public const int MaxNameBytes = 180; // keeps each directory record within 255 bytes

        public static IsoDirectory Build(IEnumerable<PfiDiscFile> files)
        {
            var root = new IsoDirectory("", null);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var file in files)
            {
                if (file == null) throw new ArgumentException("A disc file is null.");
                var parts = file.Name.Split('/');
                foreach (var part in parts) ValidateComponent(part, file.Name);
                if (!seen.Add(file.Name)) throw new ArgumentException($"'{file.Name}' is given twice.");
                var dir = root;
                for (var i = 0; i < parts.Length - 1; i++)
                {
                    if (dir.Files.Any(f => f.Name == parts[i]))
                        throw new ArgumentException($"'{file.Name}': '{parts[i]}' is a file, not a directory.");
                    var next = dir.Directories.FirstOrDefault(d => d.Name == parts[i]);
                    if (next == null)
                    {
                        next = new IsoDirectory(parts[i], dir);
                        dir.Directories.Add(next);
                    }
                    dir = next;
                }
                var leaf = parts[parts.Length - 1];
                if (dir.Directories.Any(d => d.Name == leaf))
                    throw new ArgumentException($"'{file.Name}' is also a directory.");
                dir.Files.Add(new IsoFile(leaf, file.Content, file.Mode & 0xFFF));
            }
            AssignIsoIds(root);
            return root;
        }

        /// <summary>Directories in path-table order: breadth first, each level sorted by parent then ISO name.</summary>
        public static List<IsoDirectory> InPathTableOrder(IsoDirectory root)
        {
            var order = new List<IsoDirectory> { root };
            for (var i = 0; i < order.Count; i++)
                order.AddRange(order[i].Directories.OrderBy(d => d.IsoId, StringComparer.Ordinal));
            for (var i = 0; i < order.Count; i++) order[i].Number = i + 1;
            if (order.Count > 65535) throw new ArgumentException("Too many directories for a path table.");
            return order;
        }

        private static void ValidateComponent(string part, string whole)
        {
            if (part.Length == 0 || part == "." || part == "..")
                throw new ArgumentException($"'{whole}' is not a valid disc path (empty, '.' or '..' component).");
            if (part.IndexOf('\0') >= 0)
                throw new ArgumentException($"'{whole}' contains a NUL character.");
            if (Encoding.UTF8.GetByteCount(part) > MaxNameBytes)
                throw new ArgumentException($"'{part}' is longer than {MaxNameBytes} bytes.");
        }

        private static void AssignIsoIds(IsoDirectory dir)
        {
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var sub in dir.Directories)
            {
                sub.IsoId = Unique(DChars(sub.Name, 31), used, 31, "");
                AssignIsoIds(sub);
            }
            foreach (var file in dir.Files)
            {
                var dot = file.Name.LastIndexOf('.');
                var stem = dot > 0 ? file.Name.Substring(0, dot) : file.Name;
                var ext = dot > 0 ? DChars(file.Name.Substring(dot + 1), 3) : "";
                var suffix = "." + ext;
                file.IsoId = Unique(DChars(stem, 30 - suffix.Length), used, 30 - suffix.Length, suffix);
            }
        }

        // Upper-case d-characters (A-Z 0-9 _), at most maxLength of them.
        private static string DChars(string name, int maxLength)
        {
            var sb = new StringBuilder();
            foreach (var c in name.ToUpperInvariant())
            {
                if (sb.Length == maxLength) break;
                sb.Append((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ? c : '_');
            }
            return sb.ToString();
        }

        private static string Unique(string stem, HashSet<string> used, int maxStem, string suffix)
        {
            if (stem.Length == 0) stem = "_";
            var candidate = stem + suffix;
            for (var n = 1; !used.Add(candidate); n++)
            {
                var tag = "_" + n;
                var cut = Math.Min(stem.Length, maxStem - tag.Length);
                candidate = stem.Substring(0, cut) + tag + suffix;
            }
            return candidate;
        }
    }
}
