using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using DfVm;
using DfVm.Core.Testing;
using Xunit;

namespace DfVm.Core.Tests.Testing
{
    /// <summary>Paths of the Go fixture module and its recorded streams, and helpers to feed them.</summary>
    internal static class GoFixture
    {
        public const string Module = "example.com/dfvmfixture";

        public static string Root { get; } = FindRoot();

        public static string Recorded(string file) => Path.Combine(Root, "recorded", file);

        public static string Pkg(string name) => Module + "/" + name;

        /// <summary>Feeds a recorded stderr file first (go writes compiler errors before the FAIL line), then stdout.</summary>
        public static List<DfVmTestResult> ParseRecorded(string stem, int? exitCode, string suite = "Fixture")
        {
            var parser = new GoTestJsonParser(suite);
            var rows = new List<DfVmTestResult>();
            string stderr = Recorded(stem + ".stderr");
            if (File.Exists(stderr))
            {
                foreach (string line in File.ReadLines(stderr))
                {
                    rows.AddRange(parser.FeedStderr(line));
                }
            }

            foreach (string line in File.ReadLines(Recorded(stem + ".jsonl")))
            {
                rows.AddRange(parser.Feed(line));
            }

            rows.AddRange(parser.Complete(exitCode));
            return rows;
        }

        public static DfVmTestResult Row(IEnumerable<DfVmTestResult> rows, string package, string test)
        {
            var found = rows.Where(r => r.Package == Pkg(package) && r.Test == test).ToList();
            Assert.True(found.Count == 1, $"expected one row for {package} {test ?? "(package)"}, found {found.Count}: {string.Join("; ", rows)}");
            return found[0];
        }

