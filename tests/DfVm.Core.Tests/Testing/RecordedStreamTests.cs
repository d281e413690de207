using System.Collections.Generic;
using System.IO;
using System.Linq;
using DfVm;
using DfVm.Core.Testing;
using Xunit;
using static DfVm.Core.Tests.Testing.GoFixture;

namespace DfVm.Core.Tests.Testing
{
    /// <summary>Streams captured from the real go 1.19 on the fixture, and hand-written streams in newer go formats.</summary>
    public class RecordedStreamTests
    {
        [Fact]
        public void Go119AllPackagesGiveTheExpectedRows()
        {
            List<DfVmTestResult> rows = ParseRecorded("go1.19-all", 2);
            AssertFixtureRun(rows, rootonlyPasses: true);
            Assert.Equal(TimeSpan(0.09), Row(rows, "pass", "TestParallelA").Duration);
            Assert.Equal(0.109, Row(rows, "pass", null).Elapsed);
            Assert.Contains("FAIL\texample.com/dfvmfixture/pass\t0.109s", Row(rows, "pass", null).Output);
        }

        [Fact]
        public void Go119CachedRerunMarksCachedPackages()
        {
            List<DfVmTestResult> rows = ParseRecorded("go1.19-cached", 2);
            Assert.Equal(23, rows.Count);
            DfVmTestResult bench = Expect(rows, "bench", null, DfVmTestOutcome.Passed, GoTestReasons.Cached, DfVmTestResultKind.Package, "(cached)");
            Assert.True(bench.Cached);
            Assert.True(Row(rows, "rootonly", null).Cached);
            Assert.False(Row(rows, "pass", null).Cached);
            Expect(rows, "panics", "TestStillRunning", DfVmTestOutcome.Failed, GoTestReasons.Panic, DfVmTestResultKind.Test, "nil map");
        }

        [Fact]
        public void Go119BenchmarksAreBenchmarkRows()
        {
            var parser = new GoTestJsonParser("Bench");
            var rows = new List<DfVmTestResult>();
            foreach (string line in File.ReadLines(Recorded("go1.19-bench.jsonl")))
            {
                IReadOnlyList<DfVmTestResult> got = parser.Feed(line);
                if (line.Contains("ns/op"))
                {
                    Assert.Single(got); // emitted on its result line
                    Assert.Equal(DfVmTestResultKind.Benchmark, got[0].Kind);
                }

                rows.AddRange(got);
            }

            rows.AddRange(parser.Complete(0));
            Assert.Equal(3, rows.Count);
            DfVmTestResult sum = Expect(rows, "bench", "BenchmarkSum", DfVmTestOutcome.Passed, null, DfVmTestResultKind.Benchmark, "BenchmarkSum-2", "ns/op");
            Assert.DoesNotContain("a benchmark that logs", sum.Output);
            Expect(rows, "bench", "BenchmarkSumLogs", DfVmTestOutcome.Passed, null, DfVmTestResultKind.Benchmark, "a benchmark that logs", "ns/op");
            DfVmTestResult pkg = Expect(rows, "bench", null, DfVmTestOutcome.Passed, null, DfVmTestResultKind.Package, "goos: linux");
            Assert.DoesNotContain("ns/op", pkg.Output);
        }

        [Fact]
        public void Go119RootOnlyAsNonRootFailsWithItsMessage()
        {
            List<DfVmTestResult> rows = ParseRecorded("go1.19-rootonly-nonroot", 1);
            Assert.Equal(2, rows.Count);
            DfVmTestResult t = Expect(rows, "rootonly", "TestRequiresRoot", DfVmTestOutcome.Failed, null, DfVmTestResultKind.Test, "this test must run as root (euid 0), running as euid 65534", "--- FAIL: TestRequiresRoot");
            Assert.Equal("FAIL example.com/dfvmfixture/rootonly TestRequiresRoot (0.00s)", t.ToString());
            Expect(rows, "rootonly", null, DfVmTestOutcome.Failed, null, DfVmTestResultKind.Package);
        }

