using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DfVm.Core.Sync
{
    /// <summary>One entry the guest holds, as the last confirmed sync left it.</summary>
    public sealed class ManifestEntry
    {
        [JsonPropertyName("p")] public string Path { get; set; }
        /// <summary>"f" file, "d" directory, "l" symlink, "?" unknown (a sync touching it did not confirm).</summary>
        [JsonPropertyName("t")] public string Type { get; set; }
        [JsonPropertyName("s")] public long Size { get; set; }
        /// <summary>Host last write time when sent, UTC ticks.</summary>
        [JsonPropertyName("m")] public long MtimeTicks { get; set; }
        [JsonPropertyName("o")] public int Mode { get; set; }
        [JsonPropertyName("l")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string LinkTarget { get; set; }
        [JsonPropertyName("h")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string Sha256 { get; set; }

        internal SyncEntryType EntryType
        {
            get
            {
                switch (Type)
                {
                    case "f": return SyncEntryType.File;
                    case "d": return SyncEntryType.Directory;
                    case "l": return SyncEntryType.Symlink;
                    default: return SyncEntryType.Unknown;
                }
            }
        }

        internal static string TypeCode(SyncEntryType type)
        {
            switch (type)
            {
                case SyncEntryType.File: return "f";
                case SyncEntryType.Directory: return "d";
                case SyncEntryType.Symlink: return "l";
                default: return "?";
            }
        }

        internal static ManifestEntry From(HostEntry e, string sha256)
        {
            return new ManifestEntry
            {
                Path = e.RelativePath,
                Type = TypeCode(e.Type),
                Size = e.Size,
                MtimeTicks = e.MtimeTicks,
                Mode = e.Mode,
                LinkTarget = e.LinkTarget,
                Sha256 = sha256,
            };
        }

        internal static ManifestEntry UnknownAt(string path) => new ManifestEntry { Path = path, Type = "?" };
    }

    /// <summary>The JSON file recording what the guest holds; written atomically (temp file + rename).</summary>
    public sealed class SyncManifest
    {
        public const int CurrentVersion = 1;

        [JsonPropertyName("version")] public int Version { get; set; } = CurrentVersion;
        [JsonPropertyName("source")] public string Source { get; set; }
        [JsonPropertyName("destination")] public string Destination { get; set; }
        [JsonPropertyName("entries")] public List<ManifestEntry> Entries { get; set; } = new List<ManifestEntry>();
        /// <summary>
        /// The destination folder itself (mode, mtime) as last sent; null when unknown (an older
        /// manifest, or a sync that touched it did not confirm): its header is sent again.
        /// </summary>
        [JsonPropertyName("root")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public ManifestEntry Root { get; set; }

        /// <summary>Reads the manifest; null when missing, unreadable or of another version.</summary>
        public static SyncManifest Load(string path)
        {
            if (string.IsNullOrEmpty(path) || !File.Exists(path))
            {
                return null;
            }
            try
            {
                byte[] bytes = File.ReadAllBytes(path);
                SyncManifest m = JsonSerializer.Deserialize<SyncManifest>(bytes);
                if (m == null || m.Version != CurrentVersion || m.Entries == null)
                {
                    return null;
                }
                foreach (ManifestEntry e in m.Entries)
                {
                    if (e == null || !IsSafeRelativePath(e.Path))
                    {
                        return null; // its paths are deleted in the guest: never trust one that leaves the destination
                    }
                }
                return m;
            }
            catch (Exception ex) when (ex is JsonException || ex is IOException || ex is UnauthorizedAccessException)
            {
                return null;
            }
        }

        /// <summary>A non-empty '/'-separated relative path with no empty, "." or ".." component and no line break.</summary>
        internal static bool IsSafeRelativePath(string path)
        {
            if (string.IsNullOrEmpty(path) || path.IndexOf('\n') >= 0 || path.IndexOf('\r') >= 0 || path.IndexOf('\0') >= 0)
            {
                return false;
            }
            foreach (string part in path.Split('/'))
            {
                if (part.Length == 0 || part == "." || part == "..")
                {
                    return false;
                }
            }
            return true;
        }

        public void Save(string path)
        {
            string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
            Directory.CreateDirectory(dir);
            string temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
            try
            {
                using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 65536))
                {
                    JsonSerializer.Serialize(fs, this);
                    fs.Flush(true);
                }
                if (File.Exists(path))
                {
                    File.Replace(temp, path, null);
                }
                else
                {
                    File.Move(temp, path);
                }
            }
            finally
            {
                if (File.Exists(temp))
                {
                    File.Delete(temp);
                }
            }
        }

        public static void Delete(string path)
        {
            if (!string.IsNullOrEmpty(path) && File.Exists(path))
            {
                File.Delete(path);
            }
        }

        internal Dictionary<string, ManifestEntry> ToDictionary()
        {
            var d = new Dictionary<string, ManifestEntry>(Entries.Count, StringComparer.Ordinal);
            foreach (ManifestEntry e in Entries)
            {
                if (e?.Path != null)
                {
                    d[e.Path] = e;
                }
            }
            return d;
        }
    }
}
