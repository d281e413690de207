using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm;
using DfVm.Core.Ssh;
using DfVm.Core.Testing;
using Xunit;
using static DfVm.Core.Tests.Testing.GoFixture;

namespace DfVm.Core.Tests.Testing
{
    /// <summary>GuestTestRunner against a real sh and the real go on a copy of the fixture (no VM needed).</summary>
    public sealed class GuestTestRunnerTests : IDisposable
    {
        private readonly string _work = Path.Combine(Path.GetTempPath(), "dfvm-runner-" + Guid.NewGuid().ToString("N"));
        private readonly string _project;
        private readonly GuestTestLocalShell _shell;

        public GuestTestRunnerTests()
        {
            _project = Path.Combine(_work, "proj");
            CopyFixture(Root, _project);
            _shell = new GuestTestLocalShell(Directory.CreateDirectory(Path.Combine(_work, "home")).FullName);
        }

        public void Dispose()
        {
            if (Directory.Exists(_work))
            {
                Directory.Delete(_work, recursive: true); // GOPROXY=off: no read-only module cache was made
            }
        }

        [Fact]
        public async Task RunsTheFixtureSuiteAndStreamsEveryRowWithProgress()
        {
            var rows = new List<DfVmTestResult>();
            var reports = new List<TestRunProgress>();
            var request = Request("Fixture", "GOFLAGS=-count=1 go test -json ./...");
            await new GuestTestRunner().RunAsync(_shell, request, rows.Add, new SyncProgress(reports.Add), CancellationToken.None);

            AssertFixtureRun(rows, rootonlyPasses: Environment.UserName == "root");
            TestRunProgress last = reports.Last();
            Assert.Equal(7, last.PackagesDone);
            Assert.Equal(rows.Count(r => r.Kind != DfVmTestResultKind.Package && r.Passed), last.Passed);
            Assert.Equal(rows.Count(r => r.Kind != DfVmTestResultKind.Package && r.Failed), last.Failed);
            Assert.Equal(1, last.Skipped);
            Assert.Same(rows.Last(), last.Last);
            Assert.Equal("Fixture", last.Part);
        }

        [Fact]
        public async Task RowsArriveWhileTheCommandStillRuns()
        {
            // a stand-in for go: one test ends, then the command waits (up to 60 s) until the test's row has reached
            // the caller, which says so with a file. Rows that came only at the command's end would make it wait the
            // 60 s out and report the package failed. No clock: a loaded machine cannot make it fail.
            string seen = Path.Combine(_work, "testa-seen");
            var request = Request("Slow",
                "printf '%s\\n' '{\"Action\":\"run\",\"Package\":\"p\",\"Test\":\"TestA\"}' '{\"Action\":\"pass\",\"Package\":\"p\",\"Test\":\"TestA\",\"Elapsed\":0.5}'; " +
                "i=0; while [ ! -e '" + seen + "' ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; " +
                "if [ -e '" + seen + "' ]; then echo '{\"Action\":\"pass\",\"Package\":\"p\",\"Elapsed\":2.5}'; else echo '{\"Action\":\"fail\",\"Package\":\"p\",\"Elapsed\":60}'; fi");
            var rows = new List<DfVmTestResult>();
            await new GuestTestRunner().RunAsync(_shell, request, r =>
            {
                rows.Add(r);
                if (r.Test == "TestA") File.WriteAllText(seen, "");
            }, null, CancellationToken.None);
            Assert.Equal(new[] { "TestA", "p" }, rows.Select(r => r.Test ?? r.Package));
            Assert.Equal(DfVmTestOutcome.Passed, rows[1].Result);
        }

        [Fact]
        public async Task RunAndPackageNarrowTheSuiteAndAFailingExitIsData()
        {
            var rows = new List<DfVmTestResult>();
            var request = Request("Fixture", "go test -json -count=1 ./...");
            request.Run = "^TestNested$/child_bad";
            request.Packages = new[] { "./pass" };
            await new GuestTestRunner().RunAsync(_shell, request, rows.Add, null, CancellationToken.None);
            Assert.Equal(
                new[] { "TestNested/child_bad/leaf_ok", "TestNested/child_bad/leaf_bad", "TestNested/child_bad", "TestNested", null },
                rows.Select(r => r.Test));
            Assert.All(rows, r => Assert.Equal(Pkg("pass"), r.Package));
            Assert.Contains("-run '^TestNested$/child_bad' -json -count=1 ./pass", _shell.LastCommand);
        }

        [Fact]
        public async Task IncludeRunsEachPartInOrderWithItsOwnSuiteName()
        {
            var suites = new Dictionary<string, DfVmSuite>(StringComparer.OrdinalIgnoreCase)
            {
                ["Roots"] = new DfVmSuite { Name = "Roots", Command = "go test -json -count=1 ./rootonly" },
                ["Benches"] = new DfVmSuite { Name = "Benches", Command = "go test -json -count=1 -run TestSum ./bench" },
                ["Both"] = new DfVmSuite { Name = "Both", Include = new[] { "Benches", "Roots" } },
            };
            var rows = new List<DfVmTestResult>();
            var request = new GuestTestRequest { Suite = "Both", Suites = suites, GuestProjectPath = _project };
            await new GuestTestRunner().RunAsync(_shell, request, rows.Add, null, CancellationToken.None);
            Assert.Equal(new[] { "Benches|bench|TestSum", "Benches|bench|", "Roots|rootonly|TestRequiresRoot", "Roots|rootonly|" },
                rows.Select(r => r.Suite + "|" + r.Package.Substring(Module.Length + 1) + "|" + r.Test));
            Assert.Equal(2, _shell.Commands);
        }

