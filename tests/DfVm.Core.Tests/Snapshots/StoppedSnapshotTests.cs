using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Snapshots;
using Xunit;
using Xunit.Abstractions;

namespace DfVm.Core.Tests.Snapshots
{
    /// <summary>Disk snapshots of a stopped VM: real qcow2 chains, real qemu-img and qemu-io.</summary>
    // One class at a time: the timing checks must not compete with each other's QEMUs and qemu-img runs.
    [Collection("Snapshots")]
    public sealed class StoppedSnapshotTests
    {
        private readonly ITestOutputHelper _out;

        public StoppedSnapshotTests(ITestOutputHelper output) { _out = output; }

        [Fact]
        public async Task Checkpoint_and_restore_copy_no_data_on_an_empty_and_a_1GiB_disk()
        {
            // Flat in size by construction: the checkpoint renames the disk (same inode, no copy) and the
            // restore makes a fresh overlay, a few hundred KiB whatever the layer holds. The times are the
            // benchmark's to measure (bench/snapshot.bench.ps1); a wall-clock bound here failed under load.
            foreach (bool full in new[] { false, true })
            {
                using (var vm = await SnapshotTestVm.CreateAsync())
                {
                    if (full) await vm.WriteAsync(0xab, "0", "1G");
                    string inode = SnapshotTestVm.Inode(vm.Paths.Disk);

                    var snap = await vm.Manager.CheckpointAsync(vm.Paths, "s1", null, CancellationToken.None);
                    Assert.Equal("s1", snap.Name);
                    Assert.False(snap.Live);
                    Assert.True(snap.Current);
                    // No copy: the layer is the very file that was the disk.
                    Assert.Equal(inode, SnapshotTestVm.Inode(vm.Files.Image("s1")));
                    if (full) Assert.True(snap.SizeBytes > 1L << 30);
                    Assert.True(new FileInfo(vm.Paths.Disk).Length < 4L << 20, "the new overlay holds data");

                    await vm.WriteAsync(0xcd, "0", "64M");
                    await vm.Manager.RestoreAsync(vm.Paths, "s1", null, null, CancellationToken.None);
                    // The layer was not touched (still the same file) and the disk is a new, small overlay.
                    Assert.Equal(inode, SnapshotTestVm.Inode(vm.Files.Image("s1")));
                    Assert.True(new FileInfo(vm.Paths.Disk).Length < 4L << 20, "the restored disk is a copy, not an overlay");
                    await vm.AssertReadsAsync(full ? (byte)0xab : (byte)0x00, "0", "1G");
                    vm.AssertConsistent();
                    await vm.AssertImagesCleanAsync();
                }
            }
        }

        [Fact]
        public async Task Restore_gives_back_the_exact_disk_of_each_snapshot()
        {
            using (var vm = await SnapshotTestVm.CreateAsync())
            {
                await vm.WriteAsync(0x11, "0", "4M");
                await vm.Manager.CheckpointAsync(vm.Paths, "one", null, CancellationToken.None);
                await vm.WriteAsync(0x22, "1M", "2M");
                await vm.Manager.CheckpointAsync(vm.Paths, "two", null, CancellationToken.None);
                await vm.WriteAsync(0x33, "0", "4M");

                await vm.Manager.RestoreAsync(vm.Paths, "one", null, null, CancellationToken.None);
                await vm.AssertReadsAsync(0x11, "0", "4M");
                await vm.WriteAsync(0x44, "0", "1M"); // a branch off "one"
                await vm.Manager.RestoreAsync(vm.Paths, "two", null, null, CancellationToken.None);
                await vm.AssertReadsAsync(0x11, "0", "1M");
                await vm.AssertReadsAsync(0x22, "1M", "2M");
                await vm.AssertReadsAsync(0x11, "3M", "1M");
                await vm.Manager.RestoreAsync(vm.Paths, "one", null, null, CancellationToken.None);
                await vm.AssertReadsAsync(0x11, "0", "4M");

                // The layers never changed.
                await vm.AssertReadsAsync(0x11, "0", "4M", vm.Files.Image("one"));
                vm.AssertConsistent();
                await vm.AssertImagesCleanAsync();
            }
        }

