using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;

namespace DfVm.Core.Qemu
{
    /// <summary>Loopback TCP ports: is one free, pick a free one, who holds a taken one.</summary>
    public static class PortProbe
    {
        public static bool IsFree(int port)
        {
            try
            {
                var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, false);
                listener.Start();
                listener.Stop();
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }

        public static int PickFree()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            return port;
        }

        /// <summary>"pid 1234 (sshd)" for the process listening on the port, when /proc tells; else null.</summary>
        public static string DescribeHolder(int port)
        {
            try
            {
                string hexPort = port.ToString("X4");
                string inode = null;
                foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
                {
                    if (!File.Exists(table)) continue;
                    foreach (var line in File.ReadLines(table).Skip(1))
                    {
                        var f = line.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
                        if (f.Length > 9 && f[1].EndsWith(":" + hexPort, StringComparison.Ordinal) && f[3] == "0A")
                        {
                            inode = f[9];
                            break;
                        }
                    }
                    if (inode != null) break;
                }
                if (inode == null) return null;
                string target = "socket:[" + inode + "]";
                foreach (var procDir in Directory.GetDirectories("/proc"))
                {
                    if (!int.TryParse(Path.GetFileName(procDir), out int pid)) continue;
                    try
                    {
                        foreach (var fd in Directory.GetFiles(Path.Combine(procDir, "fd")))
                        {
                            if (ReadLink(fd) == target)
                            {
                                string comm = File.ReadAllText(Path.Combine(procDir, "comm")).Trim();
                                return $"pid {pid} ({comm})";
                            }
                        }
                    }
                    catch (Exception e) when (e is IOException || e is UnauthorizedAccessException) { }
                }
                return "a process this user cannot see";
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return null;
            }
        }

        private static string ReadLink(string path)
        {
            var info = new FileInfo(path);
            // FileSystemInfo.LinkTarget is .NET 6+: reach it by reflection from netstandard2.0.
            var prop = typeof(FileSystemInfo).GetProperty("LinkTarget");
            return prop?.GetValue(info) as string;
        }
    }
}
