using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using DfVm;
using DfVm.Core.Testing;
using Xunit;

namespace DfVm.Core.Tests.Testing
{
    /// <summary>
    /// The guest's mount table lines (GuestMountTable), the leak record as it streams (LeakRecord), the
    /// difference (LeakCheck.Compare) and the record inside a go test -json stream (GoTestJsonParser).
    /// </summary>
    public class LeakRecordTests
    {
        private const string Marker = "0123456789abcdef";
        private const string RS = "\u001e";

        // DragonFly 6.4 `mount -p`, in the form putfsent() prints it (sbin/mount/mount.c of DragonFlyBSD/DragonFlyBSD:
        // "%s\t%s\t%s %s" then "\t%u %u\n"; printdefvals() "\t0 0" for anything not in fstab, "\t1 1" for a ufs /).
        public static readonly string[] DragonFlyMountP =
        {
            "/dev/vbd0s1d@ROOT\t/\thammer2 rw\t1 1",
            "devfs\t/dev\tdevfs rw\t0 0",
            "/dev/vbd0s1a\t/boot\tufs rw\t2 2",
            "tmpfs\t/tmp\ttmpfs rw,nosuid,nodev\t0 0",
            "/build/worker/root\t/build/worker/chroot/base\tnull ro\t0 0",
            "procfs\t/build/worker/chroot/proc\tprocfs rw\t0 0",
            "/data/with space\t/mnt/with space\tnull rw,noatime\t0 0",
        };

        // DragonFly 6.4 plain `mount` (prmount(): "%s on %s (%s", ", mounted by %s", ", %s" flags from mountctl, ")").
        public static readonly string[] DragonFlyMount =
        {
            "/dev/vbd0s1d@ROOT on / (hammer2, local)",
            "devfs on /dev (devfs, nosymfollow, local)",
            "tmpfs on /tmp/w1 (tmpfs, local, mounted by dfuser)",
            "/build/worker/root on /build/worker/chroot/base (null, read-only, local)",
        };

        // the Linux test guest's `mount` (util-linux), recorded from the live guest
        public static readonly string[] LinuxMount =
        {
            "devtmpfs on /dev type devtmpfs (rw,relatime,size=227436k,nr_inodes=56859,mode=755,inode64)",
            "/dev/vda on / type ext4 (rw,relatime)",
            "proc on /proc type proc (rw,relatime)",
            "tmpfs on /tmp type tmpfs (rw,nosuid,nodev,relatime,inode64)",
        };

        [Fact]
        public void ReadsDragonFlysMountP()
        {
            var m = DragonFlyMountP.Select(GuestMountTable.ParseLine).ToList();
            Assert.All(m, Assert.NotNull);
            Assert.Equal(("hammer2", "/dev/vbd0s1d@ROOT", "/", "rw"), (m[0].Type, m[0].Source, m[0].MountPoint, m[0].Options));
            Assert.Equal(("null", "/build/worker/root", "/build/worker/chroot/base", "ro"), (m[4].Type, m[4].Source, m[4].MountPoint, m[4].Options));
            Assert.Equal(("null", "/data/with space", "/mnt/with space"), (m[6].Type, m[6].Source, m[6].MountPoint));
        }

        [Fact]
        public void ReadsDragonFlysPlainMountAndLinuxs()
        {
            var d = DragonFlyMount.Select(GuestMountTable.ParseLine).ToList();
            Assert.Equal(("hammer2", "/dev/vbd0s1d@ROOT", "/", "local"), (d[0].Type, d[0].Source, d[0].MountPoint, d[0].Options));
            Assert.Equal(("tmpfs", "/tmp/w1", "local, mounted by dfuser"), (d[2].Type, d[2].MountPoint, d[2].Options));
            var l = LinuxMount.Select(GuestMountTable.ParseLine).ToList();
            Assert.Equal(("ext4", "/dev/vda", "/"), (l[1].Type, l[1].Source, l[1].MountPoint));
            Assert.Equal(("tmpfs", "tmpfs", "/tmp"), (l[3].Type, l[3].Source, l[3].MountPoint));
        }

