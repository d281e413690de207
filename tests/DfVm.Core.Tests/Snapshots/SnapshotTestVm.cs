using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core;
using DfVm.Core.Instances;
using DfVm.Core.Qemu;
using DfVm.Core.Snapshots;
using DfVm.Core.Util;
using Xunit;

namespace DfVm.Core.Tests.Snapshots
{
    /// <summary>
    /// A real VM folder (made by VmFactory) under a short temp root, for snapshot tests. Data is written
    /// and checked with qemu-io, images with qemu-img check. Dispose kills its QEMU by pid and deletes the root.
    /// </summary>
    internal sealed class SnapshotTestVm : IDisposable
    {
        public const string QemuIo = "/usr/bin/qemu-io";

        private SnapshotTestVm(string root, DfVmEngine engine, StepProbe steps, VmPaths paths)
        {
            Root = root;
            Engine = engine;
            Steps = steps;
            Paths = paths;
            Files = new SnapshotPaths(paths);
            Manager = engine.Snapshots;
            Controller = engine.Controller;
        }

        public string Root { get; }
        public DfVmEngine Engine { get; }
        /// <summary>The engine's snapshot step probe: a test sets <see cref="StepProbe.OnStep"/> to watch steps or crash before one.</summary>
        public StepProbe Steps { get; }
        public VmStore Store => Engine.Store;
        public VmPaths Paths { get; }
        public SnapshotPaths Files { get; }
        public SnapshotManager Manager { get; }
        public VmController Controller { get; }

        /// <summary>An engine with a step probe on a new store under <paramref name="root"/>, and the VM made in it.</summary>
        private static async Task<SnapshotTestVm> MakeAsync(string root, VmDefinition def)
        {
            var steps = new StepProbe();
            var engine = new DfVmEngine(Path.Combine(root, "vm"), new EngineSeams { SnapshotSteps = steps });
            var paths = await engine.Factory.CreateAsync(def, false, null, CancellationToken.None).ConfigureAwait(false);
            return new SnapshotTestVm(root, engine, steps, paths);
        }

