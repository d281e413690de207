using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.GoExec;
using DfVm.Core.Ssh;
using DfVm.Core.Testing;
using Xunit;

namespace DfVm.Core.Tests.GoExec
{
    /// <summary>
    /// The pieces of -BuildOn Host and -Watch that need no VM: the -exec insertion, the guest
    /// target from uname, the affected packages from a real `go list` of a real module, and the
    /// project watcher on real file writes.
    /// </summary>
    public sealed class HostBuildPartsTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "dfvm-hostbuild-" + Guid.NewGuid().ToString("N").Substring(0, 8));

        public HostBuildPartsTests()
        {
            Directory.CreateDirectory(_dir);
        }

        public void Dispose() => Directory.Delete(_dir, true);

        [Theory]
        [InlineData("GOFLAGS=-count=1 GOPROXY=off go test -json ./...", "", "test|-json|./...", "GOFLAGS=-count=1|GOPROXY=off", false)]
        [InlineData("cd slowmod && go test -json ./...", "slowmod", "test|-json|./...", "", false)]
        [InlineData("go test -run '^TestA$' -count 1 -v \"./a\" -args -flag 'x y' 2>&1", "", "test|-run|^TestA$|-count|1|-v|./a|-args|-flag|x y", "", true)]
        [InlineData("go test", "", "test", "", false)]
        public void APlainGoTestLineIsReadIntoArguments(string command, string directory, string args, string env, bool merge)
        {
            var parsed = HostGoCommand.TryParse(SuiteCommandLine.Guard("/p/root") + command, "/p/root", out string reason);
            Assert.True(parsed != null, reason);
            Assert.Equal(directory, parsed.Directory);
            Assert.Equal(args, string.Join("|", parsed.Arguments));
            Assert.Equal(env, string.Join("|", parsed.Environment.Select(p => p.Key + "=" + p.Value)));
            Assert.Equal(merge, parsed.StderrToStdout);
        }

        [Theory]
        [InlineData("id -un > /tmp/x; go test -json ./...")]
        [InlineData("go test -json ./... && touch /tmp/x")]
        [InlineData("go test -json ./... | tee /tmp/x")]
        [InlineData("go test -json $(id -un) ./...")]
        [InlineData("go test -json `id -un` ./...")]
        [InlineData("go test -json \"$HOME\" ./...")]
        [InlineData("go test -json ./...\nid")]
        [InlineData("go test -json ./* ")]
        [InlineData("go test -exec /tmp/evil ./...")]
        [InlineData("go test -toolexec=/tmp/evil ./...")]
        [InlineData("go test -ldflags=-extld=/tmp/evil ./...")]
        [InlineData("go test -coverprofile=/home/u/.profile ./...")]
        [InlineData("go test -o /tmp/x ./...")]
        [InlineData("GOFLAGS=-toolexec=/tmp/evil go test ./...")]
        [InlineData("CC=/tmp/evil go test ./...")]
        [InlineData("PATH=/tmp go test ./...")]
        [InlineData("cd ../.. && go test ./...")]
        [InlineData("cd /etc && go test ./...")]
        [InlineData("go test ./... > /tmp/x")]
        [InlineData("make test")]
        [InlineData("go vet ./... ")]
        [InlineData("sh -c 'go test ./...'")]
        public void AnythingMoreThanAPlainGoTestLineIsNotRunHere(string command)
        {
            Assert.Null(HostGoCommand.TryParse(SuiteCommandLine.Guard("/p/root") + command, "/p/root", out string reason));
            Assert.False(string.IsNullOrEmpty(reason));
        }

        [Fact]
        public void TheNarrowedSuiteLineOfRunPackageAndTimeoutStaysPlain()
        {
            var request = new GuestTestRequest
            {
                Suite = "Unit",
                Suites = new Dictionary<string, DfVmSuite> { ["Unit"] = new DfVmSuite { Name = "Unit", Command = "GOFLAGS=-count=1 go test -json ./..." } },
                GuestProjectPath = "/p/my root",
                Run = "^TestA$|B'x",
                Packages = new[] { "./a/...", "./b" },
                Timeout = TimeSpan.FromSeconds(30),
            };
            string text = SuiteCommandLine.Build(request.Suites["Unit"], request);
            var parsed = HostGoCommand.TryParse(text, "/p/my root", out string reason);
            Assert.True(parsed != null, reason);
            Assert.Equal("test|-run|^TestA$|B'x|-timeout|30s|-json|./a/...|./b", string.Join("|", parsed.Arguments));
        }

        [Fact]
        public async Task TheHostShellRefusesSuiteTextAndRunsNothing()
        {
            string marker = Path.Combine(_dir, "ran-on-host");
            var shell = new HostGoShell("/bin/true", "/m/dfvm-go-exec", _dir, null);
            var e = await Assert.ThrowsAsync<GoExecException>(() => shell.RunAsync(
                SuiteCommandLine.Guard(_dir) + "touch " + SuiteCommandLine.Quote(marker) + "; go test ./...", null, null, null, CancellationToken.None));
            Assert.Equal(ErrorIds.HostBuildRefused, e.ErrorId);
            Assert.False(File.Exists(marker));
        }

        [Fact]
        public async Task TheHostShellCutsAHugeLineFromGoAndRunsGoWithTheExecWrapper()
        {
            // a stand-in for go: says its arguments, then a 100 MB line without a newline until its end, then a short one
            string fakeGo = Path.Combine(_dir, "go");
            File.WriteAllText(fakeGo, "#!/bin/sh\nprintf 'args:%s\\n' \"$*\"\nhead -c 100000000 /dev/zero | tr '\\000' a\necho\necho '{\"Action\":\"pass\"}'\necho err >&2\n");
            File.SetUnixFileMode(fakeGo, (UnixFileMode)0x1ED);
            var shell = new HostGoShell(fakeGo, "/m/dfvm-go-exec", _dir, null);
            var lines = new List<string>();
            var outcome = await shell.RunAsync(SuiteCommandLine.Guard(_dir) + "go test -json ./... 2>&1", null, l => lines.Add(l), l => lines.Add("stderr:" + l), CancellationToken.None);
            Assert.Equal(0, outcome.ExitCode);
            Assert.Equal(1, outcome.LinesCut);
            // 2>&1: the stderr line comes as a stdout line, read beside the stdout pipe (in CI once before the last
            // stdout line), so only the stdout lines' own order is fixed; a List's Add from both readers at once
            // lost a line before the shell handed lines on one at a time
            Assert.Equal(4, lines.Count);
            Assert.Single(lines, "err");
            var fromStdout = lines.Where(l => l != "err").ToList();
            Assert.Equal("args:test -exec /m/dfvm-go-exec -json ./...", fromStdout[0]);
            Assert.True(fromStdout[1].Length <= OutputLimits.MaxLineChars + OutputLimits.LineCutMarker.Length, $"a line of {fromStdout[1].Length} characters");
            Assert.EndsWith(OutputLimits.LineCutMarker, fromStdout[1]);
            Assert.Equal("{\"Action\":\"pass\"}", fromStdout[2]);
        }

        [Fact]
        public void TheProcessTreeFromPsIsTheOneFromProc()
        {
            var psi = new ProcessStartInfo("/bin/sh", "-c \"sleep 30 & sleep 30 & (sleep 30 & wait) & wait\"") { UseShellExecute = false };
            using (var p = Process.Start(psi))
            {
                try
                {
                    List<int> fromProc = null;
                    for (int i = 0; i < 100 && (fromProc == null || fromProc.Count < 5); i++)
                    {
                        Thread.Sleep(50);
                        fromProc = HostGoShell.Tree(p.Id);
                    }

                    Assert.Equal(5, fromProc.Count); // sh, two sleeps, the subshell and its sleep
                    List<int> fromPs = HostGoShell.Tree(p.Id, usePs: true);

                    Assert.Equal(fromProc.OrderBy(x => x), fromPs.OrderBy(x => x));
                    Assert.Equal(p.Id, fromPs[0]);
                }
                finally
                {
                    foreach (int pid in HostGoShell.Tree(p.Id))
                    {
                        DfVm.Core.Util.Native.Kill(pid, 9);
                    }

                    p.WaitForExit();
                }
            }
        }

        [Theory]
        [InlineData("Linux; rm -rf /", "x86_64")]
        [InlineData("DragonFly", "x86_64 $(id)")]
        [InlineData("\u0000\u00ff", "")]
        [InlineData("dragonfly", "pdp11")]
        [InlineData("Plan10", "amd64")]
        public void AGarbageUnameIsRefused(string system, string machine)
        {
            var e = Assert.Throws<GoExecException>(() => HostGoTarget.FromUname(system, machine));
            Assert.Equal(ErrorIds.GoExecGuestTargetInvalid, e.ErrorId);
        }

        [Fact]
        public void AFloodOfPackageListingIsNotKeptPastItsBound()
        {
            var graph = new AffectedPackages("/p");
            string line = "example.com/m/x\t/p/x\t" + new string('i', 1 << 20);
            int kept = 0;
            while (graph.Add(line))
            {
                kept++;
            }

            Assert.True(graph.Truncated);
            Assert.True(kept <= AffectedPackages.MaxListChars / line.Length);
            Assert.False(graph.Add("example.com/m/y\t/p/y\t"));
        }

        [Fact]
        public async Task TheWatcherLeavesOutWhatTheSyncLeavesOut()
        {
            Write(".gitignore", "cover.out\n/build/\n");
            Write("sub/.gitignore", "*.tmp\n");
            Write("p/x.go", "package p\n");
            Directory.CreateDirectory(Path.Combine(_dir, "p", "deep"));
            using (var watcher = new ProjectWatcher(_dir, new[] { Path.Combine(_dir, "vm") }, TimeSpan.FromMilliseconds(200), new[] { "*.log" }))
            using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                var next = watcher.NextBatchAsync(cts.Token);
                Write("cover.out", "mode: set\n");
                Write("p/cover.out", "mode: set\n");
                Write("build/out.bin", "x");
                Write("sub/a.tmp", "x");
                Write("run.log", "x");
                Write("p/deep/run.log", "x");
                await Task.Delay(600);
                Assert.False(next.IsCompleted, "only excluded files changed: " + (next.IsCompleted ? string.Join(", ", next.Result) : ""));
                Write("sub/a.go", "package sub\n");
                Assert.Equal(new[] { "sub/a.go" }, (await next).ToArray());

                // a rule that goes away is read again: cover.out counts from then on
                Write(".gitignore", "/build/\n");
                var batch = await watcher.NextBatchAsync(cts.Token);
                Assert.Contains(".gitignore", batch);
                Write("cover.out", "mode: count\n");
                Assert.Contains("cover.out", await watcher.NextBatchAsync(cts.Token));
            }
        }

        [Theory]
        [InlineData("DragonFly", "x86_64", "dragonfly", "amd64")]
        [InlineData("Linux", "x86_64", "linux", "amd64")]
        [InlineData("FreeBSD", "arm64", "freebsd", "arm64")]
        [InlineData("Linux", "i686", "linux", "386")]
        public void UnameBecomesGoosGoarch(string system, string machine, string goos, string goarch)
        {
            var t = HostGoTarget.FromUname(system + "\n", machine);
            Assert.Equal(goos, t.Item1);
            Assert.Equal(goarch, t.Item2);
        }

        [Fact]
        public void FindsGoOnlyOnThePathGiven()
        {
            Assert.Null(HostGoTarget.FindGo(_dir));
            File.WriteAllText(Path.Combine(_dir, "go"), "#!/bin/sh\n");
            Assert.Equal(Path.Combine(_dir, "go"), HostGoTarget.FindGo("/nonexistent" + Path.PathSeparator + _dir));
        }

        [Fact]
        public void AffectedPackagesAreTheChangedOnesAndTheirImportersFromARealGoList()
        {
            Write("go.mod", "module example.com/m\n\ngo 1.19\n");
            Write("a/a.go", "package a\n\nfunc A() int { return 1 }\n");
            Write("a/testdata/input.txt", "x\n");
            Write("b/b.go", "package b\n\nimport \"example.com/m/a\"\n\nfunc B() int { return a.A() }\n");
            Write("c/c_test.go", "package c\n\nimport (\n\t\"testing\"\n\n\t\"example.com/m/b\"\n)\n\nfunc TestC(t *testing.T) { _ = b.B() }\n");
            Write("d/d.go", "package d\n");
            var psi = new ProcessStartInfo("/bin/sh", "-c \"" + AffectedPackages.ListCommand.Replace("\"", "\\\"") + "\"")
            {
                WorkingDirectory = _dir,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            psi.Environment["GOFLAGS"] = "-mod=mod";
            psi.Environment["GOPROXY"] = "off";
            List<string> lines;
            using (var p = Process.Start(psi))
            {
                lines = p.StandardOutput.ReadToEnd().Split('\n').ToList();
                p.WaitForExit();
                Assert.Equal(0, p.ExitCode);
            }

            var affected = new AffectedPackages(lines, _dir);
            Assert.Equal(new[] { "example.com/m/a", "example.com/m/b", "example.com/m/c" }, affected.For(new[] { "a/a.go" }));
            Assert.Equal(new[] { "example.com/m/a", "example.com/m/b", "example.com/m/c" }, affected.For(new[] { "a/testdata/input.txt" }));
            Assert.Equal(new[] { "example.com/m/c" }, affected.For(new[] { "c/c_test.go" }));
            Assert.Equal(new[] { "example.com/m/d" }, affected.For(new[] { "d/d.go", "README.md" }));
            Assert.Empty(affected.For(new[] { "README.md" }));
        }

        [Fact]
        public async Task TheWatcherHandsOutSavedFilesRelativeAndLeavesOutIgnoredFolders()
        {
            Write("p/x.go", "package p\n");
            Directory.CreateDirectory(Path.Combine(_dir, "vm", "dfly"));
            using (var watcher = new ProjectWatcher(_dir, new[] { Path.Combine(_dir, "vm") }, TimeSpan.FromMilliseconds(200)))
            using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                File.WriteAllText(Path.Combine(_dir, "vm", "dfly", "serial.log"), "noise");
                Write("p/x.go", "package p\n\nfunc X() {}\n");
                Write("p/y.go", "package p\n");
                var batch = await watcher.NextBatchAsync(cts.Token);
                Assert.Contains("p/x.go", batch);
                Assert.Contains("p/y.go", batch);
                Assert.DoesNotContain(batch, f => f.StartsWith("vm", StringComparison.Ordinal));

                var next = watcher.NextBatchAsync(cts.Token);
                await Task.Delay(300);
                Assert.False(next.IsCompleted, "no change, no batch");
                Write("q.txt", "later\n");
                Assert.Equal(new[] { "q.txt" }, (await next).ToArray());
            }
        }

        private void Write(string rel, string text)
        {
            string path = Path.Combine(_dir, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(path));
            File.WriteAllText(path, text);
        }
    }
}
