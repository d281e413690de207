using System;
using System.Collections.Generic;
using System.Linq;
using DfVm;
using DfVm.Core.Testing;
using Xunit;

namespace DfVm.Core.Tests.Testing
{
    /// <summary>Garbage, unknown input, unfinished streams and memory held.</summary>
    public class RobustnessTests
    {
        [Fact]
        public void GarbageLinesAreOutputOfTheCurrentPackageAndNeverThrow()
        {
            var parser = new GoTestJsonParser("S");
            var rows = new List<DfVmTestResult>();
            string[] lines =
            {
                "{\"Action\":\"run\",\"Package\":\"p\",\"Test\":\"TestA\"}",
                "hello from a shell profile",
                "{not json at all",
                "{\"Action\":5,\"Package\":\"p\"}",
                "{\"Package\":\"p\",\"Output\":\"no action\\n\"}",
                "[1,2,3]",
                "{\"Action\":\"output\",\"Package\":\"p\",\"Test\":\"TestA\",\"Output\":\"real output\\n\"}} trailing",
                "",
                "   ",
                "\u0000\u0001binary",
                "{\"Action\":\"output\",\"Package\":\"p\",\"Test\":\"TestA\",\"Output\":\"kept\\n\",\"Extra\":{\"deep\":[{\"a\":[1,{\"b\":null}]}]}}",
                "{\"Action\":\"pass\",\"Package\":\"p\",\"Test\":\"TestA\",\"Elapsed\":\"soon\"}",
                "{\"Action\":\"pass\",\"Package\":\"p\",\"Elapsed\":0.5}",
            };
            foreach (string line in lines)
            {
                rows.AddRange(parser.Feed(line));
            }

            rows.AddRange(parser.Complete(0));
            Assert.Equal(2, rows.Count);
            Assert.Equal("kept", rows[0].Output);
            Assert.True(rows[0].Passed);
            Assert.Null(rows[0].Elapsed);
            Assert.Contains("hello from a shell profile", rows[1].Output);
            Assert.Contains("{not json at all", rows[1].Output);
            Assert.Contains("trailing", rows[1].Output);
            Assert.Equal(TimeSpan.FromSeconds(0.5), rows[1].Duration);
        }

        [Fact]
        public void UnknownActionsDoNotMakeRows()
        {
            var parser = new GoTestJsonParser("S");
            Assert.Empty(parser.Feed("{\"Action\":\"warp\",\"Package\":\"p\",\"Test\":\"TestA\"}"));
            Assert.Empty(parser.Feed("{\"Action\":\"attr\",\"Package\":\"p\",\"Test\":\"TestA\",\"Key\":\"k\",\"Value\":\"v\"}"));
            Assert.Empty(parser.Feed("{\"Action\":\"build-fail\",\"ImportPath\":\"q\"}"));
            Assert.Empty(parser.Feed("{\"Action\":\"pause\",\"Package\":\"p\",\"Test\":\"TestA\"}"));
            Assert.Empty(parser.Feed("{\"Action\":\"cont\",\"Package\":\"p\",\"Test\":\"TestA\"}"));
            DfVmTestResult pkg = Assert.Single(parser.Feed("{\"Action\":\"pass\",\"Package\":\"p\"}"));
            Assert.Null(pkg.Test);
            Assert.Empty(parser.Complete(0));
        }

        [Fact]
        public void AStreamThatStopsMidTestFailsWhatWasRunning()
        {
            var parser = new GoTestJsonParser("S");
            parser.Feed("{\"Time\":\"2024-01-02T03:04:05Z\",\"Action\":\"run\",\"Package\":\"p\",\"Test\":\"TestA\"}");
            parser.Feed("{\"Time\":\"2024-01-02T03:04:05Z\",\"Action\":\"run\",\"Package\":\"p\",\"Test\":\"TestA/sub\"}");
            parser.Feed("{\"Time\":\"2024-01-02T03:04:07Z\",\"Action\":\"output\",\"Package\":\"p\",\"Test\":\"TestA/sub\",\"Output\":\"working\\n\"}");
            IReadOnlyList<DfVmTestResult> rows = parser.Complete(null);
            Assert.Equal(new[] { "TestA/sub", "TestA", null }, rows.Select(r => r.Test));
            Assert.All(rows, r => Assert.True(r.Failed));
            Assert.All(rows, r => Assert.Equal(GoTestReasons.StreamEnded, r.Reason));
            Assert.Equal(TimeSpan.FromSeconds(2), rows[0].Duration);
            Assert.Equal("working", rows[0].Output);
            Assert.Throws<InvalidOperationException>(() => parser.Feed("{}"));
        }

        [Fact]
        public void ANonZeroExitWithNoFailedRowGivesOneRowWithStderr()
        {
            var parser = new GoTestJsonParser("S");
            parser.FeedStderr("go: go.mod file not found in current directory or any parent directory");
            DfVmTestResult row = Assert.Single(parser.Complete(1));
            Assert.True(row.Failed);
            Assert.Equal(DfVmTestResultKind.Package, row.Kind);
            Assert.Equal("go test failed (exit code 1)", row.Reason);
            Assert.Contains("go.mod file not found", row.Output);
        }

        [Fact]
        public void APassingParentWithAFailedChildIsFailed()
        {
            var parser = new GoTestJsonParser("S");
            parser.Feed("{\"Action\":\"run\",\"Package\":\"p\",\"Test\":\"TestA\"}");
            parser.Feed("{\"Action\":\"run\",\"Package\":\"p\",\"Test\":\"TestA/x\"}");
            Assert.True(Assert.Single(parser.Feed("{\"Action\":\"fail\",\"Package\":\"p\",\"Test\":\"TestA/x\"}")).Failed);
            DfVmTestResult parent = Assert.Single(parser.Feed("{\"Action\":\"pass\",\"Package\":\"p\",\"Test\":\"TestA\"}"));
            Assert.True(parent.Failed);
            Assert.Equal(GoTestReasons.ChildFailed, parent.Reason);
        }

        [Fact]
        public void TwoHundredThousandEventsKeepOnlyRunningTestsInMemory()
        {
            var parser = new GoTestJsonParser("S");
            long rows = 0;
            int maxOpen = 0;
            foreach (string line in SyntheticStream.Lines(200000))
            {
                rows += parser.Feed(line).Count;
                maxOpen = Math.Max(maxOpen, parser.OpenTestCount);
            }

            rows += parser.Complete(0).Count;
            Assert.True(maxOpen <= SyntheticStream.Parallel, "open tests: " + maxOpen);
            Assert.Equal(parser.RowCount, rows);
            Assert.True(rows > 30000, rows.ToString());
        }
    }
}