        [Fact]
        public void Go124BuildEventsAttachToThePackagesThatFailed()
        {
            var parser = new GoTestJsonParser("Fixture");
            var rows = new List<DfVmTestResult>();
            foreach (string line in File.ReadLines(Recorded("go1.24-build-events.jsonl")))
            {
                IReadOnlyList<DfVmTestResult> got = parser.Feed(line);
                if (line.Contains("\"FailedBuild\""))
                {
                    Assert.Single(got); // no waiting for stderr: the build output came as events
                }

                rows.AddRange(got);
            }

            rows.AddRange(parser.Complete(1));
            Assert.Equal(9, rows.Count);
            Expect(rows, "broken", null, DfVmTestOutcome.Failed, GoTestReasons.BuildFailed, DfVmTestResultKind.Package,
                "# example.com/dfvmfixture/broken [example.com/dfvmfixture/broken.test]", "cannot use Answer()", "FAIL\texample.com/dfvmfixture/broken [build failed]");
            Expect(rows, "setupfail", null, DfVmTestOutcome.Failed, GoTestReasons.SetupFailed, DfVmTestResultKind.Package, "no required module provides package");
            Expect(rows, "usesdep", null, DfVmTestOutcome.Failed, GoTestReasons.BuildFailed, DfVmTestResultKind.Package, "dep/dep.go:3:11: undefined: y");
            Expect(rows, "alsousesdep", null, DfVmTestOutcome.Failed, GoTestReasons.BuildFailed, DfVmTestResultKind.Package, "dep/dep.go:3:11: undefined: y");
            Expect(rows, "bench", "TestSum", DfVmTestOutcome.Passed, null, DfVmTestResultKind.Test);
            Expect(rows, "bench", null, DfVmTestOutcome.Passed, null, DfVmTestResultKind.Package);
            DfVmTestResult cachedTest = Expect(rows, "rootonly", "TestRequiresRoot", DfVmTestOutcome.Passed, GoTestReasons.Cached, DfVmTestResultKind.Test, "running as root");
            Assert.True(cachedTest.Cached);
            Assert.Null(cachedTest.StartTime);
            Assert.True(Expect(rows, "rootonly", null, DfVmTestOutcome.Passed, GoTestReasons.Cached, DfVmTestResultKind.Package).Cached);
            Expect(rows, "nofiles", null, DfVmTestOutcome.Skipped, null, DfVmTestResultKind.Package, "[no test files]");
            Assert.DoesNotContain(rows, r => r.Package.Contains("nosuchpackage") || r.Package.EndsWith("/dep"));
        }

        [Fact]
        public void Go120BuildFailureTakesItsCompilerTextFromStderr()
        {
            List<DfVmTestResult> rows = ParseRecorded("go1.20-build-text", 1);
            Assert.Equal(3, rows.Count);
            Expect(rows, "broken", null, DfVmTestOutcome.Failed, GoTestReasons.BuildFailed, DfVmTestResultKind.Package,
                "# example.com/dfvmfixture/broken [example.com/dfvmfixture/broken.test]", "cannot use Answer()", "[build failed]");
            Expect(rows, "rootonly", "TestRequiresRoot", DfVmTestOutcome.Failed, null, DfVmTestResultKind.Test, "running as euid 1000");
        }

        [Fact]
        public void Go120BuildFailureWaitsForStderrThatLagsBehindStdout()
        {
            var parser = new GoTestJsonParser("Fixture");
            var rows = new List<DfVmTestResult>();
            foreach (string line in File.ReadLines(Recorded("go1.20-build-text.jsonl")))
            {
                rows.AddRange(parser.Feed(line));
            }

            Assert.DoesNotContain(rows, r => r.Package == Pkg("broken")); // its compiler text has not arrived
            foreach (string line in File.ReadLines(Recorded("go1.20-build-text.stderr")))
            {
                rows.AddRange(parser.FeedStderr(line));
            }

            IReadOnlyList<DfVmTestResult> released = parser.FeedStderr("# example.com/dfvmfixture/other");
            DfVmTestResult broken = Assert.Single(released);
            Assert.Contains("cannot use Answer()", broken.Output);
            Assert.Empty(parser.Complete(1));
        }

        [Fact]
        public void Go125AttrEventsUnknownActionsAndFieldsAreIgnored()
        {
            List<DfVmTestResult> rows;
            using (var reader = new StreamReader(Recorded("go1.25-attr.jsonl")))
            {
                rows = GoTestJson.Parse(reader, "Fixture").ToList();
            }

            Assert.Equal(4, rows.Count);
            DfVmTestResult sub = Expect(rows, "attrs", "TestAttr/sub", DfVmTestOutcome.Failed, null, DfVmTestResultKind.Test);
            Assert.Equal("    attr_test.go:12: two\n    lines\n    --- FAIL: TestAttr/sub (0.00s)", sub.Output);
            DfVmTestResult parent = Expect(rows, "attrs", "TestAttr", DfVmTestOutcome.Failed, null, DfVmTestResultKind.Test);
            Assert.Equal("--- FAIL: TestAttr (0.00s)", parent.Output);
            Expect(rows, "attrs", "TestPlain", DfVmTestOutcome.Passed, null, DfVmTestResultKind.Test);
            Expect(rows, "attrs", null, DfVmTestOutcome.Failed, null, DfVmTestResultKind.Package);
            Assert.Equal(new[] { "TestAttr/sub", "TestAttr", "TestPlain", null }, rows.Select(r => r.Test));
        }

        [Fact]
        public void WholeFileParseMatchesLineByLineFeeding()
        {
            List<DfVmTestResult> fed = ParseRecorded("go1.19-cached", null);
            List<DfVmTestResult> parsed;
            using (var reader = new StreamReader(Recorded("go1.19-cached.jsonl")))
            {
                parsed = GoTestJson.Parse(reader, "Fixture").ToList();
            }

            // without stderr the build failures keep their FAIL line but lose the compiler text
            Assert.Equal(fed.Select(r => r.Package + "|" + r.Test + "|" + r.Result + "|" + r.Reason).OrderBy(s => s),
                         parsed.Select(r => r.Package + "|" + r.Test + "|" + r.Result + "|" + r.Reason).OrderBy(s => s));
        }

        private static System.TimeSpan TimeSpan(double seconds) => System.TimeSpan.FromSeconds(seconds);
    }
}
