using System.Linq;
using System.Threading.Tasks;
using DfVm.Core.Util;
using Xunit;

namespace DfVm.Core.Tests.Util
{
    /// <summary>
    /// The one bounded text buffer (issue 21 item 5): a test's or package's output (<see cref="CappedText.ForText"/>)
    /// and a guest command's captured lines (<see cref="CappedText.ForLines"/>) keep their first part and say what they dropped.
    /// </summary>
    public sealed class CappedTextTests
    {
        // ---------- ForLines: a command's captured lines (issue 10 item 10) ----------

        [Fact]
        public void Captured_text_keeps_its_first_part_and_says_how_much_it_dropped()
        {
            var text = CappedText.ForLines(11);
            text.AppendLine("12345");
            text.AppendLine("6789");
            text.AppendLine("more");
            text.AppendLine("x");
            Assert.Equal(7, text.DroppedChars);
            Assert.StartsWith("12345\n6789\n[DfVm: 7 more characters", text.ToString());
            Assert.Equal("12345\n6789\n[DfVm: 7 more characters of output were not kept (over 11 characters); they were streamed]", text.ToString());
            Assert.Equal(new[] { "12345", "6789" }, text.Lines());
        }

        [Fact]
        public void A_line_is_kept_whole_or_not_at_all_and_nothing_after_a_dropped_line_is_kept()
        {
            var text = CappedText.ForLines(8);
            text.AppendLine("abc");
            text.AppendLine("defgh"); // 4 + 6 > 8: dropped whole
            text.AppendLine("i");     // would fit, but the text stays a prefix of what came
            Assert.Equal(new[] { "abc" }, text.Lines());
            Assert.Equal(8, text.DroppedChars);
        }

        [Fact]
        public void Lines_keep_empty_lines_and_the_text_has_no_trailing_newlines()
        {
            var text = CappedText.ForLines(100);
            Assert.True(text.IsEmpty);
            Assert.Empty(text.Lines());
            Assert.Equal("", text.ToString());
            text.AppendLine("a");
            text.AppendLine("");
            text.AppendLine("b");
            text.AppendLine("");
            Assert.Equal(new[] { "a", "", "b", "" }, text.Lines());
            Assert.Equal("a\n\nb", text.ToString());
            Assert.Equal(0, text.DroppedChars);
        }

        [Fact]
        public void A_first_line_over_the_limit_leaves_only_the_marker()
        {
            var text = CappedText.ForLines(3);
            text.AppendLine("abcd");
            Assert.Empty(text.Lines());
            Assert.Equal("\n[DfVm: 5 more characters of output were not kept (over 3 characters); they were streamed]", text.ToString());
        }

        [Fact]
        public async Task Stdout_and_stderr_threads_may_append_at_once()
        {
            var text = CappedText.ForLines(1 << 20);
            await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
            {
                for (int i = 0; i < 10000; i++) text.AppendLine("t" + t);
            })));
            Assert.Equal(40000, text.Lines().Length);
            Assert.Equal(10000, text.Lines().Count(l => l == "t3"));
        }

        // ---------- ForText: go test output, in pieces ----------

        [Fact]
        public void Text_is_cut_inside_the_piece_that_crosses_the_limit_and_the_marker_counts_the_rest()
        {
            var text = CappedText.ForText(10);
            text.Append("12345\n");
            text.Append("6789abc\n"); // 4 of its 8 characters fit
            text.Append("more\n");
            Assert.Equal(4 + 5, text.DroppedChars);
            Assert.Equal("12345\n6789\n[DfVm: 9 more characters of output dropped]", text.ToString());
        }

        [Fact]
        public void Text_reads_crlf_as_lf_and_loses_one_final_newline_only()
        {
            var text = CappedText.ForText(100);
            Assert.True(text.IsEmpty);
            Assert.Equal("", text.ToString());
            text.Append(null);
            text.Append("");
            Assert.True(text.IsEmpty);
            text.Append("a\r\nb\n\n");
            Assert.False(text.IsEmpty);
            Assert.Equal("a\nb\n", text.ToString());
            Assert.Equal(0, text.DroppedChars);
        }

        [Fact]
        public void Text_past_a_full_buffer_is_only_counted()
        {
            var text = CappedText.ForText(4);
            text.Append("abcd");
            text.Append("e");
            text.Append("fg");
            Assert.Equal(3, text.DroppedChars);
            Assert.Equal("abcd\n[DfVm: 3 more characters of output dropped]", text.ToString());
        }
    }
}