        [Fact]
        public async Task Names_are_checked_and_listed()
        {
            using (var vm = await SnapshotTestVm.CreateAsync("dfly"))
            {
                var e = await Assert.ThrowsAsync<DfVmException>(() => vm.Manager.CheckpointAsync(vm.Paths, "../x", null, CancellationToken.None));
                Assert.Equal(ErrorIds.InvalidSnapshotName, e.ErrorId);
                var auto = await vm.Manager.CheckpointAsync(vm.Paths, null, null, CancellationToken.None);
                Assert.Matches("^dfly-[0-9]{8}-[0-9]{6}$", auto.Name);
                var second = await vm.Manager.CheckpointAsync(vm.Paths, null, null, CancellationToken.None);
                Assert.NotEqual(auto.Name, second.Name);
                Assert.Equal(auto.Name, second.Parent);
                e = await Assert.ThrowsAsync<DfVmException>(() => vm.Manager.CheckpointAsync(vm.Paths, auto.Name, null, CancellationToken.None));
                Assert.Equal(ErrorIds.SnapshotExists, e.ErrorId);
                e = await Assert.ThrowsAsync<DfVmException>(() => vm.Manager.RestoreAsync(vm.Paths, "nosuch", null, null, CancellationToken.None));
                Assert.Equal(ErrorIds.SnapshotNotFound, e.ErrorId);
                Assert.Equal(DfVmErrorKind.NotFound, e.Kind);

                var list = SnapshotStore.List(vm.Paths);
                Assert.Equal(new[] { auto.Name, second.Name }, list.Select(s => s.Name));
                Assert.Null(list[0].Parent);
                Assert.Equal(new[] { second.Name }, list[0].Children);
                Assert.True(list[1].Current);
                Assert.Equal("dfly", list[1].VmName);
                Assert.Equal(2, SnapshotStore.Count(vm.Paths));
                Assert.Equal(2, (await vm.Controller.GetAsync(vm.Paths, CancellationToken.None)).Snapshots);
            }
        }

        [Fact]
        public async Task Remove_refuses_to_break_a_chain_and_merge_keeps_every_byte()
        {
            using (var vm = await SnapshotTestVm.CreateAsync())
            {
                await vm.WriteAsync(0x11, "0", "1M");
                await vm.Manager.CheckpointAsync(vm.Paths, "s1", null, CancellationToken.None);
                await vm.WriteAsync(0x22, "1M", "1M");
                await vm.Manager.CheckpointAsync(vm.Paths, "s2", null, CancellationToken.None);
                await vm.WriteAsync(0x33, "2M", "1M");
                await vm.WriteAsync(0x2f, "0", "64k"); // s3 also hides part of s1
                await vm.Manager.CheckpointAsync(vm.Paths, "s3", null, CancellationToken.None);
                await vm.WriteAsync(0x44, "3M", "1M");

                var e = await Assert.ThrowsAsync<DfVmException>(() => vm.Manager.RemoveAsync(vm.Paths, "s2", false, null, CancellationToken.None));
                Assert.Equal(ErrorIds.SnapshotInUse, e.ErrorId);
                e = await Assert.ThrowsAsync<DfVmException>(() => vm.Manager.RemoveAsync(vm.Paths, "s3", false, null, CancellationToken.None));
                Assert.Equal(ErrorIds.SnapshotInUse, e.ErrorId);
                Assert.Equal(3, SnapshotStore.Count(vm.Paths));

                // Middle of the chain: s3 is restacked on s1.
                await vm.Manager.RemoveAsync(vm.Paths, "s2", true, null, CancellationToken.None);
                Assert.Equal("s1", SnapshotStore.Get(vm.Paths, "s3").Parent);
                await AssertAllLayers(vm, current: true);
                await vm.AssertReadsAsync(0x2f, "0", "64k", vm.Files.Image("s3"));
                await vm.AssertReadsAsync(0x22, "1M", "1M", vm.Files.Image("s3"));
                await vm.AssertReadsAsync(0x33, "2M", "1M", vm.Files.Image("s3"));
                Assert.Equal("444", SnapshotTestVm.Mode(vm.Files.Image("s3")));

                // Directly under the disk.
                await vm.Manager.RemoveAsync(vm.Paths, "s3", true, null, CancellationToken.None);
                await AssertAllLayers(vm, current: true);

                // The root: the disk becomes standalone.
                await vm.Manager.RemoveAsync(vm.Paths, "s1", true, null, CancellationToken.None);
                await AssertAllLayers(vm, current: true);
                Assert.Equal(0, SnapshotStore.Count(vm.Paths));
                Assert.Null(QcowHeader.BackingPath(vm.Paths.Disk));

                // A leaf that nothing depends on goes without -Merge.
                await vm.Manager.CheckpointAsync(vm.Paths, "a", null, CancellationToken.None);
                await vm.Manager.CheckpointAsync(vm.Paths, "b", null, CancellationToken.None);
                await vm.Manager.RestoreAsync(vm.Paths, "a", null, null, CancellationToken.None);
                await vm.Manager.RemoveAsync(vm.Paths, "b", false, null, CancellationToken.None);
                Assert.False(File.Exists(vm.Files.Image("b")));
                await AssertAllLayers(vm, current: true);
                vm.AssertConsistent();
                await vm.AssertImagesCleanAsync();
            }
        }

        private static async Task AssertAllLayers(SnapshotTestVm vm, bool current)
        {
            await vm.AssertReadsAsync(0x2f, "0", "64k");
            await vm.AssertReadsAsync(0x11, "64k", "960k");
            await vm.AssertReadsAsync(0x22, "1M", "1M");
            await vm.AssertReadsAsync(0x33, "2M", "1M");
            await vm.AssertReadsAsync(0x44, "3M", "1M");
        }
    }
}
