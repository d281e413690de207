using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using DfVm.Core.Testing;
using Xunit;

namespace DfVm.Core.Tests.Testing
{
    /// <summary>
    /// leakcheck.sh's run lock, run by dash (the strict guest's /bin/sh) on this host with its real mount and ps:
    /// the binaries of one run take turns even when go test starts them at once, and a wrapper that is killed
    /// while it holds the lock does not block the binaries after it.
    /// </summary>
    public sealed class LeakLockTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "dfvm-leaklock-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        private readonly string _marker = LeakCheck.NewMarker();
        private readonly string _script;
        private readonly string _log;

        public LeakLockTests()
        {
            Directory.CreateDirectory(_dir);
            _script = Path.Combine(_dir, "leakcheck.sh");
            File.WriteAllText(_script, LeakCheck.Script());
            _log = Path.Combine(_dir, "log");
        }

        public void Dispose()
        {
            foreach (var f in Directory.GetFiles(LeakCheck.GuestFolder, ".dfvm-leak-" + _marker + ".*")) File.Delete(f);
            Directory.Delete(_dir, true);
        }

        /// <summary>A fake test binary: logs its start and end (ns clock) and its pid, sleeping between.</summary>
        private string Binary(string name, string seconds)
        {
            string path = Path.Combine(_dir, name);
            File.WriteAllText(path, "#!/bin/sh\necho \"start $(date +%s%N) " + name + " $$\" >>" + _log + "\nsleep " + seconds + "\necho \"end $(date +%s%N) " + name + "\" >>" + _log + "\n");
            Process.Start("chmod", "755 " + path).WaitForExit();
            return path;
        }

        /// <summary>A running wrapper with its output drained as it comes: its records hold the whole process
        /// list, more than a pipe holds on a busy host, and an undrained pipe would block it.</summary>
        private sealed class Wrapper
        {
            public Process Process;
            public System.Threading.Tasks.Task<string> Output;
            public System.Threading.Tasks.Task<string> Errors;
        }

        private Wrapper Wrap(string binary)
        {
            var psi = new ProcessStartInfo("dash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add(_script);
            psi.ArgumentList.Add(binary);
            psi.Environment["DFVM_LEAK"] = _marker;
            psi.Environment["DFVM_LEAK_MOUNT"] = "";
            psi.Environment["DFVM_LEAK_CLEAN"] = "0";
            var p = Process.Start(psi);
            return new Wrapper { Process = p, Output = p.StandardOutput.ReadToEndAsync(), Errors = p.StandardError.ReadToEndAsync() };
        }

        private List<string[]> Log() => File.Exists(_log)
            ? File.ReadAllLines(_log).Select(l => l.Split(' ')).ToList()
            : new List<string[]>();

        [Fact]
        public async System.Threading.Tasks.Task BinariesStartedAtOnceRunOneAfterTheOther()
        {
            var wrappers = Enumerable.Range(1, 4).Select(i => Wrap(Binary("b" + i, "0.4"))).ToList();
            foreach (var w in wrappers)
            {
                Assert.True(w.Process.WaitForExit(60000), "a wrapper ended");
                Assert.Equal(0, w.Process.ExitCode);
            }

            var events = Log().OrderBy(e => long.Parse(e[1], CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(8, events.Count);
            for (int i = 0; i < events.Count; i += 2)
            {
                // each start is followed by the same binary's end: no two ran at once
                Assert.Equal("start", events[i][0]);
                Assert.Equal("end", events[i + 1][0]);
                Assert.Equal(events[i][2], events[i + 1][2]);
            }

            foreach (string text in await System.Threading.Tasks.Task.WhenAll(wrappers.Select(w => w.Output)))
            {
                Assert.Contains("\u001eDFVM-LEAK " + _marker + " before\n", text);
                Assert.Contains("\u001eDFVM-LEAK " + _marker + " after\n", text);
                Assert.EndsWith("\u001eDFVM-LEAK " + _marker + " end\n", text);
            }

            // turns, not one file removed per binary: four turns taken
            Assert.Equal(4, Directory.GetFiles(LeakCheck.GuestFolder, ".dfvm-leak-" + _marker + ".lock.*").Length);
        }

        [Fact]
        public async System.Threading.Tasks.Task ATurnLeftEmptyIsPassedOverAfterAWhile()
        {
            // a holder killed between creating its turn file and writing its pid leaves the file empty
            File.WriteAllText(Path.Combine(LeakCheck.GuestFolder, ".dfvm-leak-" + _marker + ".lock.0"), "");
            var watch = Stopwatch.StartNew();
            var next = Wrap(Binary("after-empty", "0"));
            Assert.True(next.Process.WaitForExit(60000), "the wrapper was not blocked for good by an empty turn");
            Assert.Equal(0, next.Process.ExitCode);
            Assert.EndsWith("\u001eDFVM-LEAK " + _marker + " end\n", await next.Output);
            Assert.True(watch.Elapsed > TimeSpan.FromSeconds(3), "an empty turn is waited on first (its holder may be writing it): " + watch.Elapsed);
            Assert.True(File.Exists(Path.Combine(LeakCheck.GuestFolder, ".dfvm-leak-" + _marker + ".lock.1")), "the next turn was taken");
        }

        [Fact]
        public async System.Threading.Tasks.Task AWrapperKilledWhileHoldingTheLockDoesNotBlockTheNext()
        {
            var holder = Wrap(Binary("long", "60"));
            string orphan = null;
            try
            {
                var watch = Stopwatch.StartNew();
                while (watch.Elapsed < TimeSpan.FromSeconds(30) && (orphan = Log().Where(e => e[0] == "start").Select(e => e[3]).FirstOrDefault()) == null)
                {
                    System.Threading.Thread.Sleep(50);
                }

                Assert.NotNull(orphan);
                holder.Process.Kill(); // the wrapper (its dash) ends; the binary lives on, reparented
                Assert.True(holder.Process.WaitForExit(10000));

                var next = Wrap(Binary("next", "0"));
                Assert.True(next.Process.WaitForExit(30000), "the next binary was not blocked by the dead holder's lock");
                Assert.Equal(0, next.Process.ExitCode);
                Assert.EndsWith("\u001eDFVM-LEAK " + _marker + " end\n", await next.Output);
                Assert.Contains(Log(), e => e[0] == "end" && e[2] == "next");
            }
            finally
            {
                if (!holder.Process.HasExited) holder.Process.Kill();
                if (orphan != null)
                {
                    try { Process.GetProcessById(int.Parse(orphan, CultureInfo.InvariantCulture)).Kill(true); }
                    catch (ArgumentException) { /* already gone */ }
                }
            }
        }
    }
}