        [Fact]
        public async Task AMissingProjectDirectoryIsGuestProjectNotFound()
        {
            var request = Request("Fixture", "go test -json ./...");
            request.GuestProjectPath = Path.Combine(_work, "not synced");
            var rows = new List<DfVmTestResult>();
            var e = await Assert.ThrowsAsync<GuestTestException>(() => new GuestTestRunner().RunAsync(_shell, request, rows.Add, null, CancellationToken.None));
            Assert.Equal(ErrorIds.GuestProjectNotFound, e.ErrorId);
            Assert.Contains("not synced", e.Message);
            Assert.Empty(rows);
        }

        [Fact]
        public async Task CancellingEndsTheCommandAndNoRowComesAfter()
        {
            string marker = Path.Combine(_work, "still-running");
            var request = Request("Slow", "echo '{\"Action\":\"pass\",\"Package\":\"p\",\"Test\":\"TestA\"}'; sleep 30; touch '" + marker + "'; echo '{\"Action\":\"pass\",\"Package\":\"p\",\"Test\":\"TestB\"}'");
            var rows = new ConcurrentQueue<DfVmTestResult>();
            using (var cts = new CancellationTokenSource())
            {
                var watch = Stopwatch.StartNew();
                Task run = new GuestTestRunner().RunAsync(_shell, request, r => { rows.Enqueue(r); cts.Cancel(); }, null, cts.Token);
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10));
            }

            Assert.Equal("TestA", Assert.Single(rows).Test);
            await Task.Delay(300);
            Assert.False(File.Exists(marker));
        }

        [Fact]
        public async Task ALostConnectionDeliversTheRowsSeenThenRethrows()
        {
            // a dropped SSH connection cannot be produced with a local shell: this shell drops after two lines
            var dropping = new DroppingShell(
                "{\"Action\":\"run\",\"Package\":\"p\",\"Test\":\"TestA\"}",
                "{\"Action\":\"pass\",\"Package\":\"p\",\"Test\":\"TestA\",\"Elapsed\":0.1}",
                "{\"Action\":\"run\",\"Package\":\"p\",\"Test\":\"TestB\"}");
            var rows = new List<DfVmTestResult>();
            await Assert.ThrowsAsync<GuestConnectionLostException>(() =>
                new GuestTestRunner().RunAsync(dropping, Request("X", "go test -json ./..."), rows.Add, null, CancellationToken.None));
            DfVmTestResult only = Assert.Single(rows);
            Assert.Equal("TestA", only.Test);
            Assert.True(only.Passed);
        }

        [Fact]
        public async Task AnUnknownSuiteFailsBeforeAnythingRuns()
        {
            var request = Request("Fixture", "go test -json ./...");
            request.Suite = "Nope";
            await Assert.ThrowsAsync<GuestTestException>(() => new GuestTestRunner().RunAsync(_shell, request, null, null, CancellationToken.None));
            Assert.Equal(0, _shell.Commands);
        }

        private GuestTestRequest Request(string suite, string command) => new GuestTestRequest
        {
            Suite = suite,
            Suites = new Dictionary<string, DfVmSuite>(StringComparer.OrdinalIgnoreCase) { [suite] = new DfVmSuite { Name = suite, Command = command } },
            GuestProjectPath = _project,
            SshUser = "root",
        };

        private static void CopyFixture(string from, string to)
        {
            foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            {
                string rel = Path.GetRelativePath(from, file);
                if (rel.StartsWith("recorded" + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !(rel.EndsWith(".go") || rel == "go.mod"))
                {
                    continue;
                }

                string dest = Path.Combine(to, rel);
                Directory.CreateDirectory(Path.GetDirectoryName(dest));
                File.Copy(file, dest);
            }
        }

        /// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
        private sealed class SyncProgress : IProgress<TestRunProgress>
        {
            private readonly Action<TestRunProgress> _report;

            public SyncProgress(Action<TestRunProgress> report) => _report = report;

            public void Report(TestRunProgress value) => _report(value);
        }

        private sealed class DroppingShell : IGuestShell
        {
            private readonly string[] _lines;

            public DroppingShell(params string[] lines) => _lines = lines;

            public Task<GuestCommandOutcome> RunAsync(string shCommand, Func<Stream, CancellationToken, Task> writeStdin, Action<string> onStdoutLine, Action<string> onStderrLine, CancellationToken cancellationToken)
            {
                foreach (string line in _lines)
                {
                    onStdoutLine(line);
                }

                throw new GuestConnectionLostException("The SSH connection to VM 'x' was lost.");
            }
        }
    }
}