        [Theory]
        [InlineData("")]
        [InlineData("garbage")]
        [InlineData("a\tb\tc d\t0 0")]               // mount point not absolute
        [InlineData("a\t/b\t\t0 0")]                  // no type
        [InlineData("a\t/b\ttmpfs rw\tx y")]          // not freq/passno
        [InlineData("a\t/b\ttmpfs rw\t0 0\textra\tmore")]
        [InlineData("x on relative type tmpfs (rw)")]
        [InlineData("x on /y type tmpfs")]
        public void RefusesLinesOfNoKnownForm(string line) => Assert.Null(GuestMountTable.ParseLine(line));

        private static IEnumerable<string> Record(string[] mountsBefore, string[] psBefore, string[] mountsAfter, string[] psAfter, string clean = null, string marker = Marker)
        {
            yield return RS + "DFVM-LEAK " + marker + " before\n";
            foreach (string l in mountsBefore) yield return l + "\n";
            yield return "@\n";
            foreach (string l in psBefore) yield return l + "\n";
            yield return RS + "DFVM-LEAK " + marker + " after\n";
            foreach (string l in mountsAfter) yield return l + "\n";
            yield return "@\n";
            foreach (string l in psAfter) yield return l + "\n";
            if (clean != null) yield return RS + "DFVM-LEAK " + marker + " clean " + clean + "\n";
            yield return RS + "DFVM-LEAK " + marker + " end\n";
        }

        private static readonly string[] PsBefore =
        {
            "    1     0 S init",
            "    2     0 S [kthreadd]",
            "  180     1 S syslogd -O /var/log/messages",
            "  210     1 S sshd: /usr/sbin/sshd [listener] 0 of 50-200 startups",
            "  269   210 S sshd: root@notty",
            "  272   269 S /bin/sh -c go test",
            "  300   272 S go test -json ./...",
            "  400   300 S /bin/sh /var/tmp/.dfvm-leakcheck-x.sh /tmp/go-build1/b001/p.test",
            "  500     1 S sleep 600",
        };

        private static readonly string[] PsAfter =
        {
            "    1     0 S init",
            "    2     0 S [kthreadd]",
            "    7     2 I [kworker/0:0-events]",            // a new kernel thread: not the test's
            "  180     1 S syslogd -O /var/log/messages",
            "  210     1 S sshd: /usr/sbin/sshd [listener] 0 of 50-200 startups",
            "  269   210 S sshd: root@notty",
            "  272   269 S /bin/sh -c go test",
            "  300   272 S go test -json ./...",
            "  301   300 R /usr/lib/go/pkg/tool/linux_amd64/compile -o /tmp/x.a",  // go compiling the next package
            "  400   300 S /bin/sh /var/tmp/.dfvm-leakcheck-x.sh /tmp/go-build1/b001/p.test",
            "  401   400 S /bin/sh /var/tmp/.dfvm-leakcheck-x.sh /tmp/go-build1/b001/p.test",
            "  402   401 R ps -ax -ww -o pid= -o ppid= -o state= -o command=",  // the record's own ps
            "  410     1 S sleep 313",                          // left by the test
            "  411   410 S sleep 1",                            // its child: left too
            "  412     1 Z [defunct]",                          // a zombie: not running
            "  420   210 S sshd: root@notty",                   // another session meanwhile
        };

