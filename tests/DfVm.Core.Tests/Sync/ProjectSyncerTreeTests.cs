#pragma warning disable CA1416 // these tests run on Linux only (real bsdtar, find, git)
using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using DfVm.Core.Sync;
using Xunit;

namespace DfVm.Core.Tests.Sync
{
    /// <summary>A tree full of awkward names synced into a real bsdtar "guest", then changed step by step.</summary>
    [Collection("Sync")]
    public sealed class ProjectSyncerTreeTests
    {
        private static readonly DateTime Old = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        private static readonly string LongA = new string('a', 200);
        private static readonly string LongB = string.Concat(Enumerable.Repeat("é", 60)) + new string('b', 60); // 180 bytes

        private static bool Excluded(string p)
        {
            foreach (string root in new[] { "vm", ".git", "build" })
            {
                if (p == root || p.StartsWith(root + "/", StringComparison.Ordinal))
                {
                    return true;
                }
            }
            return p.EndsWith(".log", StringComparison.Ordinal) && !p.EndsWith("keep.log", StringComparison.Ordinal);
        }

        private static void BuildTree(SyncSandbox box)
        {
            box.Write(".gitignore", "*.log\n!keep.log\nbuild/\n");
            box.Write("with space.txt", "space", Old);
            box.Write("it's \"quoted\".txt", "quotes");
            box.Write("$HOME and $(touch pwned).txt", "dollar");
            box.Write("back`touch pwned`tick.txt", "backtick");
            box.Write("-rf", "dash");
            box.Write("--help", "dashdash");
            box.Write("-n leading dash dir/inner.txt", "inner");
            box.Write("ünïcödé/日本語.txt", "unicode");
            box.Write("emoji 🎉.md", "emoji");
            box.Write("tab\there", "tab");
            box.Write("back\\slash", "backslash");
            box.Write("star*and?[brackets]", "glob");
            box.Write(LongA + "/" + LongB + "/file-" + LongB, "long path");
            box.Write("x.log", "excluded");
            box.Write("keep.log", "kept");
            box.Write("build/out.bin", "excluded");
            box.Write("vm/disk.qcow2", "excluded");
            box.Write(".git/HEAD", "ref: refs/heads/main");
            box.Write("sub/vm/file", "vm only excluded at the root");
            box.Write("bin/run.sh", "#!/bin/sh\necho hi\n");
            File.SetUnixFileMode(box.Src("bin/run.sh"), (UnixFileMode)Convert.ToInt32("755", 8));
            box.Write("bin/secret", "s");
            File.SetUnixFileMode(box.Src("bin/secret"), (UnixFileMode)Convert.ToInt32("600", 8));
            box.Dir("private");
            box.Write("private/p", "p");
            File.SetUnixFileMode(box.Src("private"), (UnixFileMode)Convert.ToInt32("700", 8));
            box.Dir("empty");
            box.Dir("nested/empty/deeper");
            box.Link("links/rel", "../with space.txt");
            box.Link("links/dangling", "does/not/exist");
            box.Link("links/abs", "/etc/hostname");
            box.Link("links/dirlink", "../ünïcödé");
            box.Link("links/long", string.Concat(Enumerable.Repeat("../x/", 30)) + "ü");
            box.TouchLink("links/rel", Old);
            box.TouchLink("links/dangling", Old);
            box.Write("morph", "a file first");
            box.Write("big/" + "f.bin", new byte[700_000]);
            Directory.SetLastWriteTimeUtc(box.Src("empty"), Old);
        }

