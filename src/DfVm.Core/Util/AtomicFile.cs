using System.IO;
using System.Text;

namespace DfVm.Core.Util
{
    /// <summary>Writes a file whole or not at all: temp file in the same folder, then rename.</summary>
    public static class AtomicFile
    {
        public static void WriteAllText(string path, string text, int? mode = null)
        {
            WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text), mode);
        }

        public static void WriteAllBytes(string path, byte[] bytes, int? mode = null)
        {
            string temp = TempPathBeside(path);
            try
            {
                using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                {
                    if (mode.HasValue)
                    {
                        Native.Chmod(temp, mode.Value); // before any byte is written
                    }
                    stream.Write(bytes, 0, bytes.Length);
                    stream.Flush(true);
                }
                Native.Rename(temp, path);
            }
            finally
            {
                TryDelete(temp);
            }
        }

        /// <summary>Renames <paramref name="source"/> over <paramref name="destination"/> (rename(2): atomic, replaces it).</summary>
        public static void MoveIntoPlace(string source, string destination) => Native.Rename(source, destination);

        /// <summary>A hidden temporary name in the same folder, so the final rename stays on one file system.</summary>
        public static string TempPathBeside(string path)
        {
            string full = Path.GetFullPath(path);
            return Path.Combine(Path.GetDirectoryName(full) ?? ".", "." + Path.GetFileName(full) + ".tmp-" + System.Guid.NewGuid().ToString("N").Substring(0, 8));
        }

        public static void TryDelete(string path)
        {
            try
            {
                if (File.Exists(path)) File.Delete(path);
            }
            catch (IOException)
            {
            }
        }
    }
}
