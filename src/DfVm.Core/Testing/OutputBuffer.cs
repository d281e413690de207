using System.Text;

namespace DfVm.Core.Testing
{
    /// <summary>
    /// Accumulates the output of one test or package, up to a limit; past it, counts what it drops
    /// so a runaway test cannot exhaust memory.
    /// </summary>
    internal sealed class OutputBuffer
    {
        private readonly int limit;
        private StringBuilder text;
        private long dropped;

        public OutputBuffer(int limit)
        {
            this.limit = limit;
        }

        public bool IsEmpty => text == null || text.Length == 0;

        public void Append(string chunk)
        {
            if (string.IsNullOrEmpty(chunk))
            {
                return;
            }

            if (text == null)
            {
                text = new StringBuilder(chunk.Length + 16);
            }

            int room = limit - text.Length;
            if (room >= chunk.Length)
            {
                text.Append(chunk);
                return;
            }

            if (room > 0)
            {
                text.Append(chunk, 0, room);
            }

            dropped += chunk.Length - (room > 0 ? room : 0);
        }

        public bool Contains(string value)
        {
            return text != null && text.ToString().Contains(value);
        }

        /// <summary>The text with one trailing newline removed: lines joined with "\n".</summary>
        public override string ToString()
        {
            if (text == null)
            {
                return string.Empty;
            }

            string s = text.ToString().Replace("\r\n", "\n");
            if (s.EndsWith("\n"))
            {
                s = s.Substring(0, s.Length - 1);
            }

            if (dropped > 0)
            {
                s += "\n[DfVm: " + dropped + " more characters of output dropped]";
            }

            return s;
        }
    }
}
