using System;
using System.IO;
using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace DfVm.Core.Sync
{
    /// <summary>
    /// Permission bits and symlink targets from the running runtime. The library targets
    /// netstandard2.0, so the .NET 6/7 members (FileSystemInfo.UnixFileMode, LinkTarget) are
    /// bound once by reflection; they read the stat data the enumeration already holds.
    /// </summary>
    internal static class UnixFileMetadata
    {
        private static readonly bool IsWindows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
        private static readonly Func<FileSystemInfo, int> ModeGetter = BindMode();
        private static readonly Func<FileSystemInfo, string> LinkTargetGetter = BindLinkTarget();

        /// <summary>True when real Unix modes are read (false on Windows or an old runtime).</summary>
        public static bool HasUnixModes => ModeGetter != null;

        public static int GetMode(FileSystemInfo info, bool isDirectory)
        {
            if (ModeGetter != null)
            {
                return ModeGetter(info) & 0xFFF; // 07777
            }
            return isDirectory ? 0x1ED : 0x1A4; // 0755 : 0644
        }

        public static bool IsSymlink(FileSystemInfo info)
        {
            return (info.Attributes & FileAttributes.ReparsePoint) != 0;
        }

        public static string GetLinkTarget(FileSystemInfo info)
        {
            if (LinkTargetGetter != null)
            {
                return LinkTargetGetter(info);
            }
            return IsWindows ? null : ReadLinkNative(info.FullName);
        }

        private static Func<FileSystemInfo, int> BindMode()
        {
            if (IsWindows)
            {
                return null;
            }
            PropertyInfo prop = typeof(FileSystemInfo).GetProperty("UnixFileMode", BindingFlags.Public | BindingFlags.Instance);
            if (prop == null)
            {
                return null;
            }
            ParameterExpression p = Expression.Parameter(typeof(FileSystemInfo), "info");
            Expression body = Expression.Convert(Expression.Property(p, prop), typeof(int));
            return Expression.Lambda<Func<FileSystemInfo, int>>(body, p).Compile();
        }

        private static Func<FileSystemInfo, string> BindLinkTarget()
        {
            PropertyInfo prop = typeof(FileSystemInfo).GetProperty("LinkTarget", BindingFlags.Public | BindingFlags.Instance);
            if (prop == null || prop.PropertyType != typeof(string))
            {
                return null;
            }
            return (Func<FileSystemInfo, string>)Delegate.CreateDelegate(typeof(Func<FileSystemInfo, string>), prop.GetGetMethod());
        }

        [DllImport("libc", EntryPoint = "readlink", SetLastError = true)]
        private static extern IntPtr ReadLink(byte[] path, byte[] buffer, IntPtr size);

        private static string ReadLinkNative(string path)
        {
            byte[] p = Encoding.UTF8.GetBytes(path + "\0");
            byte[] buf = new byte[4096];
            long n = ReadLink(p, buf, (IntPtr)buf.Length).ToInt64();
            return n < 0 ? null : Encoding.UTF8.GetString(buf, 0, (int)n);
        }
    }
}
