using System;
using System.IO;

namespace DfVm.Core.Images
{
    /// <summary>Puts files in place by rename, so a reader sees the old file or the whole new one.</summary>
    internal static class AtomicFile
    {
        /// <summary>Writes <paramref name="bytes"/> to a temporary file beside <paramref name="path"/> and renames it over.</summary>
        public static void WriteAllBytes(string path, byte[] bytes)
        {
            var full = Path.GetFullPath(path);
            var temp = TempPathBeside(full);
            try
            {
                using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    stream.Write(bytes, 0, bytes.Length);
                    stream.Flush(true);
                }
                MoveIntoPlace(temp, full);
            }
            catch
            {
                TryDelete(temp);
                throw;
            }
        }

        /// <summary>Renames <paramref name="source"/> to <paramref name="destination"/>, replacing it if present.</summary>
        public static void MoveIntoPlace(string source, string destination)
        {
            if (File.Exists(destination))
                File.Replace(source, destination, null);
            else
                File.Move(source, destination);
        }

        public static string TempPathBeside(string path) =>
            Path.Combine(Path.GetDirectoryName(path) ?? ".", "." + Path.GetFileName(path) + ".tmp-" + Guid.NewGuid().ToString("N").Substring(0, 8));

        public static void TryDelete(string path)
        {
            try
            {
                if (File.Exists(path)) File.Delete(path);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
