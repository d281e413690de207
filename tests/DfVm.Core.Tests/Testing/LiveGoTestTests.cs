using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using DfVm;
using DfVm.Core.Testing;
using Xunit;
using static DfVm.Core.Tests.Testing.GoFixture;

namespace DfVm.Core.Tests.Testing
{
    /// <summary>Runs the real go on a copy of the fixture and parses its output as it streams.</summary>
    public sealed class LiveGoTestTests : IDisposable
    {
        private readonly string _work = Path.Combine(Path.GetTempPath(), "dfvm-gotest-" + Guid.NewGuid().ToString("N"));

        public void Dispose()
        {
            if (Directory.Exists(_work))
            {
                Directory.Delete(_work, recursive: true);
            }
        }

        [Fact]
        public void RealGoTestJsonGivesTheSameRowsAsTheRecording()
        {
            string module = Path.Combine(_work, "module");
            CopyFixture(Root, module);
            var parser = new GoTestJsonParser("Fixture");
            var rows = new List<DfVmTestResult>();
            var gate = new object();
            var psi = new ProcessStartInfo("go", "test -json ./...")
            {
                WorkingDirectory = module,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            psi.Environment["HOME"] = Directory.CreateDirectory(Path.Combine(_work, "home")).FullName;
            psi.Environment["GOCACHE"] = Directory.CreateDirectory(Path.Combine(_work, "gocache")).FullName;
            psi.Environment["GOPATH"] = Directory.CreateDirectory(Path.Combine(_work, "gopath")).FullName;
            psi.Environment["GOFLAGS"] = "-count=1";
            psi.Environment["GOPROXY"] = "off";
            psi.Environment["GOTOOLCHAIN"] = "local";
            psi.Environment["GOTELEMETRY"] = "off";

            using (var go = new Process { StartInfo = psi })
            {
                go.OutputDataReceived += (s, e) =>
                {
                    if (e.Data != null)
                    {
                        lock (gate)
                        {
                            rows.AddRange(parser.Feed(e.Data));
                        }
                    }
                };
                go.ErrorDataReceived += (s, e) =>
                {
                    if (e.Data != null)
                    {
                        lock (gate)
                        {
                            rows.AddRange(parser.FeedStderr(e.Data));
                        }
                    }
                };
                go.Start();
                go.BeginOutputReadLine();
                go.BeginErrorReadLine();
                if (!go.WaitForExit(180000))
                {
                    go.Kill(entireProcessTree: true);
                    Assert.Fail("go test did not finish in 3 minutes");
                }

                go.WaitForExit(); // drains both redirected streams
                Assert.Equal(2, go.ExitCode);
                lock (gate)
                {
                    rows.AddRange(parser.Complete(go.ExitCode));
                }
            }

            AssertFixtureRun(rows, rootonlyPasses: EffectiveUid() == 0);
            Assert.True(Row(rows, "panics", "TestPanics").Duration > TimeSpan.Zero);
        }

        private static void CopyFixture(string from, string to)
        {
            Directory.CreateDirectory(to);
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

        private static int EffectiveUid()
        {
            string uid = File.ReadLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            return int.Parse(uid.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries)[2]);
        }
    }
}
