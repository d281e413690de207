using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.GoExec;
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
        [InlineData("GOFLAGS=-count=1 go test -json ./...", "GOFLAGS=-count=1 go test -exec '/m/dfvm-go-exec' -json ./...")]
        [InlineData("cd slowmod && go test -json ./...", "cd slowmod && go test -exec '/m/dfvm-go-exec' -json ./...")]
        [InlineData("go test", "go test -exec '/m/dfvm-go-exec'")]
        public void AddExecGoesRightAfterTheFirstGoTest(string command, string expected)
        {
            Assert.True(HostGoShell.HasGoTest(command));
            Assert.Equal(expected, HostGoShell.AddExec(command, "/m/dfvm-go-exec"));
        }

        [Theory]
        [InlineData("make test")]
        [InlineData("gotest ./...")]
        [InlineData("go vet ./...")]
        public void ACommandWithoutGoTestIsNotRedirected(string command) => Assert.False(HostGoShell.HasGoTest(command));

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
