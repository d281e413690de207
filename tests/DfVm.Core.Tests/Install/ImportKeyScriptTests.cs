using System;
using System.Collections.Generic;
using System.IO;
using DfVm.Core.Install;
using DfVm.Core.Tests.Images;
using Xunit;

namespace DfVm.Core.Tests.Install
{
    /// <summary>
    /// Import-DfVm's first-contact script, run for real by the host's POSIX sh with HOME in a temp folder:
    /// the VM's key is appended (the user's keys stay, a last line without its newline is not glued
    /// onto), a second run changes nothing, and the folder and file get 0700/0600.
    /// </summary>
    public sealed class ImportKeyScriptTests : IDisposable
    {
        private const string Key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl dfvm@imp";
        private readonly string _home = Path.Combine(Path.GetTempPath(), "dfvm-home-" + Guid.NewGuid().ToString("N"));

        public ImportKeyScriptTests() => Directory.CreateDirectory(_home);

        public void Dispose() => Directory.Delete(_home, true);

        private (int exit, string stdout, string stderr) Run() =>
            ImageFixture.Run("/bin/sh", new[] { "-c", VmImporter.InstallKeyScript(Key) }, null, new Dictionary<string, string> { ["HOME"] = _home });

        private string AuthorizedKeys => Path.Combine(_home, ".ssh", "authorized_keys");

        [Fact]
        public void AppendsTheKeyOnceKeepingTheUsersKeys()
        {
            Directory.CreateDirectory(Path.Combine(_home, ".ssh"));
            File.WriteAllText(AuthorizedKeys, "ssh-ed25519 AAAAuser me@laptop"); // no newline at the end
            var first = Run();
            Assert.Equal(0, first.exit);
            Assert.Contains("DFVM-IMPORT: changed " + AuthorizedKeys + ": added the VM's key (dfvm@imp)", first.stdout);
            Assert.Contains("DFVM-IMPORT: os ", first.stdout);
            Assert.Equal("ssh-ed25519 AAAAuser me@laptop\n" + Key + "\n", File.ReadAllText(AuthorizedKeys));

            var second = Run();
            Assert.Equal(0, second.exit);
            Assert.DoesNotContain("changed", second.stdout);
            Assert.Contains("DFVM-IMPORT: kept " + AuthorizedKeys, second.stdout);
            Assert.Equal("ssh-ed25519 AAAAuser me@laptop\n" + Key + "\n", File.ReadAllText(AuthorizedKeys));
        }

        [Fact]
        public void CreatesTheFolderAndFileWithPrivateModes()
        {
            var r = Run();
            Assert.Equal(0, r.exit);
            Assert.Contains("DFVM-IMPORT: changed created " + Path.Combine(_home, ".ssh") + " (0700)", r.stdout);
            Assert.Equal(Key + "\n", File.ReadAllText(AuthorizedKeys));
            var mode = ImageFixture.Run("stat", new[] { "-c", "%a", Path.Combine(_home, ".ssh"), AuthorizedKeys });
            Assert.Equal("700\n600\n", mode.stdout);
        }

        [Fact]
        public void RefusesAKeyThatCouldBreakTheQuoting()
        {
            Assert.Throws<ArgumentException>(() => VmImporter.InstallKeyScript("ssh-ed25519 AAAA x'; rm -rf /"));
            Assert.Throws<ArgumentException>(() => VmImporter.InstallKeyScript("ssh-ed25519 AAAA x\nrm"));
        }
    }
}