        [Fact]
        public void TheDifferenceNamesWhatTheBinaryLeftAndWhatItUndid()
        {
            var r = new LeakRecord(Marker);
            Assert.True(r.Starts(RS + "DFVM-LEAK " + Marker + " before\n"));
            Assert.False(r.Starts(RS + "DFVM-LEAK ffffffffffffffff before\n"));
            var after = DragonFlyMountP.Where(l => !l.Contains("procfs")).Concat(new[] { "tmpfs\t/tmp/dfvm-leak-fixture-mount\ttmpfs rw\t0 0" }).ToArray();
            foreach (string chunk in Record(DragonFlyMountP, PsBefore, after, PsAfter.Where(l => !l.Contains("sleep 600")).ToArray()))
            {
                r.Take(chunk);
            }

            Assert.Null(r.Error);
            Assert.True(r.Complete);
            DfVmLeak leak = LeakCheck.Compare(r.Before, r.After, r.CleanFailures);
            Assert.True(leak.Leaked);
            Assert.Equal("/tmp/dfvm-leak-fixture-mount", Assert.Single(leak.LeftMounts).MountPoint);
            Assert.Equal("procfs", Assert.Single(leak.RemovedMounts).Type);
            Assert.Equal(new[] { 410, 411 }, leak.LeftProcesses.Select(p => p.ProcessId).ToArray());
            Assert.Equal("sleep 313", leak.LeftProcesses[0].Command);
            Assert.Equal(500, Assert.Single(leak.EndedProcesses).ProcessId);
            Assert.Null(leak.CleanFailures);
        }

        [Fact]
        public void ReadsDragonFlysPsColumns()
        {
            // bin/ps/print.c of DragonFlyBSD/DragonFlyBSD: pid and ppid right-aligned in 5 (keyword.c PIDLEN), the state
            // left-aligned in 6 ("%-*s"; a sleeping process gets its cpu after the letter), then the command unpadded.
            string[] before = { "    1     0 ILs    /sbin/init --", "  700     1 Ss0    /usr/sbin/sshd" };
            string[] after = before.Concat(new[] { "  812     1 S0     sleep 313", "  813     1 Z      <defunct>", "  814     1 R1" }).ToArray();
            var r = new LeakRecord(Marker);
            foreach (string chunk in Record(DragonFlyMountP, before, DragonFlyMountP, after))
            {
                r.Take(chunk);
            }

            Assert.Null(r.Error);
            DfVmProcess sleep = r.After.Processes.Single(p => p.ProcessId == 812);
            Assert.Equal("S0", sleep.State);
            Assert.Equal("sleep 313", sleep.Command);
            Assert.Equal("", r.After.Processes.Single(p => p.ProcessId == 814).Command);
            DfVmLeak leak = LeakCheck.Compare(r.Before, r.After, null);
            Assert.Equal(new[] { 812, 814 }, leak.LeftProcesses.Select(p => p.ProcessId).ToArray()); // not the zombie
        }

        [Fact]
        public void AProcessKilledJustBeforeTheAfterRecordIsEndedWhileStillAZombie()
        {
            // the test SIGKILLs an orphan; init has not reaped it yet when ps runs (seen on the TCG test guest)
            string[] before = { "    1     0 ILs    /sbin/init --", "  700     1 S      sleep 600" };
            string[] after = { "    1     0 ILs    /sbin/init --", "  700     1 Z      <defunct>" };
            var r = new LeakRecord(Marker);
            foreach (string chunk in Record(DragonFlyMountP, before, DragonFlyMountP, after))
            {
                r.Take(chunk);
            }

            DfVmLeak leak = LeakCheck.Compare(r.Before, r.After, null);
            Assert.Equal("sleep 600", Assert.Single(leak.EndedProcesses).Command);
            Assert.Empty(leak.LeftProcesses);
        }

        [Fact]
        public void NothingChangedIsNoLeak_AndACleanLineIsRead()
        {
            var r = new LeakRecord(Marker);
            foreach (string chunk in Record(LinuxMount, PsBefore, LinuxMount, PsBefore, "0"))
            {
                r.Take(chunk);
            }

            DfVmLeak leak = LeakCheck.Compare(r.Before, r.After, r.CleanFailures);
            Assert.False(leak.Leaked);
            Assert.Equal(0, leak.CleanFailures);
        }

        [Fact]
        public void ALongLineInPiecesIsJoinedAndItsCommandCut()
        {
            var r = new LeakRecord(Marker);
            var chunks = Record(LinuxMount, PsBefore, LinuxMount, PsBefore).ToList();
            int at = chunks.IndexOf("  500     1 S sleep 600\n");
            chunks[at] = "  500     1 S sleep 600 " + new string('x', 3000);
            chunks.Insert(at + 1, new string('y', 3000) + "\n");
            foreach (string c in chunks) r.Take(c);
            Assert.Null(r.Error);
            Assert.Equal(LeakRecord.MaxCommandChars, r.Before.Processes.Single(p => p.ProcessId == 500).Command.Length);
        }

