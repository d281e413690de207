using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace DfVm.Core.Tests.Sync
{
    /// <summary>
    /// An independent listing of a tree (GNU find -printf, lstat semantics, NUL-separated):
    /// type, permission bits, mtime seconds, size, symlink target and SHA-256 of each entry.
    /// </summary>
    internal static class TreeSnapshot
    {
        public static SortedDictionary<string, string> Take(string root, Func<string, bool> keep = null)
        {
            var psi = new ProcessStartInfo("find")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = root,
            };
            foreach (string a in new[] { ".", "-mindepth", "1", "-printf", "%y\\0%m\\0%T@\\0%s\\0%l\\0%P\\0" })
            {
                psi.ArgumentList.Add(a);
            }
            using var p = Process.Start(psi);
            var ms = new MemoryStream();
            p.StandardOutput.BaseStream.CopyTo(ms);
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                throw new InvalidOperationException("find failed: " + err);
            }
            string[] f = Encoding.UTF8.GetString(ms.ToArray()).Split('\0');
            var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i + 5 < f.Length; i += 6)
            {
                string type = f[i], mode = f[i + 1], mtime = f[i + 2], size = f[i + 3], link = f[i + 4], path = f[i + 5];
                if (keep != null && !keep(path))
                {
                    continue;
                }
                string secs = mtime.Split('.')[0];
                string line;
                switch (type)
                {
                    case "f":
                        line = $"f {mode} {secs} {size} {Sha(Path.Combine(root, path))}";
                        break;
                    case "d":
                        line = $"d {mode} {secs}";
                        break;
                    case "l":
                        line = $"l {secs} -> {link}";
                        break;
                    default:
                        line = type;
                        break;
                }
                result[path] = line;
            }
            return result;
        }

        public static string Diff(SortedDictionary<string, string> expected, SortedDictionary<string, string> actual)
        {
            var sb = new StringBuilder();
            foreach (var kv in expected)
            {
                if (!actual.TryGetValue(kv.Key, out string a))
                {
                    sb.AppendLine("missing: " + kv.Key + " (" + kv.Value + ")");
                }
                else if (a != kv.Value)
                {
                    sb.AppendLine("differs: " + kv.Key + " expected " + kv.Value + " got " + a);
                }
            }
            foreach (var kv in actual.Where(kv => !expected.ContainsKey(kv.Key)))
            {
                sb.AppendLine("extra: " + kv.Key + " (" + kv.Value + ")");
            }
            return sb.ToString();
        }

        private static string Sha(string path)
        {
            using var fs = File.OpenRead(path);
            return Convert.ToHexString(SHA256.HashData(fs)).ToLowerInvariant();
        }
    }
}
