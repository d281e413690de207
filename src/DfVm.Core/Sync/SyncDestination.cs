using System;
using System.Collections.Generic;

namespace DfVm.Core.Sync
{
    /// <summary>
    /// Checks and normalises the guest destination. The sync deletes inside it, so system
    /// directories and "/" are refused.
    /// </summary>
    public static class SyncDestination
    {
        /// <summary>The guest folder a project lives in: config GuestProjectPath, else /root/&lt;project folder name&gt;.</summary>
        public static string Default(DfVmConfig config, string projectRoot)
        {
            if (!string.IsNullOrEmpty(config.GuestProjectPath)) return config.GuestProjectPath;
            string name = System.IO.Path.GetFileName(Util.HostPath.Real(projectRoot).TrimEnd('/'));
            return "/root/" + name;
        }

        private static readonly HashSet<string> Refused = new HashSet<string>(StringComparer.Ordinal)
        {
            "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/libexec", "/media", "/mnt",
            "/opt", "/proc", "/rescue", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var",
            "/usr/bin", "/usr/include", "/usr/lib", "/usr/libexec", "/usr/local", "/usr/sbin", "/usr/share",
            "/usr/src", "/var/tmp", "/var/db", "/var/log",
        };

        private static readonly string[] RefusedTrees = { "/dev/", "/proc/", "/sys/", "/boot/", "/etc/" };

        internal static string Normalize(string destination)
        {
            if (string.IsNullOrWhiteSpace(destination))
            {
                throw new SyncDestinationInvalidException(destination ?? string.Empty, "it is empty.");
            }
            if (destination.IndexOf('\0') >= 0 || destination.IndexOf('\n') >= 0 || destination.IndexOf('\r') >= 0)
            {
                throw new SyncDestinationInvalidException(destination, "it contains a NUL or a line break.");
            }
            if (destination[0] != '/')
            {
                throw new SyncDestinationInvalidException(destination, "it must be an absolute guest path.");
            }
            var parts = new List<string>();
            foreach (string part in destination.Split('/'))
            {
                if (part.Length == 0)
                {
                    continue;
                }
                if (part == "." || part == "..")
                {
                    throw new SyncDestinationInvalidException(destination, "it must not contain '.' or '..' components.");
                }
                parts.Add(part);
            }
            string normalized = "/" + string.Join("/", parts);
            if (parts.Count == 0)
            {
                throw new SyncDestinationInvalidException(destination, "it is the root directory.");
            }
            if (Refused.Contains(normalized))
            {
                throw new SyncDestinationInvalidException(destination, "it is a system directory.");
            }
            foreach (string tree in RefusedTrees)
            {
                if (normalized.StartsWith(tree, StringComparison.Ordinal))
                {
                    throw new SyncDestinationInvalidException(destination, "it is inside " + tree.TrimEnd('/') + ".");
                }
            }
            return normalized;
        }
    }
}
