using System;
using System.IO;
using System.Runtime.InteropServices;

namespace DfVm.Core.Util
{
    /// <summary>The few POSIX calls netstandard2.0 does not offer.</summary>
    internal static class Native
    {
        [DllImport("libc", SetLastError = true, EntryPoint = "chmod")]
        private static extern int chmod_(string path, uint mode);

        [DllImport("libc", SetLastError = true, EntryPoint = "kill")]
        private static extern int kill_(int pid, int sig);

        [DllImport("libc", SetLastError = true, EntryPoint = "rename")]
        private static extern int rename_(string from, string to);

        [DllImport("libc", SetLastError = true, EntryPoint = "open")]
        private static extern int open_(string path, int flags);

        [DllImport("libc", SetLastError = true, EntryPoint = "close")]
        private static extern int close_(int fd);

        [DllImport("libc", SetLastError = true, EntryPoint = "fcntl")]
        private static extern int fcntl_(int fd, int cmd, byte[] flock);

        [DllImport("libc", SetLastError = true, EntryPoint = "realpath")]
        private static extern IntPtr realpath_(string path, IntPtr resolved);

        [DllImport("libc", EntryPoint = "free")]
        private static extern void free_(IntPtr p);

        public const int SIGTERM = 15;
        public const int SIGKILL = 9;

        public static void Chmod(string path, int mode)
        {
            if (chmod_(path, (uint)mode) != 0)
            {
                throw new IOException($"chmod {Convert.ToString(mode, 8)} '{path}' failed (errno {Marshal.GetLastWin32Error()}).");
            }
        }

        /// <summary>rename(2): replaces the target atomically.</summary>
        public static void Rename(string from, string to)
        {
            if (rename_(from, to) != 0)
            {
                throw new IOException($"rename '{from}' -> '{to}' failed (errno {Marshal.GetLastWin32Error()}).");
            }
        }

        public static bool Kill(int pid, int signal) => kill_(pid, signal) == 0;

        private static bool IsMac => RuntimeInformation.IsOSPlatform(OSPlatform.OSX);

        /// <summary>
        /// The pid of a process holding a POSIX lock (fcntl F_SETLK) on any part of the file, 0 when
        /// nobody does or the file is missing, -1 when it is held through an open-file-description
        /// lock (the holder cannot be named: QEMU's image locks on a disk in use are of this kind). QEMU locks its -pidfile this way for its whole life,
        /// so this names a live QEMU without /proc (Linux and macOS alike); the kernel drops the
        /// lock when the process dies, so a recycled pid is never taken for it.
        /// </summary>
        public static int LockHolder(string path)
        {
            int fd = open_(path, 0 /* O_RDONLY */);
            if (fd < 0) return 0;
            try
            {
                // struct flock: Linux {short type, whence; off_t start, len; pid_t pid}, macOS {off_t start, len; pid_t pid; short type, whence}.
                var buf = new byte[32];
                const short Unlock = 2; // F_UNLCK, the same on both
                short writeLock = (short)(IsMac ? 3 : 1);
                int getLock = IsMac ? 7 : 5;
                if (IsMac) BitConverter.GetBytes(writeLock).CopyTo(buf, 20);
                else BitConverter.GetBytes(writeLock).CopyTo(buf, 0);
                if (fcntl_(fd, getLock, buf) != 0) return 0;
                short type = BitConverter.ToInt16(buf, IsMac ? 20 : 0);
                if (type == Unlock) return 0;
                int pid = BitConverter.ToInt32(buf, IsMac ? 16 : 24);
                return pid > 0 ? pid : -1;
            }
            finally { close_(fd); }
        }

        /// <summary>
        /// The path with every symlink resolved (realpath(3)); for a path that does not exist yet,
        /// its deepest existing ancestor is resolved and the rest appended.
        /// </summary>
        public static string RealPath(string path)
        {
            string full = Path.GetFullPath(path);
            string tail = string.Empty;
            string head = full;
            while (true)
            {
                IntPtr p = realpath_(head, IntPtr.Zero);
                if (p != IntPtr.Zero)
                {
                    try
                    {
                        string real = Marshal.PtrToStringAnsi(p);
                        return tail.Length == 0 ? real : Path.Combine(real, tail);
                    }
                    finally { free_(p); }
                }
                string parent = Path.GetDirectoryName(head);
                if (string.IsNullOrEmpty(parent)) return full;
                tail = tail.Length == 0 ? Path.GetFileName(head) : Path.Combine(Path.GetFileName(head), tail);
                head = parent;
            }
        }
    }
}
