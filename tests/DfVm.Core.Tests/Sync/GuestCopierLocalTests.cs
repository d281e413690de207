#pragma warning disable CA1416 // Linux only: real bsdtar, device nodes, modes
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Sync;
using Xunit;

namespace DfVm.Core.Tests.Sync
{
    /// <summary>
    /// Copy-DfVmItem -FromGuest end to end on this host, as root: a LocalShell plays the guest (dash,
    /// bsdtar as `tar`, a POSIX `uuencode -m` stand-in), a temp folder plays the guest's file system.
    /// The same hostile trees as the Pester fault container, without a VM.
    /// </summary>
    public sealed class GuestCopierLocalTests : IDisposable
    {
        private readonly string _box = Path.Combine(Path.GetTempPath(), "dfvm-gcopy-" + Guid.NewGuid().ToString("N"));
        private readonly LocalShell _shell = new LocalShell();
        private readonly List<string> _warnings = new List<string>();

        public GuestCopierLocalTests()
        {
            Directory.CreateDirectory(Guest(""));
            Directory.CreateDirectory(Canary);
            string bin = Path.Combine(_box, "bin");
            Directory.CreateDirectory(bin);
            File.CreateSymbolicLink(Path.Combine(bin, "tar"), "/usr/bin/bsdtar");
            File.WriteAllText(Path.Combine(bin, "uuencode"), "#!/bin/sh\n# POSIX uuencode -m NAME, as DragonFly's\necho \"begin-base64 644 $2\"; base64 -w 76; echo ====\n");
            File.SetUnixFileMode(Path.Combine(bin, "uuencode"), (UnixFileMode)0x1ED);
            _shell.Environment["PATH"] = bin + ":/usr/bin:/bin";
        }

        public void Dispose() => Directory.Delete(_box, true);

        private string Guest(string rel) => Path.Combine(_box, "guest", rel);
        private string Dest => Path.Combine(_box, "dest");
        private string Canary => Path.Combine(_box, "canary");

        private void Sh(string command)
        {
            var outcome = _shell.RunAsync("cd '" + Guest("") + "' && " + command, null, null, null, CancellationToken.None).GetAwaiter().GetResult();
            Assert.Equal(0, outcome.ExitCode);
        }

        private Task<IReadOnlyList<string>> Copy(string guestRel, bool force = false) =>
            new GuestCopier(_shell, "local").FromGuestAsync(Guest(guestRel), Dest, force, null, _warnings.Add, CancellationToken.None);

        [Fact]
        public async Task A_device_node_and_a_setuid_file_come_back_as_nothing_and_a_plain_0755_file()
        {
            Sh("mkdir d && mknod d/nul c 1 3 && chmod 666 d/nul && printf x > d/su && chmod 4755 d/su && chown 1234:1234 d/su");
            var items = await Copy("d");
            Assert.Equal(new[] { Path.Combine(Dest, "d") }, items);
            Assert.Equal(HostNodeKind.Missing, HostFileOps.Kind(Path.Combine(Dest, "d/nul")));
            Assert.Equal((UnixFileMode)0x1ED, File.GetUnixFileMode(Path.Combine(Dest, "d/su")));
            Assert.Single(_warnings, w => w.Contains("'./d/nul' was not copied: it is a device node"));
        }

        [Fact]
        public async Task A_link_to_a_host_folder_then_a_folder_of_that_name_never_writes_through_it()
        {
            Sh("mkdir d && ln -s '" + Canary + "' d/link");
            await Copy("d");
            Sh("rm d/link && mkdir d/link && echo planted > d/link/file");
            await Copy("d", force: true);
            Assert.Empty(Directory.EnumerateFileSystemEntries(Canary));
            Assert.Equal("planted\n", File.ReadAllText(Path.Combine(Dest, "d/link/file")));
        }

        [Fact]
        public async Task Names_with_newlines_and_markers_and_a_quoted_wildcard()
        {
            Sh("mkdir n && printf 1 > \"n/$(printf 'a\\n\\036DFVM-ITEM ..')\" && printf 2 > \"n/$(printf 'b\\nbegin-base64 644 -\\n!!!')\" && printf 3 > 'n/my file 1'");
            var items = await Copy("n/*");
            Assert.Equal(3, items.Count);
            Assert.All(items, i => Assert.Equal(Dest, Path.GetDirectoryName(i)));
            Assert.Equal("3", File.ReadAllText((await Copy("n/my file*", force: true)).Single()));
            var e = await Assert.ThrowsAsync<DfVmException>(() => Copy("n/*$(touch injected)"));
            Assert.Equal(ErrorIds.GuestPathNotFound, e.ErrorId);
            Assert.False(File.Exists(Guest("n/injected")) || File.Exists(Guest("injected")));
        }

        [Fact]
        public async Task Without_force_an_existing_file_is_DestinationExists_and_nothing_is_written()
        {
            Sh("mkdir c && printf one > c/a && printf d > c/b");
            await Copy("c/*");
            Sh("printf two > c/a && printf new > c/z");
            var e = await Assert.ThrowsAsync<DfVmException>(() => Copy("c/*"));
            Assert.Equal(ErrorIds.DestinationExists, e.ErrorId);
            Assert.Equal("one", File.ReadAllText(Path.Combine(Dest, "a")));
            Assert.False(File.Exists(Path.Combine(Dest, "z")));
            Assert.Empty(Directory.EnumerateDirectories(Dest, GuestCopier.TempPrefix + "*"));
            await Copy("c/*", force: true);
            Assert.Equal("two", File.ReadAllText(Path.Combine(Dest, "a")));
        }
    }
}