        public static async Task<SnapshotTestVm> CreateAsync(string name = "t", int memoryMB = 256)
        {
            string root = Path.Combine("/tmp", "dfs-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            var def = new VmDefinition
            {
                Name = name,
                MemoryMB = memoryMB,
                Cpus = 1,
                DiskSizeGB = 2,
                Accelerator = "tcg",
                Machine = "q35",
                DiskInterface = "virtio-blk",
                GuestOs = "linux",
            };
            return await MakeAsync(root, def);
        }

        /// <summary>
        /// A VM of the Linux test guest (DFVM_TEST_GUEST, else tests/guest/build-guest.sh's cache: TestGuestVm.LoadGuest), not started.
        /// </summary>
        public static async Task<SnapshotTestVm> CreateLinuxGuestAsync(string name)
        {
            JsonElement guest = DfVm.Core.Tests.Install.TestGuestVm.LoadGuest();

            string root = Path.Combine("/tmp", "dfs-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            var def = new VmDefinition
            {
                Name = name,
                MemoryMB = 512,
                Cpus = 1,
                GuestOs = "linux",
                Accelerator = "tcg",
                Machine = "q35",
                NicModel = "virtio-net-pci",
                DiskInterface = "virtio-blk",
                BaseImage = guest.GetProperty("disk").GetString(),
                Boot = new DirectBoot
                {
                    Kernel = guest.GetProperty("kernel").GetString(),
                    Initrd = guest.GetProperty("initrd").GetString(),
                    Append = guest.GetProperty("append").GetString(),
                },
            };
            return await MakeAsync(root, def);
        }

        public static async Task<ProcessOutcome> RunAsync(string program, params string[] args)
        {
            // A deadline, not a speed check: qemu-io reading 1 GiB took over 120 s on the 2-core machine
            // while other test jobs and sessions ran VMs.
            var outcome = await ProcessRunner.RunAsync(program, args, TimeSpan.FromMinutes(10), CancellationToken.None);
            return outcome;
        }

        /// <summary>Writes <paramref name="pattern"/> over [offset, offset+length) of an image (the VM's disk by default).</summary>
        public async Task WriteAsync(byte pattern, string offset, string length, string image = null)
        {
            var o = await RunAsync(QemuIo, "-f", "qcow2", "-c", $"write -P 0x{pattern:x2} {offset} {length}", image ?? Paths.Disk);
            Assert.True(o.ExitCode == 0 && !o.StdOut.Contains("failed") && !o.StdErr.Contains("failed"), "qemu-io write: " + o.StdOut + o.StdErr);
        }

        /// <summary>True when every byte of the range reads as <paramref name="pattern"/> (through the whole backing chain).</summary>
        public async Task<bool> ReadsAsync(byte pattern, string offset, string length, string image = null)
        {
            var o = await RunAsync(QemuIo, "-r", "-U", "-f", "qcow2", "-c", $"read -P 0x{pattern:x2} {offset} {length}", image ?? Paths.Disk);
            return o.ExitCode == 0 && o.StdOut.Contains("read ") && !o.StdOut.Contains("Pattern verification failed") && !o.StdErr.Contains("failed");
        }

        public async Task AssertReadsAsync(byte pattern, string offset, string length, string image = null) =>
            Assert.True(await ReadsAsync(pattern, offset, length, image), $"{image ?? Paths.Disk} does not read 0x{pattern:x2} at {offset}+{length}");

        /// <summary>qemu-img check is clean (exit 0) on disk.qcow2 and every snapshot layer.</summary>
        public async Task AssertImagesCleanAsync()
        {
            var images = new List<string> { Paths.Disk };
            if (Directory.Exists(Files.Directory)) images.AddRange(Directory.GetFiles(Files.Directory, "*.qcow2"));
            foreach (var image in images)
            {
                var o = await RunAsync(QemuTools.Img, "check", image);
                Assert.True(o.ExitCode == 0, $"qemu-img check {image}: exit {o.ExitCode} {o.StdOut}{o.StdErr}");
            }
        }

        /// <summary>A whole state: disk present, no journal, no temp files, each snapshot complete and read-only.</summary>
        public void AssertConsistent()
        {
            Assert.True(File.Exists(Paths.Disk), "disk.qcow2 missing");
            Assert.False(File.Exists(Files.Journal), "journal left behind");
            Assert.False(File.Exists(Files.DiskTemp), "disk.qcow2.tmp left behind");
            if (!Directory.Exists(Files.Directory)) return;
            Assert.Empty(Directory.GetFiles(Files.Directory, "*.tmp*"));
            foreach (var image in Directory.GetFiles(Files.Directory, "*.qcow2"))
            {
                string name = Path.GetFileNameWithoutExtension(image);
                Assert.True(File.Exists(Files.Metadata(name)), $"layer {image} has no metadata");
                Assert.Equal("444", Mode(image));
            }
            foreach (var meta in Directory.GetFiles(Files.Directory, "*.json"))
            {
                Assert.True(File.Exists(Path.ChangeExtension(meta, ".qcow2")), $"metadata {meta} has no layer");
            }
        }

        public static string Mode(string path) => RunAsync("/usr/bin/stat", "-c", "%a", path).GetAwaiter().GetResult().StdOut.Trim();

        public static string Inode(string path) => RunAsync("/usr/bin/stat", "-c", "%i", path).GetAwaiter().GetResult().StdOut.Trim();

        public static async Task<T> Timed<T>(Func<Task<T>> action, List<double> into)
        {
            var watch = Stopwatch.StartNew();
            var result = await action();
            into.Add(watch.Elapsed.TotalSeconds);
            return result;
        }

        public void KillQemu()
        {
            int? pid = Controller.RunningPid(Paths);
            if (pid == null) return;
            Native.Kill(pid.Value, Native.SIGKILL);
            var watch = Stopwatch.StartNew();
            while (QemuProcess.IsOurQemu(pid.Value, Paths) && watch.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(20);
        }

        public void Dispose()
        {
            try { KillQemu(); } catch (Exception) { }
            Engine.Dispose();
            try
            {
                foreach (var d in Directory.GetDirectories(Root, "*", SearchOption.AllDirectories)) Native.Chmod(d, 0x1C0);
                Directory.Delete(Root, true);
            }
            catch (Exception) { }
        }
    }
}
