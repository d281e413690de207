using System;
using System.IO;
using System.Linq;
using System.Text;
using DfVm.Core.Images;
using Xunit;

namespace DfVm.Core.Tests.Images
{
    /// <summary>Discs written by PfiDiscBuilder, read back with real readers: bsdtar, isoinfo, xorriso.</summary>
    public sealed class PfiDiscBuilderTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "dfvm-pfi-" + Guid.NewGuid().ToString("N"));
        private readonly string _iso;

        private static readonly byte[] Script = Encoding.ASCII.GetBytes("#!/bin/sh\necho hello from pfi\n");
        private static readonly byte[] Conf = Encoding.ASCII.GetBytes("pfi_script=\"install.sh\"\n");
        private static readonly byte[] Keys = Encoding.ASCII.GetBytes("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFake dfvm\n");
        private static readonly byte[] Big = ImageFixture.MakePayload(5000, 9); // spans three sectors
        private const string LongName = "A-Quite_Long.Mixed.Case name with spaces and more than thirty-one characters.txt";

        public PfiDiscBuilderTests()
        {
            Directory.CreateDirectory(_dir);
            _iso = Path.Combine(_dir, "out", "pfi.iso");
            new PfiDiscBuilder { TimestampUtc = new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc) }.Build(_iso, new[]
            {
                new PfiDiscFile("pfi.conf", Conf, PfiDiscFile.Octal("644")),
                new PfiDiscFile("install.sh", Script, PfiDiscFile.Octal("755")),
                new PfiDiscFile("authorized_keys", Keys, PfiDiscFile.Octal("600")),
                new PfiDiscFile("data/" + LongName, Big),
                new PfiDiscFile("data/nested/empty", new byte[0]),
                new PfiDiscFile("Install.SH", Encoding.ASCII.GetBytes("same ISO name, other case\n")),
            }, "dfvm pfi");
        }

        public void Dispose() => Directory.Delete(_dir, true);

        [Fact]
        public void ImageIsWholeSectorsAndNoTempFileIsLeft()
        {
            Assert.Equal(0, new FileInfo(_iso).Length % 2048);
            Assert.Equal(new[] { "pfi.iso" }, Directory.GetFiles(Path.GetDirectoryName(_iso)).Select(Path.GetFileName));
        }

        [Fact]
        public void BsdtarListsRockRidgeNamesAndModes()
        {
            var list = ImageFixture.Run("bsdtar", new[] { "-tvf", _iso });
            Assert.True(list.exit == 0, list.stderr);
            var lines = list.stdout.Split('\n');
            Assert.Contains(lines, l => l.StartsWith("-rwxr-xr-x", StringComparison.Ordinal) && l.EndsWith(" install.sh", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("-rw-r--r--", StringComparison.Ordinal) && l.EndsWith(" pfi.conf", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("-rw-------", StringComparison.Ordinal) && l.EndsWith(" authorized_keys", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.EndsWith(" Install.SH", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.EndsWith(" data/" + LongName, StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("d", StringComparison.Ordinal) && l.TrimEnd('/').EndsWith(" data/nested", StringComparison.Ordinal));
        }

        [Fact]
        public void BsdtarExtractsExactContentsAndKeepsTheExecBit()
        {
            var outDir = Path.Combine(_dir, "x");
            Directory.CreateDirectory(outDir);
            var extract = ImageFixture.Run("bsdtar", new[] { "-xpf", _iso, "-C", outDir });
            Assert.True(extract.exit == 0, extract.stderr);

            Assert.Equal(Script, File.ReadAllBytes(Path.Combine(outDir, "install.sh")));
            Assert.Equal(Conf, File.ReadAllBytes(Path.Combine(outDir, "pfi.conf")));
            Assert.Equal(Keys, File.ReadAllBytes(Path.Combine(outDir, "authorized_keys")));
            Assert.Equal(Big, File.ReadAllBytes(Path.Combine(outDir, "data", LongName)));
            Assert.Empty(File.ReadAllBytes(Path.Combine(outDir, "data", "nested", "empty")));
            Assert.Equal("same ISO name, other case\n", File.ReadAllText(Path.Combine(outDir, "Install.SH")));

            var mode = File.GetUnixFileMode(Path.Combine(outDir, "install.sh"));
            Assert.True(mode.HasFlag(UnixFileMode.UserExecute), $"install.sh mode {mode}");
            Assert.False(File.GetUnixFileMode(Path.Combine(outDir, "authorized_keys")).HasFlag(UnixFileMode.OtherRead));

            // The extracted script runs.
            var run = ImageFixture.Run(Path.Combine(outDir, "install.sh"), new string[0]);
            Assert.Equal("hello from pfi\n", run.stdout);
        }

        [Fact]
        public void IsoinfoFindsRockRidgeAndTheVolumeId()
        {
            var info = ImageFixture.Run("isoinfo", new[] { "-d", "-i", _iso });
            Assert.True(info.exit == 0, info.stderr);
            Assert.Contains("Volume id: DFVM_PFI", info.stdout);
            Assert.Contains("Rock Ridge signatures version 1 found", info.stdout);

            var list = ImageFixture.Run("isoinfo", new[] { "-R", "-l", "-i", _iso });
            Assert.True(list.exit == 0, list.stderr);
            var scriptLine = list.stdout.Split('\n').Single(l => l.TrimEnd().EndsWith("]  install.sh", StringComparison.Ordinal));
            Assert.StartsWith("-rwxr-xr-x", scriptLine);
            Assert.Contains("authorized_keys", list.stdout);
            Assert.Contains(LongName, list.stdout);
        }

        [Fact]
        public void XorrisoReadsTheTreeWithoutComplaint()
        {
            var ls = ImageFixture.Run("xorriso", new[] { "-abort_on", "WARNING", "-indev", _iso, "-lsl", "/", "/data", "--" });
            Assert.True(ls.exit == 0, ls.stderr);
            Assert.StartsWith("-rwxr-xr-x", ls.stdout.Split('\n').Single(l => l.EndsWith("'install.sh'", StringComparison.Ordinal)));
            Assert.Contains($"'{LongName}'", ls.stdout);
            // The volume size in the descriptor is believed (it was 0 before the image had padding).
            Assert.Matches(@"Media summary: 1 session, [1-9][0-9]* data blocks", ls.stdout + ls.stderr);
        }

        [Fact]
        public void SameInputAndTimestampGiveTheSameBytes()
        {
            var builder = new PfiDiscBuilder { TimestampUtc = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc) };
            var files = new[] { new PfiDiscFile("pfi.conf", Conf), new PfiDiscFile("install.sh", Script, PfiDiscFile.Octal("755")) };
            Assert.Equal(builder.BuildImage(files, "X"), builder.BuildImage(files, "X"));
        }

        [Theory]
        [InlineData("../escape")]
        [InlineData("a//b")]
        [InlineData("/abs")]
        [InlineData("dir/")]
        public void BadNamesAreRejected(string name)
        {
            Assert.Throws<ArgumentException>(() => new PfiDiscBuilder().BuildImage(new[] { new PfiDiscFile(name, Conf) }, "X"));
        }

        [Fact]
        public void DuplicateAndFileDirectoryClashesAreRejected()
        {
            Assert.Throws<ArgumentException>(() => new PfiDiscBuilder().BuildImage(new[] { new PfiDiscFile("a", Conf), new PfiDiscFile("a", Conf) }, "X"));
            Assert.Throws<ArgumentException>(() => new PfiDiscBuilder().BuildImage(new[] { new PfiDiscFile("a", Conf), new PfiDiscFile("a/b", Conf) }, "X"));
        }

        [Fact]
        public void PhaseDiscHoldsConfScriptAndKeys()
        {
            var iso = Path.Combine(_dir, "install.iso");
            new PfiDiscBuilder().BuildPhase(iso, PfiPhase.Install("testvm"), "ssh-ed25519 AAAAkey dfvm");
            var outDir = Path.Combine(_dir, "phase");
            Directory.CreateDirectory(outDir);
            var extract = ImageFixture.Run("bsdtar", new[] { "-xpf", iso, "-C", outDir });
            Assert.True(extract.exit == 0, extract.stderr);

            var conf = File.ReadAllText(Path.Combine(outDir, "pfi.conf"));
            Assert.Contains("pfi_script=\"install.sh\"\n", conf);
            Assert.Contains("dfvm_hostname=\"testvm\"\n", conf);
            Assert.Equal(GuestScripts.Get("install.sh"), File.ReadAllText(Path.Combine(outDir, "install.sh")));
            Assert.True(File.GetUnixFileMode(Path.Combine(outDir, "install.sh")).HasFlag(UnixFileMode.UserExecute));
            Assert.Equal("ssh-ed25519 AAAAkey dfvm\n", File.ReadAllText(Path.Combine(outDir, "authorized_keys")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(outDir, "authorized_keys")));

            var info = ImageFixture.Run("isoinfo", new[] { "-d", "-i", iso });
            Assert.Contains("Volume id: DFVM_INSTALL", info.stdout);
        }
    }
}
