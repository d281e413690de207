using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using DfVm;
using DfVm.Core.Testing;
using Xunit;
using static DfVm.Core.Tests.Testing.GoFixture;

namespace DfVm.Core.Tests.Testing
{
    /// <summary>Rows come out on the line that ends them, not at the end of the stream.</summary>
    public class StreamingTests
    {
        [Fact]
        public void EachTestRowIsEmittedOnTheLineOfItsEndEvent()
        {
            var parser = new GoTestJsonParser("Fixture");
            foreach (string line in File.ReadLines(Recorded("go1.19-all.stderr")))
            {
                Assert.Empty(parser.FeedStderr(line)); // no package has ended yet
            }

            int checkedRows = 0;
            foreach (string line in File.ReadLines(Recorded("go1.19-all.jsonl")))
            {
                IReadOnlyList<DfVmTestResult> got = parser.Feed(line);
                if (!line.StartsWith("{"))
                {
                    continue;
                }

                using (JsonDocument doc = JsonDocument.Parse(line))
                {
                    JsonElement e = doc.RootElement;
                    string action = e.GetProperty("Action").GetString();
                    string test = e.TryGetProperty("Test", out JsonElement t) ? t.GetString() : null;
                    string package = e.GetProperty("Package").GetString();
                    if (test != null && (action == "pass" || action == "fail" || action == "skip"))
                    {
                        DfVmTestResult row = Assert.Single(got);
                        Assert.Equal(test, row.Test);
                        Assert.Equal(package, row.Package);
                        checkedRows++;
                    }
                    else if (test == null && (action == "pass" || action == "fail"))
                    {
                        // the package row comes last, after the tests it left running
                        Assert.Equal(package, got.Last().Package);
                        Assert.Null(got.Last().Test);
                        Assert.All(got.Take(got.Count - 1), r => Assert.True(r.Reason == GoTestReasons.Panic || r.Reason == GoTestReasons.ExitedWithoutEnding, r.ToString()));
                        checkedRows++;
                    }
                    else
                    {
                        Assert.All(got, r => Assert.NotEqual(package, r.Package)); // only a text-announced failure of another package
                    }
                }
            }

            Assert.Equal(19, checkedRows);
            DfVmTestResult broken = Assert.Single(parser.Complete(2)); // its stderr block was still open
            Assert.Equal(Pkg("broken"), broken.Package);
        }

        [Fact]
        public void ATextAnnouncedBuildFailureEndsWhenTheStreamMovesOn()
        {
            var parser = new GoTestJsonParser("S");
            Assert.Empty(parser.FeedStderr("# example.com/m/bad [example.com/m/bad.test]"));
            Assert.Empty(parser.FeedStderr("bad/x_test.go:3:1: syntax error"));
            Assert.Empty(parser.FeedStderr("# example.com/m/other"));
            Assert.Empty(parser.Feed("FAIL\texample.com/m/bad [build failed]"));
            DfVmTestResult bad = Assert.Single(parser.Feed("{\"Action\":\"run\",\"Package\":\"example.com/m/ok\",\"Test\":\"TestA\"}"));
            Assert.Equal("example.com/m/bad", bad.Package);
            Assert.Equal(GoTestReasons.BuildFailed, bad.Reason);
            Assert.Equal("# example.com/m/bad [example.com/m/bad.test]\nbad/x_test.go:3:1: syntax error\nFAIL\texample.com/m/bad [build failed]", bad.Output);
        }

        [Fact]
        public void AJsonFailEventAfterTheTextLineGivesOneRowNotTwo()
        {
            var parser = new GoTestJsonParser("S");
            parser.FeedStderr("# example.com/m/bad");
            parser.FeedStderr("bad/x.go:1:1: expected 'package', found 'EOF'");
            parser.FeedStderr("# example.com/m/zzz");
            Assert.Empty(parser.Feed("FAIL\texample.com/m/bad [build failed]"));
            DfVmTestResult bad = Assert.Single(parser.Feed("{\"Time\":\"2024-01-02T03:04:05.123456789Z\",\"Action\":\"fail\",\"Package\":\"example.com/m/bad\",\"Elapsed\":0}"));
            Assert.Contains("expected 'package'", bad.Output);
            Assert.Empty(parser.Feed("{\"Action\":\"run\",\"Package\":\"example.com/m/ok\",\"Test\":\"TestA\"}"));
            Assert.Equal(2, parser.Complete(1).Count); // TestA never ended, and its package
        }
    }
}
