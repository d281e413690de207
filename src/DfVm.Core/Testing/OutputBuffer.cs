using System.Text;

namespace DfVm.Core.Testing
{
    /// <summary>
    /// Accumulates the output of one test or package, up to a limit; past it, counts what it drops
    /// so a runaway test cannot exhaust memory.
    /// </summary>
    internal sealed class OutputBuffer
    {
        private readonly int _limit;
        private StringBuilder _text;
        private long _dropped;

        public OutputBuffer(int limit)
        {
            _limit = limit;
        }

        public bool IsEmpty => _text == null || _text.Length == 0;

        public void Append(string chunk)
        {
            if (string.IsNullOrEmpty(chunk))
            {
                return;
            }

            if (_text == null)
            {
                _text = new StringBuilder(chunk.Length + 16);
            }

            int room = _limit - _text.Length;
            if (room >= chunk.Length)
            {
                _text.Append(chunk);
                return;
            }

            if (room > 0)
            {
                _text.Append(chunk, 0, room);
            }

            _dropped += chunk.Length - (room > 0 ? room : 0);
        }

        public bool Contains(string value)
        {
            return _text != null && _text.ToString().Contains(value);
        }

        /// <summary>The text with one trailing newline removed: lines joined with "\n".</summary>
        public override string ToString()
        {
            if (_text == null)
            {
                return string.Empty;
            }

            string s = _text.ToString().Replace("\r\n", "\n");
            if (s.EndsWith("\n"))
            {
                s = s.Substring(0, s.Length - 1);
            }

            if (_dropped > 0)
            {
                s += "\n[DfVm: " + _dropped + " more characters of output dropped]";
            }

            return s;
        }
    }
}
