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

        // lockf, not fcntl: fcntl is variadic, which a P/Invoke cannot call portably (Apple arm64 passes variadic arguments on the stack).
        [DllImport("libc", SetLastError = true, EntryPoint = "lockf")]
        private static extern int lockf_(int fd, int cmd, long len);

        [DllImport("libc", SetLastError = true, EntryPoint = "fcntl")]
        private static extern int fcntl_(int fd, int cmd, byte[] flock);

        // fcntl is variadic: Apple arm64 passes variadic arguments on the stack, so six unused
        // register arguments come first to put the struct pointer where fcntl reads it.
        [DllImport("libc", SetLastError = true, EntryPoint = "fcntl")]
        private static extern int fcntlAppleArm64_(int fd, int cmd, long x2, long x3, long x4, long x5, long x6, long x7, byte[] flock);

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

        /// <summary>
        /// True when another process holds a write lock (fcntl/lockf) on the file (lockf F_TEST);
        /// false when nobody does or the file is missing. QEMU holds a write lock on its -pidfile
        /// for its whole life and the kernel drops it when QEMU dies: this tells a live QEMU without
        /// /proc, on Linux and macOS alike, through any spelling of the path.
        /// </summary>
        public static bool IsLockedByOther(string path)
        {
            int fd = open_(path, 0 /* O_RDONLY */);
            if (fd < 0) return false;
            try
            {
                const int F_TEST = 3; // the same on Linux, macOS and the BSDs
                return lockf_(fd, F_TEST, 0) != 0; // 0: unlocked (or locked by us); -1 EACCES/EAGAIN: another process holds it
            }
            finally { close_(fd); }
        }

        /// <summary>
        /// True when another process holds any record lock, shared or exclusive, on any byte of
        /// the file (fcntl F_GETLK with a write-lock probe). QEMU takes shared locks on bytes of
        /// every image it opens, which <see cref="IsLockedByOther"/> (a read probe) does not see.
        /// </summary>
        public static bool IsInUseByOther(string path)
        {
            int fd = open_(path, 0 /* O_RDONLY */);
            if (fd < 0) return false;
            try
            {
                // struct flock: Linux {short type, whence; off_t start, len; pid_t pid}, macOS {off_t start, len; pid_t pid; short type, whence}.
                bool mac = RuntimeInformation.IsOSPlatform(OSPlatform.OSX);
                int typeAt = mac ? 20 : 0;
                var flock = new byte[32];
                BitConverter.GetBytes((short)(mac ? 3 : 1) /* F_WRLCK */).CopyTo(flock, typeAt);
                int getLock = mac ? 7 : 5; // F_GETLK
                int r = mac && RuntimeInformation.ProcessArchitecture == Architecture.Arm64
                    ? fcntlAppleArm64_(fd, getLock, 0, 0, 0, 0, 0, 0, flock)
                    : fcntl_(fd, getLock, flock);
                return r == 0 && BitConverter.ToInt16(flock, typeAt) != 2 /* F_UNLCK */;
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