        [Theory]
        [InlineData("not a ps line")]
        [InlineData("12 x S cmd")]
        [InlineData("99999999999 1 S cmd")]
        public void AMalformedLineRefusesTheRecord(string bad)
        {
            var r = new LeakRecord(Marker);
            foreach (string c in Record(LinuxMount, PsBefore.Concat(new[] { bad }).ToArray(), LinuxMount, PsBefore)) r.Take(c);
            Assert.NotNull(r.Error);
            Assert.False(r.Complete);
        }

        [Fact]
        public void MarkersOutOfOrderOrTooManyLinesRefuseTheRecord()
        {
            var r = new LeakRecord(Marker);
            r.Take(RS + "DFVM-LEAK " + Marker + " after\n");
            r.Take(RS + "DFVM-LEAK " + Marker + " end\n");
            Assert.NotNull(r.Error);

            var flood = new LeakRecord(Marker);
            flood.Take(RS + "DFVM-LEAK " + Marker + " before\n");
            for (int i = 0; i <= LeakRecord.MaxLines; i++) flood.Take("tmpfs on /t" + i + " type tmpfs (rw)\n");
            Assert.Contains("more than", flood.Error);

            var huge = new LeakRecord(Marker);
            huge.Take(RS + "DFVM-LEAK " + Marker + " before\n");
            huge.Take(new string('a', LeakRecord.MaxLineChars + 1));
            Assert.Contains("longer than", huge.Error);
        }

        private static string Output(string package, string text) =>
            "{\"Action\":\"output\",\"Package\":\"" + package + "\",\"Output\":" + System.Text.Json.JsonSerializer.Serialize(text) + "}";

        [Fact]
        public void InAGoTestStreamTheRecordLeavesTheOutputAndGoesOnThePackageRow()
        {
            var parser = new GoTestJsonParser("S") { LeakCheck = new LeakCheckOptions { Marker = Marker, FailOnLeak = true } };
            var rows = new List<DfVmTestResult>();
            rows.AddRange(parser.Feed("{\"Action\":\"run\",\"Package\":\"p\",\"Test\":\"TestA\"}"));
            rows.AddRange(parser.Feed("{\"Action\":\"pass\",\"Package\":\"p\",\"Test\":\"TestA\"}"));
            rows.AddRange(parser.Feed(Output("p", "PASS\n")));
            foreach (string c in Record(LinuxMount, PsBefore, LinuxMount.Concat(new[] { "tmpfs on /tmp/x type tmpfs (rw)" }).ToArray(), PsBefore))
            {
                rows.AddRange(parser.Feed(Output("p", c)));
            }

            rows.AddRange(parser.Feed(Output("p", "ok  \tp\t0.1s\n")));
            rows.AddRange(parser.Feed("{\"Action\":\"pass\",\"Package\":\"p\",\"Elapsed\":0.1}"));
            rows.AddRange(parser.Complete(0));
            DfVmTestResult pkg = rows.Single(r => r.Kind == DfVmTestResultKind.Package);
            Assert.True(pkg.Leaked);
            Assert.Equal("/tmp/x", Assert.Single(pkg.LeftMounts).MountPoint);
            Assert.Empty(pkg.LeftProcesses);
            Assert.True(pkg.Failed);
            Assert.Equal(DfVmTestResult.LeakedReason, pkg.Reason);
            Assert.DoesNotContain("DFVM-LEAK", pkg.Output);
            Assert.DoesNotContain("@", pkg.Output);
            Assert.Empty(parser.InvalidLeakRecords);
            Assert.False(rows.Single(r => r.Test == "TestA").Leaked);
        }

