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

        /// <summary>True when a process with this pid exists (zombies included).</summary>
        public static bool ProcessExists(int pid) => pid > 0 && Directory.Exists("/proc/" + pid);

        /// <summary>The process's argv, or null when it is gone.</summary>
        public static string[] CommandLine(int pid)
        {
            try
            {
                string raw = File.ReadAllText("/proc/" + pid + "/cmdline");
                return raw.TrimEnd('\0').Split('\0');
            }
            catch (IOException) { return null; }
            catch (UnauthorizedAccessException) { return null; }
        }

        /// <summary>True when the process is a zombie or gone.</summary>
        public static bool IsDeadOrZombie(int pid)
        {
            try
            {
                string stat = File.ReadAllText("/proc/" + pid + "/stat");
                int close = stat.LastIndexOf(')');
                return close > 0 && close + 2 < stat.Length && stat[close + 2] == 'Z';
            }
            catch (IOException) { return true; }
            catch (UnauthorizedAccessException) { return false; }
        }
    }
}
