using System.Text;
using DfVm.Core.Qemu;
using Xunit;

namespace DfVm.Core.Tests.Qmp
{
    public sealed class QmpLineSplitterTests
    {
        [Fact]
        public void Lines_split_across_reads_and_crlf_endings_are_reassembled()
        {
            var splitter = new QmpLineSplitter();
            byte[] part1 = Encoding.UTF8.GetBytes("{\"a\":1}\r\n{\"b\":");
            byte[] part2 = Encoding.UTF8.GetBytes("2}\r");
            byte[] part3 = Encoding.UTF8.GetBytes("\n\r\n{\"c\":\"\u00e9\"}\n");

            Assert.Equal(new[] { "{\"a\":1}" }, splitter.Append(part1, part1.Length));
            Assert.Empty(splitter.Append(part2, part2.Length));
            Assert.Equal(new[] { "{\"b\":2}", "{\"c\":\"\u00e9\"}" }, splitter.Append(part3, part3.Length));
        }

        [Fact]
        public void A_multibyte_character_cut_between_reads_survives()
        {
            var splitter = new QmpLineSplitter();
            byte[] all = Encoding.UTF8.GetBytes("\"\u00e9\u20ac\"\r\n");
            Assert.Empty(splitter.Append(all[..2], 2));
            byte[] rest = all[2..];
            Assert.Equal(new[] { "\"\u00e9\u20ac\"" }, splitter.Append(rest, rest.Length));
        }
    }
}
