using System;
using System.IO;
using System.Linq;
using DfVm.Core.Guest;
using DfVm.Core.Tests.Images;
using Xunit;

namespace DfVm.Core.Tests.Guest
{
    /// <summary>
    /// The self-check's host side without a guest: what comes back is untrusted (only known names, each
    /// once, bounded and cleaned text, limits applied here), and the shipped script answers every check
    /// of the fixed list. The guest runs are in tests/Pester/SelfCheck.Tests.ps1.
    /// </summary>
    public sealed class GuestSelfCheckTests : IDisposable
    {
        private static readonly DateTime Now = new DateTime(2026, 12, 6, 2, 30, 0, DateTimeKind.Utc);
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "dfvm-selfcheck-test-" + Guid.NewGuid().ToString("N"));

        public GuestSelfCheckTests() => Directory.CreateDirectory(_dir);

        public void Dispose() => Directory.Delete(_dir, true);

        private static long Epoch(DateTime t) => (long)(t - new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc)).TotalSeconds;

        private static GuestSelfCheck.Reader AllOk(DateTime guestClock)
        {
            var r = new GuestSelfCheck.Reader();
            foreach (var c in GuestSelfCheck.Checks)
            {
                string text = c.Name switch
                {
                    "clock" => Epoch(guestClock).ToString(),
                    "go" => "go version go1.21.4 dragonfly/amd64 (/usr/local/bin/go)",
                    "disk-free" => "20971520 /root/proj",
                    "uname" => "DragonFly x86_64 6.4-RELEASE",
                    _ => "fine",
                };
                r.Feed($"DFVM-CHECK {c.Name} ok {text}", Now);
            }
            return r;
        }

        [Fact]
        public void Every_check_answered_ok_within_the_limits_passes()
        {
            var rows = AllOk(Now).Rows("vm1", 0, "");
            Assert.Equal(GuestSelfCheck.Checks.Select(c => c.Name), rows.Select(r => r.Name));
            Assert.All(rows, r => Assert.True(r.Passed, r.Name + ": " + r.Found));
            Assert.All(rows, r => Assert.Equal("vm1", r.VmName));
            Assert.All(rows, r => Assert.False(string.IsNullOrEmpty(r.Fix)));
            Assert.Equal("20.0 GiB free in the file system of /root/proj", rows.Single(r => r.Name == "disk-free").Found);
            Assert.Equal("DragonFly x86_64 6.4-RELEASE (GOOS=dragonfly GOARCH=amd64)", rows.Single(r => r.Name == "uname").Found);
            Assert.Contains("in step", rows.Single(r => r.Name == "clock").Found);
        }

        [Theory]
        [InlineData(-7, false)]
        [InlineData(-6, true)] // a line arriving up to a second late is exact: -6 reads as 5 s behind
        [InlineData(-1, true)]
        [InlineData(5, true)]
        [InlineData(6, false)]
        [InlineData(3600, false)]
        public void The_clock_may_be_off_by_5_seconds(int guestAheadSeconds, bool passes)
        {
            var row = AllOk(Now.AddSeconds(guestAheadSeconds)).Rows("vm1", 0, "").Single(r => r.Name == "clock");
            Assert.True(passes == row.Passed, row.Found);
            if (!passes) Assert.Contains("(more than 5 s)", row.Found);
        }

        [Theory]
        [InlineData("go version go1.18.10 dragonfly/amd64", false)]
        [InlineData("go version go1.19 linux/amd64", true)]
        [InlineData("go version go1.19.8 linux/amd64", true)]
        [InlineData("go version go1.21rc2 dragonfly/amd64", true)]
        [InlineData("go version go2.0 dragonfly/amd64", true)]
        [InlineData("go version devel +abc dragonfly/amd64", false)]
        [InlineData("gcc version 12", false)]
        public void Go_must_be_at_least_the_minimum(string text, bool passes)
        {
            var fresh = new GuestSelfCheck.Reader();
            fresh.Feed("DFVM-CHECK go ok " + text, Now);
            var row = fresh.Rows("vm1", 0, "").Single(x => x.Name == "go");
            Assert.True(passes == row.Passed, row.Found);
        }

        [Fact]
        public void The_verdict_comes_first_so_that_a_long_answer_cannot_push_it_out()
        {
            var r = new GuestSelfCheck.Reader();
            r.Feed("DFVM-CHECK go ok go version go1.18 " + new string('x', 400), Now);
            var row = r.Rows("vm1", 0, "").Single(x => x.Name == "go");
            Assert.False(row.Passed);
            Assert.StartsWith("older than Go 1.19: go version go1.18 xxx", row.Found);
        }

        [Theory]
        [InlineData("1048576 /root", true)]
        [InlineData("1048575 /root", false)]
        [InlineData("0 /", false)]
        [InlineData("-5 /", false)]
        [InlineData("99999999999999999999 /", false)] // too many digits to be a size: not parsed, failed
        [InlineData("lots /", false)]
        public void Free_space_must_be_at_least_1_GiB(string text, bool passes)
        {
            var r = new GuestSelfCheck.Reader();
            r.Feed("DFVM-CHECK disk-free ok " + text, Now);
            var row = r.Rows("vm1", 0, "").Single(x => x.Name == "disk-free");
            Assert.True(passes == row.Passed, row.Found);
        }

        [Fact]
        public void Unknown_names_later_duplicates_and_other_lines_are_ignored()
        {
            var r = new GuestSelfCheck.Reader();
            r.Feed("DFVM-CHECK pgrep fail pgrep -P: not found", Now);
            r.Feed("DFVM-CHECK pgrep ok overwritten", Now);           // a second answer: the first one stands
            r.Feed("DFVM-CHECK rm-rf-host ok whatever", Now);         // not a check DfVm knows
            r.Feed("DFVM-CHECK ../../etc ok x", Now);
            r.Feed("dfvm-check doas ok lower case prefix", Now);
            r.Feed("  DFVM-CHECK doas ok leading blanks", Now);
            r.Feed("DFVM-CHECK gzip maybe something", Now);           // a status that is neither ok nor fail
            var rows = r.Rows("vm1", 0, "");
            Assert.Equal(GuestSelfCheck.Checks.Count, rows.Count);
            Assert.DoesNotContain(rows, x => x.Name == "rm-rf-host" || x.Name == "../../etc");
            var pgrep = rows.Single(x => x.Name == "pgrep");
            Assert.False(pgrep.Passed);
            Assert.Equal("pgrep -P: not found", pgrep.Found);
            var doas = rows.Single(x => x.Name == "doas");
            Assert.False(doas.Passed);
            Assert.StartsWith("no answer: the check script ended before it (exit 0", doas.Found);
            var gzip = rows.Single(x => x.Name == "gzip");
            Assert.False(gzip.Passed);
            Assert.StartsWith("unreadable answer:", gzip.Found);
        }

        [Fact]
        public void Found_is_one_line_without_control_characters_and_at_most_300_characters()
        {
            var r = new GuestSelfCheck.Reader();
            r.Feed("DFVM-CHECK tar-create ok \u001b]0;owned\u0007\u001b[2J bsdtar\u009b31m \u202egnp.exe " + new string('x', 5000), Now);
            r.Feed("DFVM-CHECK od ok " + new string('y', 1_000_000), Now);
            var rows = r.Rows("vm1", 3, "line one\n\u001b[31mlast line\n");
            var tar = rows.Single(x => x.Name == "tar-create");
            Assert.True(tar.Passed);
            Assert.DoesNotContain(tar.Found, c => c < 0x20 || (c >= 0x7f && c < 0xa0) || c == '\u202e');
            Assert.True(tar.Found.Length <= GuestSelfCheck.MaxFoundChars);
            Assert.Contains("bsdtar", tar.Found);
            Assert.True(rows.Single(x => x.Name == "od").Found.Length <= GuestSelfCheck.MaxFoundChars);
            // A check never answered names the exit and the last stderr line, cleaned too.
            var pgrep = rows.Single(x => x.Name == "pgrep");
            Assert.Equal("no answer: the check script ended before it (exit 3: [31mlast line)", pgrep.Found);
        }

        [Fact]
        public void At_most_200_lines_are_read()
        {
            var r = new GuestSelfCheck.Reader();
            for (int i = 0; i < GuestSelfCheck.MaxLines; i++) r.Feed("noise " + i, Now);
            r.Feed("DFVM-CHECK gzip ok gzip -dc", Now);
            Assert.False(r.Rows("vm1", 0, "").Single(x => x.Name == "gzip").Passed);
        }

        [Fact]
        public void A_uname_that_names_no_Go_target_fails()
        {
            var r = new GuestSelfCheck.Reader();
            r.Feed("DFVM-CHECK uname ok Plan9 mips 4", Now);
            Assert.False(r.Rows("vm1", 0, "").Single(x => x.Name == "uname").Passed);
        }

        [Fact]
        public void The_failure_names_each_failed_check_with_its_fix()
        {
            var fresh = new GuestSelfCheck.Reader();
            fresh.Feed("DFVM-CHECK pgrep fail pgrep -P: exit 127", Now);
            var rows = fresh.Rows("dfly", 1, "");
            var e = GuestSelfCheck.Failure("dfly", rows, "The VM is running.");
            Assert.Equal(ErrorIds.GuestSelfCheckFailed, e.ErrorId);
            Assert.Equal(DfVmErrorKind.InvalidOperation, e.Kind);
            Assert.StartsWith($"VM 'dfly' failed {GuestSelfCheck.Checks.Count} of {GuestSelfCheck.Checks.Count} guest self-check(s): clock, ", e.Message);
            Assert.Contains("\n  pgrep: pgrep -P: exit 127. Fix: pgrep is in DragonFly's base system", e.Message);
            Assert.EndsWith("\nThe VM is running.", e.Message);
        }

        [Theory]
        [InlineData("relative/path")]
        [InlineData("/two\nlines")]
        public void A_project_path_that_is_not_one_absolute_line_is_refused(string path)
        {
            var e = Assert.Throws<DfVmException>(() => GuestSelfCheck.CommandFor(path));
            Assert.Equal(ErrorIds.InvalidGuestPath, e.ErrorId);
        }

        [Fact]
        public void The_project_path_is_single_quoted()
        {
            Assert.Equal("/bin/sh -s -- '/root/it'\\''s'", GuestSelfCheck.CommandFor("/root/it's"));
        }

        [Fact]
        public void The_shipped_script_passes_shellcheck()
        {
            string path = Path.Combine(_dir, GuestSelfCheck.ScriptName);
            File.WriteAllText(path, GuestSelfCheck.ScriptBody());
            var result = ImageFixture.Run("shellcheck", new[] { "-s", "sh", path });
            Assert.True(result.exit == 0, result.stdout + result.stderr);
        }

        /// <summary>
        /// The script run for real by this machine's /bin/sh (dash here): every check of the fixed list
        /// gets exactly one answer, and the prefix's archive extracts with a real bsdtar. The host is
        /// no DragonFly, so some answers are failures (no lsvfs): what matters is that none is missing.
        /// </summary>
        [Fact]
        public void The_script_answers_every_check_once_and_only_checks_of_the_list()
        {
            string path = Path.Combine(_dir, "run.sh");
            File.WriteAllText(path, GuestSelfCheck.Script());
            var result = ImageFixture.Run("sh", new[] { path, _dir }, _dir, new System.Collections.Generic.Dictionary<string, string> { ["TMPDIR"] = _dir });
            Assert.True(result.exit == 0, result.stderr);
            var names = result.stdout.Split('\n').Where(l => l.StartsWith("DFVM-CHECK ", StringComparison.Ordinal)).Select(l => l.Split(' ')[1]).ToList();
            Assert.Equal(GuestSelfCheck.Checks.Select(c => c.Name), names);
            Assert.All(result.stdout.Split('\n').Where(l => l.Length > 0), l => Assert.StartsWith("DFVM-CHECK ", l));
            Assert.Contains("DFVM-CHECK tar-extract ok", result.stdout); // bsdtar on this machine reads DfVm's pax archive
            Assert.DoesNotContain(Directory.GetFileSystemEntries(_dir), p => Path.GetFileName(p).StartsWith("dfvm-selfcheck.", StringComparison.Ordinal));
        }

        [Fact]
        public void The_test_archive_holds_a_pax_path_record_for_the_long_name()
        {
            byte[] a = GuestSelfCheck.TestArchive();
            Assert.True(GuestSelfCheck.PaxName.Length > 100);
            Assert.Equal(0, a.Length % 512);
            string text = System.Text.Encoding.ASCII.GetString(a);
            Assert.Contains(" path=dfvm-pax/" + GuestSelfCheck.PaxName + "\n", text);
            Assert.Contains("dfvm pax check\n", text);
        }
    }
}