        [Fact]
        public async Task SyncsAwkwardTreeExactlyThenAppliesEachKindOfChange()
        {
            using var box = new SyncSandbox("dest with 'quote' $x `y`");
            BuildTree(box);

            // 1. First sync: no manifest, so list the guest, then one tar stream.
            SyncOutcome first = await box.SyncAsync();
            box.AssertInSync(Excluded);
            Assert.Equal(2, first.SyncShellCommands);
            Assert.True(File.Exists(box.Manifest));
            Assert.False(File.Exists(Path.Combine(box.Guest, "pwned")));
            Assert.False(File.Exists(Path.Combine(box.Root, "pwned")));
            Assert.Equal(box.Source, first.Result.Source);
            Assert.Equal(21, first.Result.FilesScanned);
            Assert.True(first.Result.BytesSent > 700_000);
            Assert.Equal(new FileInfo(box.Src("links/long")).LinkTarget, new FileInfo(box.Dst("links/long")).LinkTarget);
            Assert.Equal("../ünïcödé", new FileInfo(box.Dst("links/dirlink")).LinkTarget);

            // 2. Nothing changed: no guest command at all.
            SyncOutcome same = await box.SyncAsync();
            Assert.Equal(0, same.SyncShellCommands);
            Assert.Equal(0, same.Result.FilesSent);
            Assert.Empty(same.Sent);
            Assert.Empty(same.Deleted);

            // 3. Touch one file: exactly that file goes (plus its directory's header).
            File.SetLastWriteTimeUtc(box.Src("with space.txt"), DateTime.UtcNow);
            SyncOutcome touched = await box.SyncAsync();
            Assert.Equal(1, touched.Result.FilesSent);
            Assert.Equal(new[] { "with space.txt" }, touched.Sent);
            Assert.Equal(1, touched.SyncShellCommands);
            box.AssertInSync(Excluded);

            // 4. Edits, deletions (names that look like options or hold unicode), a new dir.
            File.WriteAllText(box.Src("ünïcödé/日本語.txt"), "changed content");
            File.Delete(box.Src("-rf"));
            File.Delete(box.Src("$HOME and $(touch pwned).txt"));
            Directory.Delete(box.Src("nested"), true);
            box.Write("new dir/new file", "new");
            SyncOutcome edits = await box.SyncAsync();
            Assert.Contains("-rf", edits.Deleted);
            Assert.Contains("nested", edits.Deleted);
            Assert.DoesNotContain("nested/empty", edits.Deleted); // rm -rf of the parent covers it
            Assert.Equal(2, edits.SyncShellCommands);
            box.AssertInSync(Excluded);
            Assert.True(File.Exists(box.Dst("--help")));

            // 5. A file becomes a directory, then a file again; a dir becomes a symlink.
            File.Delete(box.Src("morph"));
            box.Write("morph/child.txt", "now a dir");
            await box.SyncAsync();
            box.AssertInSync(Excluded);
            Directory.Delete(box.Src("morph"), true);
            box.Write("morph", "a file again");
            await box.SyncAsync();
            box.AssertInSync(Excluded);
            Directory.Delete(box.Src("new dir"), true);
            box.Link("new dir", "ünïcödé");
            await box.SyncAsync();
            box.AssertInSync(Excluded);

            // 6. Mode-only and link-target-only changes.
            File.SetUnixFileMode(box.Src("bin/run.sh"), (UnixFileMode)Convert.ToInt32("644", 8));
            File.Delete(box.Src("links/rel"));
            box.Link("links/rel", "../keep.log");
            SyncOutcome meta = await box.SyncAsync();
            Assert.Contains("bin/run.sh", meta.Sent);
            Assert.Contains("links/rel", meta.Sent);
            box.AssertInSync(Excluded);

            // 7. A new ignore rule removes what it now excludes from the guest.
            File.AppendAllText(box.Src(".gitignore"), "*.md\n");
            SyncOutcome ignore = await box.SyncAsync();
            Assert.Contains("emoji 🎉.md", ignore.Deleted);
            box.AssertInSync(p => Excluded(p) || p.EndsWith(".md", StringComparison.Ordinal));

            // 8. And still nothing to do afterwards; the guest hashes agree with the host's.
            SyncOutcome again = await box.SyncAsync(o => o.Verify = true);
            Assert.Equal(1, again.SyncShellCommands);
            Assert.True(again.Result.Verified, string.Join(", ", again.Result.Drift));

            // 9. A full sync lists these names back from the guest and finds nothing to delete.
            SyncOutcome full = await box.SyncAsync(o => o.Full = true);
            Assert.Empty(full.Deleted);
            box.AssertInSync(p => Excluded(p) || p.EndsWith(".md", StringComparison.Ordinal));
        }

        [Fact]
        public async Task WhatIfReportsThePlanAndChangesNothing()
        {
            using var box = new SyncSandbox();
            BuildTree(box);
            SyncOutcome first = await box.SyncAsync(o => o.WhatIf = true);
            Assert.True(first.WhatIf);
            Assert.Contains("with space.txt", first.WouldSend);
            Assert.Empty(first.Sent);
            Assert.False(Directory.Exists(box.Guest));
            Assert.False(File.Exists(box.Manifest));
            Assert.DoesNotContain(box.Shell.Commands, c => c.Contains("tar"));

            await box.SyncAsync();
            byte[] manifest = File.ReadAllBytes(box.Manifest);
            var before = TreeSnapshot.Take(box.Guest);
            File.Delete(box.Src("-rf"));
            File.WriteAllText(box.Src("keep.log"), "changed");
            int commands = box.Shell.Commands.Count;
            SyncOutcome plan = await box.SyncAsync(o => o.WhatIf = true);
            Assert.Equal(new[] { "-rf" }, plan.WouldDelete);
            Assert.Contains("keep.log", plan.WouldSend);
            Assert.Equal(1, plan.Result.FilesSent);
            Assert.Equal(1, plan.Result.FilesDeleted);
            Assert.Equal(0, plan.Result.BytesSent);
            Assert.Equal(commands, box.Shell.Commands.Count);
            Assert.Equal(manifest, File.ReadAllBytes(box.Manifest));
            Assert.Equal("", TreeSnapshot.Diff(before, TreeSnapshot.Take(box.Guest)));
        }