        /// <summary>The rows `go test -json ./...` gives on the fixture; rootonly depends on who runs it.</summary>
        public static void AssertFixtureRun(IReadOnlyCollection<DfVmTestResult> rows, bool rootonlyPasses)
        {
            Expect(rows, "setupfail", null, DfVmTestOutcome.Failed, GoTestReasons.SetupFailed, DfVmTestResultKind.Package, "no required module provides package", "[setup failed]");
            Expect(rows, "broken", null, DfVmTestOutcome.Failed, GoTestReasons.BuildFailed, DfVmTestResultKind.Package, "cannot use Answer()", "[build failed]");

            Expect(rows, "exits", "TestBeforeExit", DfVmTestOutcome.Passed, null, DfVmTestResultKind.Test);
            Expect(rows, "exits", "TestExits", DfVmTestOutcome.Failed, GoTestReasons.ExitedWithoutEnding, DfVmTestResultKind.Test, "about to exit with code 3");
            Expect(rows, "exits", null, DfVmTestOutcome.Failed, GoTestReasons.ExitedWithoutEnding, DfVmTestResultKind.Package);

            Expect(rows, "bench", "TestSum", DfVmTestOutcome.Passed, null, DfVmTestResultKind.Test);
            Expect(rows, "bench", null, DfVmTestOutcome.Passed, null, DfVmTestResultKind.Package);

            Expect(rows, "panics", "TestPanics", DfVmTestOutcome.Failed, GoTestReasons.Panic, DfVmTestResultKind.Test, "panic: assignment to entry in nil map", "panics_test.go:27");
            Expect(rows, "panics", "TestStillRunning", DfVmTestOutcome.Failed, GoTestReasons.Panic, DfVmTestResultKind.Test, "still running before the panic", "panic: assignment to entry in nil map");
            Expect(rows, "panics", null, DfVmTestOutcome.Failed, GoTestReasons.Panic, DfVmTestResultKind.Package);

            Expect(rows, "pass", "TestAdd", DfVmTestOutcome.Passed, null, DfVmTestResultKind.Test, "adding two numbers");
            Expect(rows, "pass", "TestSkipped", DfVmTestOutcome.Skipped, null, DfVmTestResultKind.Test, "not on this platform");
            Expect(rows, "pass", "TestNested", DfVmTestOutcome.Failed, null, DfVmTestResultKind.Test, "--- FAIL: TestNested");
            Expect(rows, "pass", "TestNested/child_ok", DfVmTestOutcome.Passed, null, DfVmTestResultKind.Test);
            Expect(rows, "pass", "TestNested/child_ok/leaf", DfVmTestOutcome.Passed, null, DfVmTestResultKind.Test, "leaf fine");
            Expect(rows, "pass", "TestNested/child_bad", DfVmTestOutcome.Failed, null, DfVmTestResultKind.Test);
            Expect(rows, "pass", "TestNested/child_bad/leaf_ok", DfVmTestOutcome.Passed, null, DfVmTestResultKind.Test);
            Expect(rows, "pass", "TestNested/child_bad/leaf_bad", DfVmTestOutcome.Failed, null, DfVmTestResultKind.Test, "grandchild failed: got 1 want 2");
            DfVmTestResult a = Expect(rows, "pass", "TestParallelA", DfVmTestOutcome.Passed, null, DfVmTestResultKind.Test, "parallel A step 0", "parallel A step 1", "parallel A step 2");
            DfVmTestResult b = Expect(rows, "pass", "TestParallelB", DfVmTestOutcome.Passed, null, DfVmTestResultKind.Test, "parallel B step 0", "parallel B step 1", "parallel B step 2");
            Assert.DoesNotContain("parallel B", a.Output);
            Assert.DoesNotContain("parallel A", b.Output);
            Assert.DoesNotContain("=== ", a.Output + b.Output);
            Expect(rows, "pass", null, DfVmTestOutcome.Failed, null, DfVmTestResultKind.Package);

            if (rootonlyPasses)
            {
                Expect(rows, "rootonly", "TestRequiresRoot", DfVmTestOutcome.Passed, null, DfVmTestResultKind.Test, "running as root");
                Expect(rows, "rootonly", null, DfVmTestOutcome.Passed, null, DfVmTestResultKind.Package);
            }
            else
            {
                Expect(rows, "rootonly", "TestRequiresRoot", DfVmTestOutcome.Failed, null, DfVmTestResultKind.Test, "this test must run as root (euid 0)");
                Expect(rows, "rootonly", null, DfVmTestOutcome.Failed, null, DfVmTestResultKind.Package);
            }

            Assert.Equal(23, rows.Count);
            Assert.Equal(7, rows.Count(r => r.Kind == DfVmTestResultKind.Package));
            Assert.All(rows, r => Assert.Equal("Fixture", r.Suite));

            // children end before their parents
            var list = rows.ToList();
            Assert.True(list.IndexOf(Row(rows, "pass", "TestNested/child_bad/leaf_bad")) < list.IndexOf(Row(rows, "pass", "TestNested/child_bad")));
            Assert.True(list.IndexOf(Row(rows, "pass", "TestNested/child_bad")) < list.IndexOf(Row(rows, "pass", "TestNested")));
            Assert.True(list.IndexOf(Row(rows, "pass", "TestNested")) < list.IndexOf(Row(rows, "pass", null)));
        }

        public static DfVmTestResult Expect(
            IEnumerable<DfVmTestResult> rows, string package, string test, DfVmTestOutcome result, string reason, DfVmTestResultKind kind, params string[] fragments)
        {
            DfVmTestResult row = Row(rows, package, test);
            string label = row.ToString();
            Assert.True(result == row.Result, $"{label}: result {row.Result}, expected {result}\n{row.Output}");
            Assert.True(reason == row.Reason, $"{label}: reason '{row.Reason}', expected '{reason}'");
            Assert.Equal(kind, row.Kind);
            Assert.Equal(result == DfVmTestOutcome.Passed, row.Passed);
            Assert.Equal(result == DfVmTestOutcome.Failed, row.Failed);
            Assert.Equal(result == DfVmTestOutcome.Skipped, row.Skipped);
            foreach (string fragment in fragments)
            {
                Assert.True(row.Output.Contains(fragment), $"{label}: output lacks '{fragment}':\n{row.Output}");
            }

            return row;
        }

        private static string FindRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "tests", "fixtures", "gotest");
                if (File.Exists(Path.Combine(candidate, "go.mod")))
                {
                    return candidate;
                }
            }

            throw new DirectoryNotFoundException("tests/fixtures/gotest not found above " + AppContext.BaseDirectory);
        }
    }
}
