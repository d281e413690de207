#pragma warning disable CA1416 // these tests run on Linux only (real bsdtar, find)
using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using DfVm.Core.Sync;
using Xunit;

namespace DfVm.Core.Tests.Sync
{
    /// <summary>
    /// What a sync must never do: send the VM directory (keys, disks) wherever it lies, skip a
    /// project folder that only looks like it, or act on a guest name cut at a line break.
    /// </summary>
    [Collection("Sync")]
    public sealed class SyncSafetyTests
    {
        private static void WriteVmFolder(SyncSandbox box, string vmDir)
        {
            box.Write(vmDir + "/dfly/id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----");
            box.Write(vmDir + "/dfly/disk.qcow2", "QFI\xfb");
            box.Write(vmDir + "/images/dfly.iso", "iso");
        }

        [Fact]
        public async Task A_vm_directory_inside_the_project_is_never_sent()
        {
            using var box = new SyncSandbox();
            box.Write("main.go", "package main");
            WriteVmFolder(box, ".dfvm");
            box.Write("vm/notes.txt", "a project folder that happens to be named vm");
            box.Write("pkg/vm/vm.go", "package vm");

            SyncOutcome outcome = await box.SyncAsync(o => o.VmDirectory = box.Src(".dfvm"));

            Assert.False(Directory.Exists(box.Dst(".dfvm")), "the VM directory reached the guest");
            Assert.True(File.Exists(box.Dst("vm/notes.txt")), "only the VM directory is excluded, not any vm/");
            Assert.True(File.Exists(box.Dst("pkg/vm/vm.go")));
            box.AssertInSync(p => p == ".dfvm" || p.StartsWith(".dfvm/", StringComparison.Ordinal));

            var verified = await box.SyncAsync(o => { o.VmDirectory = box.Src(".dfvm"); o.Verify = true; });
            Assert.True(verified.Result.Verified, string.Join(", ", verified.Result.Drift ?? new string[0]));
        }

        [Fact]
        public async Task The_vm_directory_is_found_through_another_spelling_of_its_path()
        {
            using var box = new SyncSandbox();
            box.Write("main.go", "package main");
            WriteVmFolder(box, "state/vms");
            // The sandbox root is a symlink: give the VM directory by its real path, the source by the link.
            string realVm = Path.Combine(new DirectoryInfo(box.Root).ResolveLinkTarget(true)?.FullName ?? box.Root, "src", "state", "vms");
            Assert.True(Directory.Exists(realVm));

            await box.SyncAsync(o => o.VmDirectory = realVm + "/");

            Assert.False(Directory.Exists(box.Dst("state/vms")), "the VM directory reached the guest");
            Assert.True(File.Exists(box.Dst("main.go")));
        }

        [Fact]
        public async Task Syncing_from_inside_the_vm_directory_is_refused()
        {
            using var box = new SyncSandbox();
            WriteVmFolder(box, "vm");
            var e = await Assert.ThrowsAsync<SyncPathUnsupportedException>(() =>
                box.SyncAsync(o => { o.SourcePath = box.Src("vm/dfly"); o.VmDirectory = box.Src("vm"); }));
            Assert.Equal("SyncPathUnsupported", e.ErrorId);
            Assert.False(Directory.Exists(box.Guest));
        }

        [Fact]
        public async Task A_guest_name_ending_in_a_carriage_return_does_not_delete_the_folder_it_looks_like()
        {
            using var box = new SyncSandbox();
            box.Write(".gitignore", "cache/\n");
            box.Write("src/a.go", "package src");
            // The guest has src/ with an excluded cache (kept by every sync), and a file named "src\r".
            Directory.CreateDirectory(box.Dst("src/cache"));
            File.WriteAllText(box.Dst("src/cache/built.bin"), "hours of work");
            File.WriteAllText(box.Dst("src\r"), "odd");
            File.WriteAllText(box.Dst("x\ny"), "odd");
            File.WriteAllText(box.Dst("stale.txt"), "deleted by a full sync");

            await box.SyncAsync(o => o.Full = true);

            Assert.Equal("hours of work", File.ReadAllText(box.Dst("src/cache/built.bin")));
            Assert.Equal("package src", File.ReadAllText(box.Dst("src/a.go")));
            Assert.False(File.Exists(box.Dst("stale.txt")));
            // Names no host file can have are left alone, never taken for another path.
            Assert.True(File.Exists(box.Dst("src\r")));
            Assert.True(File.Exists(box.Dst("x\ny")));

            var verified = await box.SyncAsync(o => o.Verify = true);
            Assert.True(verified.Result.Verified, string.Join(", ", verified.Result.Drift ?? new string[0]));
        }

        [Fact]
        public void A_listing_cut_short_is_never_trusted_and_names_with_line_breaks_are_left_alone()
        {
            // od output of "./a\0//\0//\0./b\0" without the end record: cut short.
            Assert.Null(GuestListing.ParseList(new[] { Hex("./a\0//\0//\0./b\0") }));
            Assert.Null(GuestListing.ParseList(new[] { Hex("./a\0//\0//\0./b\0//end") })); // no NUL after the end record
            Assert.Empty(GuestListing.ParseList(new string[0]));
            var ok = GuestListing.ParseList(new[] { Hex(".\0./d\0//\0./l\0//\0./d/f\0./a\nb\0./c\r\0./é\0//end\0") });
            Assert.Equal(new[] { "d", "d/f", "l", "é" }, ok.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray());
            Assert.Equal(SyncEntryType.Directory, ok["d"]);
            Assert.Equal(SyncEntryType.Symlink, ok["l"]);
            Assert.Equal(SyncEntryType.File, ok["d/f"]);
        }

