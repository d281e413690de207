using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace DfVm.Core.Instances
{
    public static class SerialLog
    {
        /// <summary>The last <paramref name="count"/> lines of the serial log (empty when there is none).</summary>
        public static string Tail(string path, int count = 20)
        {
            if (!File.Exists(path)) return "(no serial output)";
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            {
                long start = System.Math.Max(0, stream.Length - 64 * 1024);
                stream.Seek(start, SeekOrigin.Begin);
                var text = new StreamReader(stream, Encoding.UTF8).ReadToEnd();
                var lines = text.Replace("\r", "").Split('\n').Where(l => l.Length > 0).ToList();
                return string.Join("\n", lines.Skip(System.Math.Max(0, lines.Count - count)));
            }
        }

        public static long Length(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

        public static bool Contains(string path, string marker)
        {
            if (!File.Exists(path)) return false;
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            {
                return new StreamReader(stream, Encoding.UTF8).ReadToEnd().Contains(marker);
            }
        }
    }
}
