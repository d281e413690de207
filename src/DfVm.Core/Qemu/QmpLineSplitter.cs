using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace DfVm.Core.Qemu
{
    /// <summary>
    /// Cuts the monitor's byte stream into lines: QEMU ends each message with "\r\n", and a read may
    /// hold half a line or several. Splitting happens on bytes, so a UTF-8 sequence is never cut.
    /// Empty lines are dropped.
    /// </summary>
    internal sealed class QmpLineSplitter
    {
        /// <summary>A line longer than this is a protocol error (query-qmp-schema is well under 1 MiB).</summary>
        internal const int MaxLineBytes = 64 * 1024 * 1024;

        private static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

        private readonly MemoryStream _partial = new MemoryStream();

        /// <summary>Feeds <paramref name="count"/> bytes and returns the lines they complete.</summary>
        public List<string> Append(byte[] buffer, int count)
        {
            var lines = new List<string>();
            int start = 0;
            for (int i = 0; i < count; i++)
            {
                if (buffer[i] != (byte)'\n')
                {
                    continue;
                }

                string line;
                if (_partial.Length > 0)
                {
                    _partial.Write(buffer, start, i - start);
                    line = Decode(_partial.GetBuffer(), 0, (int)_partial.Length);
                    _partial.SetLength(0);
                }
                else
                {
                    line = Decode(buffer, start, i - start);
                }

                if (line.Length > 0)
                {
                    lines.Add(line);
                }

                start = i + 1;
            }

            if (start < count)
            {
                if (_partial.Length + (count - start) > MaxLineBytes)
                {
                    throw new QmpProtocolException($"A QMP message exceeded {MaxLineBytes} bytes without a line end.");
                }

                _partial.Write(buffer, start, count - start);
            }

            return lines;
        }

        private static string Decode(byte[] bytes, int offset, int length)
        {
            if (length > 0 && bytes[offset + length - 1] == (byte)'\r')
            {
                length--;
            }

            return length == 0 ? string.Empty : Utf8.GetString(bytes, offset, length).Trim();
        }
    }
}