        [Theory]
        [InlineData("./../x\0")]                 // escapes the destination
        [InlineData("./d/../../x\0")]
        [InlineData("/etc/passwd\0")]            // absolute
        [InlineData("../x\0")]
        [InlineData("./a//b\0")]                 // an empty part
        [InlineData("./a/./b\0")]
        [InlineData("./\0")]
        [InlineData("x\0")]
        [InlineData("//\0//\0//\0")]           // a fourth section
        [InlineData("//end\0")]                  // the end record after one section
        [InlineData("//\0//\0//end\0./late\0")] // a record after the end
        public void A_listing_the_real_find_cannot_print_is_an_error_with_an_id(string records)
        {
            var ex = Assert.Throws<SyncGuestOutputInvalidException>(() => GuestListing.ParseList(new[] { Hex(records) }));
            Assert.Equal("SyncGuestOutputInvalid", ex.ErrorId);
        }

        [Theory]
        [InlineData("not hex")]
        [InlineData("2e 2f 6")]
        [InlineData("2e2f 61 00")]
        [InlineData("2e 2f zz 00")]
        public void Od_output_that_is_not_hex_bytes_is_an_error_with_an_id(string line)
        {
            var ex = Assert.Throws<SyncGuestOutputInvalidException>(() => GuestListing.ParseList(new[] { line }));
            Assert.Equal("SyncGuestOutputInvalid", ex.ErrorId);
        }

        [Fact]
        public void A_listing_past_its_bounds_is_an_error_not_a_growing_dictionary()
        {
            var parser = new GuestListing.ListParser(maxEntries: 1000);
            var ex = Assert.Throws<SyncGuestOutputInvalidException>(() =>
            {
                for (int i = 0; i < 2000; i++)
                {
                    parser.Add(Hex("./f" + i + "\0"));
                }
            });
            Assert.Contains("more than 1000 entries", ex.Message);
            // One name longer than any path find prints.
            var longName = new GuestListing.ListParser();
            Assert.Throws<SyncGuestOutputInvalidException>(() => longName.Add(Hex("./" + new string('a', GuestListing.MaxRecordBytes))));
            // The same name again and again: the dictionary stays at one entry, the byte bound still ends it.
            var same = new GuestListing.ListParser();
            string line = Hex("./" + new string('a', 4094) + "\0");
            Assert.Throws<SyncGuestOutputInvalidException>(() =>
            {
                for (long i = 0; i <= GuestListing.MaxNameBytes / 4096 + 1; i++)
                {
                    same.Add(line);
                }
            });
        }

        [Theory]
        [InlineData("garbage")]
        [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  /etc/passwd")]
        [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  ./../x")]
        [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85  ./short-hash")]
        public void A_hash_line_the_real_sha256_cannot_print_is_an_error_with_an_id(string line)
        {
            var ex = Assert.Throws<SyncGuestOutputInvalidException>(() => GuestListing.ParseHashes(new[] { line }));
            Assert.Equal("SyncGuestOutputInvalid", ex.ErrorId);
        }

        [Fact]
        public void Hash_lines_of_gnu_and_bsd_tools_parse()
        {
            const string h = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
            var r = GuestListing.ParseHashes(new[] { h + "  ./a b", h.ToUpperInvariant() + " ./bsd", "\\" + h + "  ./back\\\\slash" });
            Assert.Equal(h, r["a b"]);
            Assert.Equal(h, r["bsd"]);
            Assert.Equal(h, r["back\\slash"]);
        }

        [Fact]
        public async Task A_flooding_od_ends_the_listing_at_its_bound_and_is_killed()
        {
            using var box = new SyncSandbox();
            box.Write("a.txt", "a");
            await box.SyncAsync();
            // An od first on the PATH that never stops: the same 1,000-byte record, forever.
            string bin = Path.Combine(box.Root, "hostilebin");
            Directory.CreateDirectory(bin);
            string record = string.Join(" ", System.Text.Encoding.ASCII.GetBytes("./" + new string('a', 997)).Select(b => b.ToString("x2"))) + " 00";
            string pidFile = Path.Combine(box.Root, "od.pid");
            File.WriteAllText(Path.Combine(bin, "od"), "#!/bin/sh\necho $$ > '" + pidFile + "'\nexec yes '" + record + "'\n");
            File.SetUnixFileMode(Path.Combine(bin, "od"), (UnixFileMode)Convert.ToInt32("755", 8));
            box.Shell.Environment["PATH"] = bin + ":" + System.Environment.GetEnvironmentVariable("PATH");

            long before = GC.GetTotalMemory(true);
            var ex = await Assert.ThrowsAsync<SyncGuestOutputInvalidException>(() => box.SyncAsync(o => o.Full = true));
            Assert.Equal("SyncGuestOutputInvalid", ex.ErrorId);
            Assert.Contains("MiB of names", ex.Message);
            // Nothing of the flood was kept (32 MiB of names went by as ~96 MiB of hex text).
            Assert.True(GC.GetTotalMemory(true) - before < 16 * 1024 * 1024, "memory kept after the flood");
            // The flooding process was ended (LocalShell kills the command when the sync cancels it).
            int pid = int.Parse(File.ReadAllText(pidFile).Trim());
            bool gone = false;
            for (int i = 0; i < 100 && !gone; i++)
            {
                gone = !Directory.Exists("/proc/" + pid) || File.ReadAllText("/proc/" + pid + "/stat").Split(' ')[2] == "Z";
                if (!gone)
                {
                    await Task.Delay(100);
                }
            }
            Assert.True(gone, "the flooding od (pid " + pid + ") still runs");
        }

        private static string Hex(string s) => string.Join(" ", System.Text.Encoding.UTF8.GetBytes(s).Select(b => b.ToString("x2")));
    }
}
