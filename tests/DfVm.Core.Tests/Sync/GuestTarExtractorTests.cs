#pragma warning disable CA1416 // Linux only: modes and symlinks are checked on the real file system
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using DfVm.Core.Sync;
using Xunit;

namespace DfVm.Core.Tests.Sync
{
    /// <summary>
    /// The host side of Copy-DfVmItem -FromGuest reads the guest's tar stream itself: each test feeds a
    /// hand-made archive (what a lying guest tar could send) and checks what lands on disk, in a sandbox
    /// with a canary folder beside the destination that must stay untouched.
    /// </summary>
    public sealed class GuestTarExtractorTests : IDisposable
    {
        private readonly string _box = Path.Combine(Path.GetTempPath(), "dfvm-tarx-" + Guid.NewGuid().ToString("N"));
        private readonly string _root;
        private readonly string _canary;
        private readonly List<string> _skipped = new List<string>();

        public GuestTarExtractorTests()
        {
            _root = Path.Combine(_box, "dest");
            _canary = Path.Combine(_box, "canary");
            Directory.CreateDirectory(_root);
            Directory.CreateDirectory(_canary);
        }

        public void Dispose() => Directory.Delete(_box, true);

        private static byte[] Header(string name, char type, int mode = 420, long size = 0, string link = "", long mtime = 1577934245)
        {
            var h = new byte[512];
            void Put(int at, int len, string s) { var b = Encoding.UTF8.GetBytes(s); Array.Copy(b, 0, h, at, Math.Min(b.Length, len)); }
            Put(0, 100, name);
            Put(100, 8, Convert.ToString(mode, 8).PadLeft(7, '0'));
            Put(108, 8, "0000000");
            Put(116, 8, "0000000");
            Put(124, 12, Convert.ToString(size, 8).PadLeft(11, '0'));
            Put(136, 12, Convert.ToString(mtime, 8).PadLeft(11, '0'));
            h[156] = (byte)type;
            Put(157, 100, link);
            Put(257, 6, "ustar\0");
            Put(263, 2, "00");
            for (int i = 148; i < 156; i++) h[i] = (byte)' ';
            long sum = h.Sum(b => (long)b);
            Put(148, 8, Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ");
            return h;
        }

        private static IEnumerable<byte> Entry(string name, char type, string data = null, int mode = 420, string link = "")
        {
            byte[] bytes = data == null ? new byte[0] : Encoding.UTF8.GetBytes(data);
            var all = new List<byte>(Header(name, type, mode, bytes.Length, link));
            all.AddRange(bytes);
            all.AddRange(new byte[(512 - bytes.Length % 512) % 512]);
            return all;
        }

        private static byte[] Archive(params IEnumerable<byte>[] entries) => entries.SelectMany(e => e).Concat(new byte[1024]).ToArray();

        private GuestTarExtractor New(params string[] asked) =>
            new GuestTarExtractor(_root, n => asked.Contains(n), (name, why) => _skipped.Add(name + ": " + why), () => long.MaxValue / 2, 0);

        private void Extract(byte[] archive, params string[] asked)
        {
            Directory.Delete(_root, true);
            Directory.CreateDirectory(_root);
            using var x = New(asked);
            // Fed in odd pieces, as base64 lines arrive.
            for (int i = 0; i < archive.Length; i += 57) x.Feed(archive, i, Math.Min(57, archive.Length - i));
            x.Finish();
        }

        private int Mode(string rel) => (int)File.GetUnixFileMode(Path.Combine(_root, rel));

        [Fact]
        public void Device_nodes_and_fifos_are_skipped_and_setuid_bits_dropped()
        {
            Extract(Archive(
                Entry("./d/", '5', mode: 0x1ED | 0x200),
                Entry("./d/mem", '3', mode: 0x1B6),
                Entry("./d/sda", '4', mode: 0x1B6),
                Entry("./d/pipe", '6'),
                Entry("./d/su", '0', "#!/bin/sh\n", mode: 0x800 | 0x400 | 0x1ED)), "d");
            Assert.False(File.Exists(Path.Combine(_root, "d/mem")) || File.Exists(Path.Combine(_root, "d/sda")) || File.Exists(Path.Combine(_root, "d/pipe")));
            Assert.Equal(0x1ED, Mode("d/su"));     // 0755: setuid and setgid gone
            Assert.Equal(0x1ED, Mode("d"));        // sticky gone
            Assert.Equal(3, _skipped.Count);
            Assert.Contains(_skipped, s => s.StartsWith("./d/mem: it is a device node", StringComparison.Ordinal));
        }

        [Fact]
        public void Links_out_of_the_tree_and_writes_through_links_are_refused()
        {
            Extract(Archive(
                Entry("./d/", '5', mode: 0x1ED),
                Entry("./d/abs", '2', link: _canary),
                Entry("./d/up", '2', link: "../../canary"),
                Entry("./d/twisty", '2', link: "x/../../.."),
                Entry("./d/ok", '2', link: "../d/f"),
                Entry("./d/ok/evil", '0', "through a link"),
                Entry("./d/abs/evil", '0', "through a link"),
                Entry("./d/f", '0', "f"),
                Entry("./d/f/evil", '0', "under a file")), "d");
            Assert.Empty(Directory.EnumerateFileSystemEntries(_canary));
            Assert.Equal("../d/f", new FileInfo(Path.Combine(_root, "d/ok")).LinkTarget);
            Assert.False(File.Exists(Path.Combine(_root, "d/up")) || File.Exists(Path.Combine(_root, "d/twisty")));
            // The refused link was never made, so "d/abs/evil" lands in a plain folder d/abs, inside.
            Assert.Equal(HostNodeKind.Directory, HostFileOps.Kind(Path.Combine(_root, "d/abs")));
            Assert.Equal(5, _skipped.Count);
            Assert.Contains(_skipped, s => s.StartsWith("./d/ok/evil: it would be written through the symlink 'd/ok'", StringComparison.Ordinal));
        }

        [Fact]
        public void Absolute_climbing_and_unasked_names_are_skipped_and_odd_names_kept()
        {
            Extract(Archive(
                Entry("/" + _canary.TrimStart('/') + "/abs", '0', "x"),
                Entry("./d/../../canary/up", '0', "x"),
                Entry("./other/f", '0', "x"),
                Entry("./d/line\nDFVM-ITEM ..", '0', "newline")), "d");
            Assert.Empty(Directory.EnumerateFileSystemEntries(_canary));
            Assert.False(Directory.Exists(Path.Combine(_root, "other")));
            Assert.Equal("newline", File.ReadAllText(Path.Combine(_root, "d/line\nDFVM-ITEM ..")));
            Assert.Equal(3, _skipped.Count);
        }

        [Fact]
        public void A_lying_archive_is_GuestArchiveInvalid_and_a_huge_file_HostDiskFull()
        {
            byte[] bad = Archive(Entry("./d", '0', "x"));
            bad[10] ^= 1; // checksum no longer matches
            var e = Assert.Throws<DfVmException>(() => Extract(bad, "d"));
            Assert.Equal(ErrorIds.GuestArchiveInvalid, e.ErrorId);

            byte[] cut = Entry("./d", '0', new string('a', 2000)).Take(1000).ToArray();
            e = Assert.Throws<DfVmException>(() => Extract(cut, "d"));
            Assert.Equal(ErrorIds.GuestArchiveInvalid, e.ErrorId);

            byte[] trailing = Archive(Entry("./d", '0', "x")).Concat(new byte[] { 1 }).ToArray();
            e = Assert.Throws<DfVmException>(() => Extract(trailing, "d"));
            Assert.Equal(ErrorIds.GuestArchiveInvalid, e.ErrorId);

            // A flood of entries that take no space stops at the entry bound.
            Directory.Delete(_root, true);
            Directory.CreateDirectory(_root);
            var empty = Header("./d/", '5', 493); // the same folder again and again: no disk work, only entries
            using (var flood = new GuestTarExtractor(_root, n => true, (n, w) => { }, () => long.MaxValue / 2, 0))
            {
                e = Assert.Throws<DfVmException>(() => { for (int i = 0; i <= GuestTarExtractor.MaxEntries; i++) flood.Feed(empty, 0, empty.Length); });
                Assert.Equal(ErrorIds.GuestArchiveInvalid, e.ErrorId);
                Assert.Contains("more than 1000000 entries", e.Message);
            }

            using var x = new GuestTarExtractor(_root, n => true, (n, w) => { }, () => 1L << 30, 0);
            byte[] huge = Header("./big", '0', size: 1L << 33);
            e = Assert.Throws<DfVmException>(() => x.Feed(huge, 0, huge.Length));
            Assert.Equal(ErrorIds.HostDiskFull, e.ErrorId);
        }

        [Theory]
        [InlineData("my file*", "'my file'*", "my file 2", true)]
        [InlineData("*$(touch injected)", "*'$(touch injected)'", "a$(touch injected)", true)]
        [InlineData("a[0-9].json", "'a'[0-9]'.json'", "a7.json", true)]
        [InlineData("plain 'q'", "'plain '\\''q'\\'''", "plain 'q'", false)]
        public void Guest_path_wildcards_are_the_only_unquoted_characters(string last, string word, string name, bool glob)
        {
            Assert.Equal(word, GuestCopier.GlobWord(last, "/x/" + last, out string pattern, out bool isGlob));
            Assert.Equal(glob, isGlob);
            if (glob) Assert.True(WildMatch.IsMatch(pattern, name, true));
        }
    }
}
