namespace DfVm.Core.Util
{
    /// <summary>Host paths as the kernel sees them, so two spellings of one folder (a symlink) compare equal.</summary>
    public static class HostPath
    {
        /// <summary>The absolute path with every symlink resolved; a part that does not exist yet is kept as written.</summary>
        public static string Real(string path) => Native.RealPath(path);

        /// <summary>True when <paramref name="path"/> is <paramref name="folder"/> or lies inside it (both already real).</summary>
        public static bool IsSameOrInside(string path, string folder)
        {
            string f = folder.TrimEnd('/');
            return path == f || (path.StartsWith(f, System.StringComparison.Ordinal) && path.Length > f.Length && path[f.Length] == '/');
        }
    }
}
