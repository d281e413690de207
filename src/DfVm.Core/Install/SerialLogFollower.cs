using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;

namespace DfVm.Core.Install
{
    /// <summary>
    /// Reads a growing serial log (QEMU's chardev logfile) from where it last stopped and hands
    /// back the complete lines: CR and LF both end a line, empty lines and control characters are
    /// dropped, an over-long line without an end is cut at <see cref="MaxLineBytes"/>.
    /// </summary>
    public sealed class SerialLogFollower
    {
        public const int MaxLineBytes = 4096;
        private static readonly Regex AnsiEscape = new Regex(@"\x1b(\[[0-9;?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>78cM])", RegexOptions.CultureInvariant);
        private readonly string _path;
        private readonly List<byte> _partial = new List<byte>();
        private long _offset;

        public SerialLogFollower(string path, long offset = 0)
        {
            _path = path;
            _offset = offset;
        }

        /// <summary>Bytes consumed so far.</summary>
        public long Offset => _offset;

        /// <summary>The lines completed since the last call (none when the file is missing).</summary>
        public IReadOnlyList<string> ReadNewLines()
        {
            var lines = new List<string>();
            if (!File.Exists(_path)) return lines;
            using (var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                if (stream.Length < _offset)
                {
                    // A new file under the same name (a new boot): start over.
                    _offset = 0;
                    _partial.Clear();
                }
                stream.Seek(_offset, SeekOrigin.Begin);
                var buffer = new byte[64 * 1024];
                int n;
                while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
                {
                    _offset += n;
                    for (int i = 0; i < n; i++)
                    {
                        byte b = buffer[i];
                        if (b == (byte)'\n' || b == (byte)'\r')
                        {
                            Flush(lines);
                        }
                        else
                        {
                            _partial.Add(b);
                            if (_partial.Count >= MaxLineBytes) Flush(lines);
                        }
                    }
                }
            }
            return lines;
        }

        /// <summary>The unfinished last line, if any (e.g. a prompt that ends without a newline).</summary>
        public string PendingText => Clean(_partial.ToArray());

        private void Flush(List<string> lines)
        {
            if (_partial.Count == 0) return;
            string line = Clean(_partial.ToArray());
            _partial.Clear();
            if (line.Trim().Length > 0) lines.Add(line);
        }

        private static string Clean(byte[] bytes)
        {
            string text = AnsiEscape.Replace(new UTF8Encoding(false, false).GetString(bytes), "");
            var sb = new StringBuilder(text.Length);
            foreach (char c in text)
            {
                if (c == '\t' || !char.IsControl(c)) sb.Append(c);
            }
            return sb.ToString();
        }
    }
}