        [Fact]
        public void WithoutTheCheckTheMarkerLinesAreOutput_AndACutRecordIsNamed()
        {
            var plain = new GoTestJsonParser("S");
            plain.Feed(Output("p", RS + "DFVM-LEAK " + Marker + " before\n"));
            DfVmTestResult row = plain.Feed("{\"Action\":\"pass\",\"Package\":\"p\"}").Single();
            Assert.Contains("DFVM-LEAK", row.Output);
            Assert.Null(row.Leak);

            var cut = new GoTestJsonParser("S") { LeakCheck = new LeakCheckOptions { Marker = Marker } };
            cut.Feed(Output("p", RS + "DFVM-LEAK " + Marker + " before\n"));
            cut.Feed(Output("p", "tmpfs on /tmp type tmpfs (rw)\n"));
            DfVmTestResult cutRow = cut.Feed("{\"Action\":\"pass\",\"Package\":\"p\"}").Single();
            Assert.Null(cutRow.Leak);
            Assert.Equal("p", Assert.Single(cut.InvalidLeakRecords).Key);
        }

        [Fact]
        public void ACachedResultsReplayedRecordOfAnotherRunLeavesTheOutput_AndReportsNothing()
        {
            // go test -json replays a cached package's saved output: the record of the run that saved it, another marker
            var parser = new GoTestJsonParser("S") { LeakCheck = new LeakCheckOptions { Marker = Marker, FailOnLeak = true } };
            var rows = new List<DfVmTestResult>();
            rows.AddRange(parser.Feed(Output("p", "PASS\n")));
            foreach (string c in Record(LinuxMount, PsBefore, LinuxMount.Concat(new[] { "tmpfs on /tmp/x type tmpfs (rw)" }).ToArray(), PsBefore, marker: "fedcba9876543210"))
            {
                rows.AddRange(parser.Feed(Output("p", c)));
            }

            rows.AddRange(parser.Feed(Output("p", "ok  \tp\t(cached)\n")));
            rows.AddRange(parser.Feed("{\"Action\":\"pass\",\"Package\":\"p\",\"Elapsed\":0}"));
            DfVmTestResult pkg = rows.Single(r => r.Kind == DfVmTestResultKind.Package);
            Assert.True(pkg.Cached);
            Assert.Null(pkg.Leak);
            Assert.False(pkg.Leaked);
            Assert.True(pkg.Passed);
            Assert.DoesNotContain("DFVM-LEAK", pkg.Output);
            Assert.DoesNotContain("tmpfs", pkg.Output);
            Assert.Contains("(cached)", pkg.Output);
            Assert.Empty(parser.InvalidLeakRecords);

            // a replayed record that breaks the rules stops being taken out at that line: what follows is output again
            var broken = new GoTestJsonParser("S") { LeakCheck = new LeakCheckOptions { Marker = Marker } };
            broken.Feed(Output("p", RS + "DFVM-LEAK fedcba9876543210 before\n"));
            broken.Feed(Output("p", "not a mount line\n"));
            broken.Feed(Output("p", "the test's own line\n"));
            DfVmTestResult row = broken.Feed("{\"Action\":\"pass\",\"Package\":\"p\"}").Single();
            Assert.Contains("the test's own line", row.Output);
            Assert.Null(row.Leak);
            Assert.Equal("fedcba9876543210", LeakRecord.MarkerOf(RS + "DFVM-LEAK fedcba9876543210 before\n"));
            Assert.Null(LeakRecord.MarkerOf(RS + "DFVM-LEAK fedcba9876543210 after\n"));
            Assert.Null(LeakRecord.MarkerOf(RS + "DFVM-LEAK FEDCBA before\n"));
        }

