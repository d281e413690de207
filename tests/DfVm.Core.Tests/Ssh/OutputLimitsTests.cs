using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading.Tasks;
using DfVm.Core.Ssh;
using DfVm.Core.Util;
using Xunit;

namespace DfVm.Core.Tests.Ssh
{
    /// <summary>Issue 10 item 10: output without a newline cannot exhaust memory; what was cut is said.</summary>
    public sealed class OutputLimitsTests
    {
        /// <summary>A stream of <paramref name="length"/> 'x' characters made on the fly (nothing held in memory).</summary>
        private sealed class EndlessLine : Stream
        {
            private long _left;
            private readonly byte[] _tail;
            public EndlessLine(long length, string tail) { _left = length; _tail = Encoding.UTF8.GetBytes(tail); }
            private int _tailAt;
            public override int Read(byte[] buffer, int offset, int count)
            {
                int n = 0;
                while (n < count && _left > 0) { buffer[offset + n++] = (byte)'x'; _left--; }
                while (n < count && _tailAt < _tail.Length) buffer[offset + n++] = _tail[_tailAt++];
                return n;
            }
            public override bool CanRead => true;
            public override bool CanSeek => false;
            public override bool CanWrite => false;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
            public override void Flush() { }
            public override long Seek(long o, SeekOrigin s) => throw new NotSupportedException();
            public override void SetLength(long v) => throw new NotSupportedException();
            public override void Write(byte[] b, int o, int c) => throw new NotSupportedException();
        }

        [Fact]
        public async Task A_gigabyte_line_is_cut_marked_and_the_stream_goes_on_in_bounded_memory()
        {
            var lines = new List<string>();
            long before = GC.GetTotalMemory(true);
            int cut = await OutputLimits.PumpBoundedLinesAsync(new EndlessLine(1L << 30, "\nnext\r\nlast"), lines.Add);
            long grew = GC.GetTotalMemory(false) - before;

            Assert.Equal(1, cut);
            Assert.Equal(3, lines.Count);
            Assert.Equal(OutputLimits.MaxLineChars + OutputLimits.LineCutMarker.Length, lines[0].Length);
            Assert.EndsWith(OutputLimits.LineCutMarker, lines[0]);
            Assert.Equal("next", lines[1]);
            Assert.Equal("last", lines[2]);
            Assert.True(grew < 64L << 20, $"memory grew by {grew} bytes");
        }

        [Fact]
        public async Task Ordinary_lines_pass_unchanged()
        {
            var lines = new List<string>();
            int cut = await OutputLimits.PumpBoundedLinesAsync(new MemoryStream(Encoding.UTF8.GetBytes("a\n\nb\rc\r\nd\n")), lines.Add);
            Assert.Equal(0, cut);
            Assert.Equal(new[] { "a", "", "b", "c", "d" }, lines);
        }

        [Fact]
        public void The_warning_sums_what_both_streams_dropped()
        {
            var output = CappedText.ForLines(11);
            foreach (var line in new[] { "12345", "6789", "more", "x" }) output.AppendLine(line);
            var error = CappedText.ForLines(2);
            error.AppendLine("err");
            Assert.Contains("11 characters beyond", OutputLimits.Describe("vm", 0, output, error));
            Assert.Contains("7 characters beyond", OutputLimits.Describe("vm", 0, output));
            Assert.Contains("2 line(s) longer than", OutputLimits.Describe("vm", 2, CappedText.ForLines(10)));
            Assert.Null(OutputLimits.Describe("vm", 0, CappedText.ForLines(10)));
        }
    }
}