        [Fact]
        public async Task FullSyncListsTheGuestAndRemovesExtrasButNotExcludedPaths()
        {
            using var box = new SyncSandbox();
            box.Write(".gitignore", "build/\n*.o\n");
            box.Write("a.txt", "a");
            box.Write("conflict", "host has a file");
            box.Write("d/f", "f");
            Directory.CreateDirectory(box.Dst("conflict/inner"));
            File.WriteAllText(box.Dst("conflict/inner/x"), "guest dir in the way");
            Directory.CreateDirectory(box.Dst("extra dir/sub"));
            File.WriteAllText(box.Dst("extra file"), "x");
            Directory.CreateDirectory(box.Dst("d"));
            File.WriteAllText(box.Dst("d/f"), "stale");
            Directory.CreateDirectory(box.Dst("build"));
            File.WriteAllText(box.Dst("build/cache"), "guest build output");
            File.WriteAllText(box.Dst("d/obj.o"), "guest object");
            File.CreateSymbolicLink(box.Dst("a.txt"), "elsewhere");

            SyncOutcome o = await box.SyncAsync(x => x.Full = true);
            Assert.Equal(new[] { "a.txt", "conflict", "extra dir", "extra file" }, o.Deleted);
            Assert.True(File.Exists(box.Dst("build/cache")));
            Assert.True(File.Exists(box.Dst("d/obj.o")));
            File.Delete(box.Dst("build/cache"));
            Directory.Delete(box.Dst("build"));
            File.Delete(box.Dst("d/obj.o"));
            Directory.SetLastWriteTimeUtc(box.Dst("d"), Directory.GetLastWriteTimeUtc(box.Src("d")));
            box.AssertInSync(p => p == "build");

            // Full ignores a manifest that claims everything is in place.
            File.WriteAllText(box.Dst("d/f"), "tampered");
            Assert.Equal(0, (await box.SyncAsync()).SyncShellCommands);
            await box.SyncAsync(x => x.Full = true);
            box.AssertInSync();
        }

        [Fact]
        public async Task VerifyReportsDriftAfterTamperingAndNoneAfterRepair()
        {
            using var box = new SyncSandbox();
            box.Write(".gitignore", "out/\n");
            box.Write("same.txt", "same");
            box.Write("tamper.txt", "original");
            box.Write("gone.txt", "gone");
            box.Write("back\\slash name", "gnu sha256sum escapes this one");
            box.Write("sp ace/ü.txt", "ü");
            SyncOutcome ok = await box.SyncAsync(o => o.Verify = true);
            Assert.True(ok.Result.Verified);
            Assert.Empty(ok.Result.Drift);

            File.WriteAllText(box.Dst("tamper.txt"), "ORIGINAL");
            File.Delete(box.Dst("gone.txt"));
            File.WriteAllText(box.Dst("extra.txt"), "extra");
            Directory.CreateDirectory(box.Dst("out"));
            File.WriteAllText(box.Dst("out/excluded"), "guest-only output is not drift");

            SyncOutcome drift = await box.SyncAsync(o => o.Verify = true);
            Assert.False(drift.Result.Verified);
            Assert.Equal(new[] { "extra.txt", "gone.txt", "tamper.txt" }, drift.Result.Drift);
            Assert.Equal(
                new[] { SyncDriftKind.Extra, SyncDriftKind.Missing, SyncDriftKind.Differs },
                drift.DriftDetails.Select(d => d.Kind).ToArray());

            SyncOutcome repaired = await box.SyncAsync(o => { o.Full = true; o.Verify = true; });
            Assert.True(repaired.Result.Verified, string.Join(", ", repaired.Result.Drift));
            Assert.True(File.Exists(box.Dst("out/excluded")));
        }

        [Fact]
        public async Task VerifyUsesBsdSha256WhenSha256sumIsMissing()
        {
            using var box = new SyncSandbox();
            box.Write("a b.txt", "a");
            box.Write("c.txt", "c");
            await box.SyncAsync();
            // A PATH like DragonFly's: find and sh, and "sha256" (BSD -r output format), no sha256sum.
            string bin = Path.Combine(box.Root, "bsdbin");
            Directory.CreateDirectory(bin);
            foreach (string tool in new[] { "find", "sh", "cat", "printf", "cut" })
            {
                File.CreateSymbolicLink(Path.Combine(bin, tool), "/usr/bin/" + tool);
            }
            File.WriteAllText(Path.Combine(bin, "sha256"),
                "#!/bin/sh\n[ \"$1\" = -r ] || exit 64\nshift\nfor f; do h=$(/usr/bin/sha256sum < \"$f\" | cut -d' ' -f1); printf '%s %s\\n' \"$h\" \"$f\"; done\n");
            File.SetUnixFileMode(Path.Combine(bin, "sha256"), (UnixFileMode)Convert.ToInt32("755", 8));
            box.Shell.Environment["PATH"] = bin;
            File.WriteAllText(box.Dst("c.txt"), "C");
            SyncOutcome o = await box.SyncAsync(x => x.Verify = true);
            Assert.Equal(new[] { "c.txt" }, o.Result.Drift);
        }
    }
}
