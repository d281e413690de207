using System;
using System.Text;

namespace DfVm.Core.Util
{
    /// <summary>
    /// Text kept up to a limit, so that a runaway test or command cannot exhaust the host's memory;
    /// past the limit it counts what it dropped and says so at the end of <see cref="ToString"/>. Once
    /// something was dropped nothing later is kept, so the text is always a prefix of what came.
    /// Thread-safe: a command's stdout and stderr arrive on their own threads.
    /// <para>Two kinds, told apart by how they were made:</para>
    /// <list type="bullet">
    /// <item><see cref="ForText"/>: output that comes in pieces (a <c>go test</c> event's Output), fed with
    /// <see cref="Append"/>; the piece that crosses the limit is cut there.</item>
    /// <item><see cref="ForLines"/>: a guest command's lines, streamed to the caller as they came and kept
    /// here too (<c>GuestCapture</c>), fed with <see cref="AppendLine"/>; a line is kept whole or not at all.</item>
    /// </list>
    /// </summary>
    public sealed class CappedText
    {
        private readonly object _gate = new object();
        private readonly int _limit;
        private readonly bool _lines;
        private StringBuilder _text; // made at the first text: a test run has one per test, most stay empty
        private long _dropped;

        private CappedText(int limit, bool lines)
        {
            _limit = limit;
            _lines = lines;
        }

        /// <summary>
        /// Output kept as it came in pieces. <see cref="ToString"/> reads "\r\n" as "\n" and removes one
        /// final newline; past the limit it ends with "[DfVm: N more characters of output dropped]".
        /// </summary>
        public static CappedText ForText(int limit) => new CappedText(limit, lines: false);

        /// <summary>
        /// A command's lines, kept whole, in order. <see cref="ToString"/> joins them with "\n" and drops the
        /// trailing newlines; past the limit it says how many characters were not kept, and that they were
        /// streamed (the caller saw every line as it came).
        /// </summary>
        public static CappedText ForLines(int limit) => new CappedText(limit, lines: true);

        public long DroppedChars { get { lock (_gate) return _dropped; } }

        public bool IsEmpty { get { lock (_gate) return _text == null || _text.Length == 0; } }

        /// <summary>Keeps <paramref name="chunk"/>, or the part of it that fits.</summary>
        public void Append(string chunk)
        {
            if (string.IsNullOrEmpty(chunk))
            {
                return;
            }

            lock (_gate)
            {
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
        }

        /// <summary>Keeps <paramref name="line"/> and a "\n" when both fit and nothing was dropped before; else counts them as dropped.</summary>
        public void AppendLine(string line)
        {
            lock (_gate)
            {
                int need = line.Length + 1;
                if (_dropped == 0 && (_text?.Length ?? 0) + need <= _limit)
                {
                    if (_text == null)
                    {
                        _text = new StringBuilder();
                    }

                    _text.Append(line).Append('\n');
                    return;
                }

                _dropped += need;
            }
        }

        /// <summary>Every line kept, in order, each as it was appended (empty lines too).</summary>
        public string[] Lines()
        {
            lock (_gate)
            {
                if (_text == null || _text.Length == 0)
                {
                    return new string[0];
                }

                var lines = _text.ToString().Split('\n');
                Array.Resize(ref lines, lines.Length - 1); // each line ended with '\n'
                return lines;
            }
        }

        /// <summary>The text kept (see <see cref="ForText"/> and <see cref="ForLines"/>), then a marker when something was dropped.</summary>
        public override string ToString()
        {
            lock (_gate)
            {
                string s = _text == null ? string.Empty : _text.ToString();
                if (_lines)
                {
                    s = s.TrimEnd('\n');
                    if (_dropped > 0)
                    {
                        s += $"\n[DfVm: {_dropped} more characters of output were not kept (over {_limit} characters); they were streamed]";
                    }

                    return s;
                }

                s = s.Replace("\r\n", "\n");
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
}
