using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Instances;
using DfVm.Core.Qemu;
using DfVm.Core.Util;
using Xunit;

namespace DfVm.Core.Tests.Instances
{
    /// <summary>
    /// DfVm deletes only what it made, and knows its running QEMU by the lock QEMU holds on its
    /// pid file: through a symlinked path too, without /proc.
    /// </summary>
    public sealed class VmFolderSafetyTests : IDisposable
    {
        private readonly string _root = Path.Combine("/tmp", "dff-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        private readonly string _link;
        private int _qemuPid;

        public VmFolderSafetyTests()
        {
            Directory.CreateDirectory(Path.Combine(_root, "real", "vm"));
            _link = _root + "-link";
            File.CreateSymbolicLink(_link, Path.Combine(_root, "real"));
        }

        private static VmDefinition Def(string name) => new VmDefinition { Name = name, DiskSizeGB = 1, Accelerator = "tcg", GuestOs = "linux", DiskInterface = "virtio-blk" };

        [Fact]
        public async Task New_Force_never_deletes_a_folder_that_is_not_a_vm()
        {
            var store = new VmStore(Path.Combine(_root, "real", "vm"));
            string foreign = Path.Combine(store.Root, "notmine");
            Directory.CreateDirectory(foreign);
            File.WriteAllText(Path.Combine(foreign, "data.bin"), "precious");

            var e = await Assert.ThrowsAsync<DfVmException>(() => new DfVmEngine(store.Root).Factory.CreateAsync(Def("notmine"), true, null, CancellationToken.None));
            Assert.Equal(ErrorIds.VmExists, e.ErrorId);
            Assert.Equal("precious", File.ReadAllText(Path.Combine(foreign, "data.bin")));
            Assert.False(File.Exists(Path.Combine(foreign, "lock")));
            Assert.Empty(Directory.GetDirectories(store.Root, ".new-*"));
        }

        [Fact]
        public async Task New_images_is_refused_and_the_image_cache_survives()
        {
            var store = new VmStore(Path.Combine(_root, "real", "vm"));
            string images = Path.Combine(store.Root, "images");
            Directory.CreateDirectory(images);
            File.WriteAllText(Path.Combine(images, "dfly-x86_64-6.4.2_REL.iso"), "iso");

            var e = await Assert.ThrowsAsync<DfVmException>(() => new DfVmEngine(store.Root).Factory.CreateAsync(Def("images"), true, null, CancellationToken.None));
            Assert.Equal(ErrorIds.ReservedVmName, e.ErrorId);
            Assert.True(File.Exists(Path.Combine(images, "dfly-x86_64-6.4.2_REL.iso")));
        }

        [Fact]
        public async Task A_remove_killed_half_way_is_finished_by_the_next_one_and_nothing_else_is_touched()
        {
            var store = new VmStore(Path.Combine(_root, "real", "vm"));
            var factory = new DfVmEngine(store.Root).Factory;
            var a = await factory.CreateAsync(Def("a"), false, null, CancellationToken.None);
            var b = await factory.CreateAsync(Def("b"), false, null, CancellationToken.None);
            // What a Remove-DfVm killed after its rename leaves: a trash folder (read-only snapshot folder inside).
            string trash = Path.Combine(store.Root, ".trash-a-0123abcd");
            Directory.Move(a.Directory, trash);
            Native.Chmod(Path.Combine(trash, "snapshots"), 0x140);
            string lookalike = Path.Combine(store.Root, ".trash-notours");
            Directory.CreateDirectory(lookalike);

            await factory.RemoveAsync(b, null, CancellationToken.None);

            Assert.False(Directory.Exists(trash));
            Assert.False(Directory.Exists(b.Directory));
            Assert.True(Directory.Exists(lookalike));
        }

        [Fact]
        public async Task A_live_qemu_is_ours_through_a_symlinked_path_and_its_files_are_not_stale()
        {
            var store = new VmStore(Path.Combine(_link, "vm"));
            Assert.Equal(Path.Combine(_root, "real", "vm"), store.Root); // the real path
            var real = await new DfVmEngine(store.Root).Factory.CreateAsync(Def("q"), false, null, CancellationToken.None);
            // QEMU started through the real path; DfVm now looks through the link.
            var viaLink = new VmPaths(Path.Combine(_link, "vm"), "q");
            Assert.NotEqual(real.PidFile, viaLink.PidFile);
            var o = await ProcessRunner.RunAsync(QemuTools.SystemEmulator, new[]
            {
                "-daemonize", "-display", "none", "-nodefaults", "-S", "-m", "32", "-accel", "tcg",
                "-pidfile", real.PidFile, "-qmp", "unix:" + real.QmpSocket + ",server=on,wait=off",
                "-blockdev", "{\"driver\":\"qcow2\",\"node-name\":\"disk0\",\"file\":{\"driver\":\"file\",\"filename\":\"" + real.Disk + "\"}}",
            }, TimeSpan.FromSeconds(60), CancellationToken.None);
            Assert.True(o.ExitCode == 0, o.StdErr);
            _qemuPid = int.Parse(File.ReadAllText(real.PidFile).Trim());

            var controller = new DfVmEngine(Path.Combine(_link, "vm")).Controller;
            Assert.True(QemuProcess.IsOurQemu(_qemuPid, viaLink));
            Assert.Equal(_qemuPid, controller.RunningPid(viaLink));
            Assert.False(QemuProcess.IsOurQemu(Environment.ProcessId, viaLink)); // a live process that is not the lock holder
            controller.CleanStale(viaLink, null);
            Assert.True(File.Exists(real.PidFile));
            Assert.True(File.Exists(real.QmpSocket));
            Assert.True(Native.IsInUseByOther(real.Disk));
            Assert.False(Native.IsInUseByOther(Path.Combine(_root, "missing.qcow2")));

            // A QEMU that holds the disk but whose pid file was deleted: its socket is still not stale.
            string moved = real.PidFile + ".moved";
            File.Move(real.PidFile, moved);
            Assert.Null(controller.RunningPid(viaLink));
            controller.CleanStale(viaLink, null);
            Assert.True(File.Exists(real.QmpSocket));
            File.Move(moved, real.PidFile); // the same inode: QEMU's lock comes back with it

            await controller.KillAsync(viaLink, null, CancellationToken.None);
            Assert.False(QemuProcess.IsOurQemu(_qemuPid, viaLink));
            Assert.Null(controller.RunningPid(viaLink));
            Assert.False(Native.IsInUseByOther(real.Disk));
            controller.CleanStale(viaLink, null);
            Assert.False(File.Exists(real.QmpSocket));
            _qemuPid = 0;
        }

        [Fact]
        public void A_pid_file_whose_qemu_died_names_no_process()
        {
            var dead = new VmPaths(_root, "dead");
            Directory.CreateDirectory(dead.Directory);
            string pidFile = dead.PidFile;
            File.WriteAllText(pidFile, Environment.ProcessId + "\n"); // a live pid, but nobody holds the lock
            Assert.False(Native.IsLockedByOther(pidFile));
            Assert.False(Native.IsLockedByOther(Path.Combine(_root, "missing.pid")));
            Assert.Null(new DfVmEngine(_root).Controller.RunningPid(dead));
            Assert.False(QemuProcess.IsOurQemu(Environment.ProcessId, dead));
        }

        public void Dispose()
        {
            // Our QEMU, also when a failed assertion left its pid file moved aside.
            foreach (string pidFile in new[] { Path.Combine(_root, "real", "vm", "q", "qemu.pid"), Path.Combine(_root, "real", "vm", "q", "qemu.pid.moved") })
            {
                if (_qemuPid > 0 && Native.IsLockedByOther(pidFile) && File.ReadAllText(pidFile).Trim() == _qemuPid.ToString())
                {
                    Native.Kill(_qemuPid, Native.SIGKILL);
                }
            }
            try { File.Delete(_link); } catch (IOException) { }
            foreach (var d in Directory.GetDirectories(_root, "*", SearchOption.AllDirectories)) Native.Chmod(d, 0x1C0);
            Directory.Delete(_root, true);
        }
    }
}
