using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace DfVm.Core.Sync
{
    /// <summary>What is at a host path, looked at without following a symlink.</summary>
    internal enum HostNodeKind
    {
        Missing,
        File,
        Directory,
        Symlink,
    }

    /// <summary>
    /// The few Unix calls the guest-to-host copy needs and netstandard2.0 lacks (chmod, symlink,
    /// rename over an existing name), and an lstat-like look at a path. None of them follows a
    /// symlink at the path's last part except chmod, which is only called on what the copy made.
    /// </summary>
    internal static class HostFileOps
    {
        [DllImport("libc", EntryPoint = "chmod", SetLastError = true)]
        private static extern int NativeChmod(byte[] path, int mode);

        [DllImport("libc", EntryPoint = "symlink", SetLastError = true)]
        private static extern int NativeSymlink(byte[] target, byte[] path);

        [DllImport("libc", EntryPoint = "rename", SetLastError = true)]
        private static extern int NativeRename(byte[] from, byte[] to);

        private static byte[] Z(string s) => Encoding.UTF8.GetBytes(s + "\0");

        public static HostNodeKind Kind(string path)
        {
            var info = new FileInfo(path);
            info.Refresh();
            int attributes = (int)info.Attributes;
            if (attributes == -1) return HostNodeKind.Missing;
            var a = (FileAttributes)attributes;
            if ((a & FileAttributes.ReparsePoint) != 0) return HostNodeKind.Symlink;
            return (a & FileAttributes.Directory) != 0 ? HostNodeKind.Directory : HostNodeKind.File;
        }

        public static void Chmod(string path, int mode)
        {
            if (NativeChmod(Z(path), mode) != 0) throw new IOException($"chmod {Convert.ToString(mode, 8)} '{path}' failed (errno {Marshal.GetLastWin32Error()}).");
        }

        public static void Symlink(string target, string path)
        {
            if (NativeSymlink(Z(target), Z(path)) != 0) throw new IOException($"Making the symlink '{path}' failed (errno {Marshal.GetLastWin32Error()}).");
        }

        /// <summary>rename(2): atomic, replaces a file or symlink at <paramref name="to"/> (never what a symlink there points to).</summary>
        public static void Rename(string from, string to)
        {
            if (NativeRename(Z(from), Z(to)) != 0) throw new IOException($"Moving '{from}' to '{to}' failed (errno {Marshal.GetLastWin32Error()}).");
        }

        /// <summary>Removes what is at <paramref name="path"/>: a symlink or file by unlink, a folder with what is in it (symlinks inside removed, never followed).</summary>
        public static void Remove(string path)
        {
            switch (Kind(path))
            {
                case HostNodeKind.Directory:
                    Directory.Delete(path, true);
                    break;
                case HostNodeKind.File:
                case HostNodeKind.Symlink:
                    File.Delete(path);
                    break;
            }
        }
    }
}