        [Fact]
        public void TheGuestCleanUpUnmountsOnlyNewMountsDeepestFirst_AndEndsOnlyOrphans()
        {
            // leakcheck.sh's dfvm_leak_clean under dash (the strict guest's /bin/sh), with umount, kill and sleep as
            // shell functions that write down what would have been done.
            string dir = Path.Combine(Path.GetTempPath(), "dfvm-leakclean-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            Directory.CreateDirectory(dir);
            try
            {
                File.WriteAllText(Path.Combine(dir, "leakcheck.sh"), LeakCheck.Script());
                string before = string.Join("\n", DragonFlyMountP) + "\n@\n" + string.Join("\n", PsBefore);
                string after = string.Join("\n", DragonFlyMountP.Select(l => l.StartsWith("tmpfs\t/tmp\t", StringComparison.Ordinal) ? "tmpfs\t/tmp\ttmpfs ro,nosuid,nodev\t0 0" : l)
                    .Concat(new[] { "tmpfs\t/tmp/w\ttmpfs rw\t0 0", "/tmp/w/a\t/tmp/w/b/c\tnull rw\t0 0" }))
                    + "\n@\n" + string.Join("\n", PsAfter);
                File.WriteAllText(Path.Combine(dir, "before"), before);
                File.WriteAllText(Path.Combine(dir, "after"), after);
                string script = "cd '" + dir + "' && DFVM_LEAK_LIB=1 && . ./leakcheck.sh && "
                    + "umount() { echo \"umount $*\" >>log; }; kill() { echo \"kill $*\" >>log; }; sleep() { :; }; "
                    + "n=$(dfvm_leak_clean \"$(cat before)\" \"$(cat after)\") && echo \"failed $n\" >>log && cat log";
                var psi = new System.Diagnostics.ProcessStartInfo("dash", new[] { "-c", script }) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                using (var p = System.Diagnostics.Process.Start(psi))
                {
                    string output = p.StandardOutput.ReadToEnd();
                    string error = p.StandardError.ReadToEnd();
                    Assert.True(p.WaitForExit(30000));
                    Assert.True(p.ExitCode == 0, error);
                    string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                    // not /tmp, which the binary remounted read-only; not the procfs it removed; the deepest first
                    Assert.Equal(new[] { "umount /tmp/w/b/c", "umount /tmp/w" }, lines.Where(l => l.StartsWith("umount ", StringComparison.Ordinal)).ToArray());
                    // the left sleep and its child (awk's order of the pids is its own), TERM then KILL; no zombie, no process of another session
                    string[] kills = lines.Where(l => l.StartsWith("kill ", StringComparison.Ordinal)).ToArray();
                    Assert.Equal(2, kills.Length);
                    Assert.Equal(new[] { "410", "411" }, kills[0].Split(' ').Skip(2).OrderBy(x => x, StringComparer.Ordinal).ToArray());
                    Assert.StartsWith("kill -TERM ", kills[0]);
                    Assert.Equal(kills[0].Replace("-TERM", "-KILL"), kills[1]);
                    Assert.Equal("failed 0", lines.Last());
                }
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }

        [Fact]
        public void AddExecGoesRightAfterGoTest_AndNotWhereThereIsOne()
        {
            Assert.Equal("GOFLAGS=-count=1 go test -exec '/bin/sh /var/tmp/x.sh' -json ./...", SuiteCommandLine.AddExec("GOFLAGS=-count=1 go test -json ./...", "/bin/sh /var/tmp/x.sh"));
            Assert.Null(SuiteCommandLine.AddExec("go test -exec mine -json ./...", "x"));
            Assert.Null(SuiteCommandLine.AddExec("echo hi", "x"));
            string wrapped = LeakCheck.WrapGuestCommand("go test -json ./...", new LeakCheckOptions { Marker = Marker, MountFlag = "" });
            Assert.StartsWith("DFVM_LEAK=", wrapped);
            Assert.EndsWith("DFVM_LEAK=" + Marker + " DFVM_LEAK_MOUNT='' DFVM_LEAK_CLEAN=0 && export DFVM_LEAK DFVM_LEAK_MOUNT DFVM_LEAK_CLEAN && go test -exec '/bin/sh " + LeakCheck.ScriptPath() + "' -json ./...", wrapped);
            Assert.Matches(@"^/var/tmp/\.dfvm-leakcheck-[0-9a-f]{16}\.sh$", LeakCheck.ScriptPath());
            Assert.Equal(LeakCheck.ScriptPath(), LeakCheck.ScriptPath()); // the same -exec text from run to run: go test's cache key
            Assert.DoesNotContain(Marker, LeakCheck.ScriptPath());
        }
    }
}
