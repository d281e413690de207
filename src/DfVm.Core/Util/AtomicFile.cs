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
            string temp = path + ".tmp-" + System.Guid.NewGuid().ToString("N").Substring(0, 8);
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
                if (File.Exists(temp)) File.Delete(temp);
            }
        }
    }
}
