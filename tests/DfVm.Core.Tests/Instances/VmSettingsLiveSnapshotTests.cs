using System.IO;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Instances;
using DfVm.Core.Snapshots;
using DfVm.Core.Tests.Snapshots;
using Xunit;

namespace DfVm.Core.Tests.Instances
{
    /// <summary>
    /// Issue 19 item 8: Set-DfVm on a running VM, then a live checkpoint. The snapshot holds the machine QEMU ran
    /// (here 256 MB, 1 CPU) while the definition already says 512 MB and 2 CPUs for the next boot. Before, setting
    /// the VM back to 256 MB was refused (LiveSnapshotWouldNotLoad), though it is the only size the snapshot loads into.
    /// </summary>
    [Collection("Snapshots")]
    public sealed class VmSettingsLiveSnapshotTests
    {
        [Fact]
        public async Task A_size_a_live_snapshot_was_taken_with_or_pending_for_can_be_set_another_cannot()
        {
            using (var vm = await SnapshotTestVm.CreateAsync())
            {
                await vm.Manager.CheckpointAsync(vm.Paths, "s1", null, CancellationToken.None);
                // A stopped VM's snapshot made live by hand (a layer and a state file): what a live checkpoint leaves.
                File.WriteAllText(vm.Files.State("s1"), "not loaded in this test");
                var record = SnapshotStore.ReadRecord(vm.Files, "s1");
                record.Live = true;
                record.MemoryMB = 256;
                record.Cpus = 1;
                record.DefinitionMemoryMB = 512;
                record.DefinitionCpus = 2;
                File.Delete(vm.Files.Metadata("s1"));
                SnapshotFiles.Commit(vm.Files, record);
                var def = vm.Store.LoadDefinition(vm.Paths);
                def.MemoryMB = 512;
                def.Cpus = 2;
                vm.Store.SaveDefinition(vm.Paths, def);
                Assert.True(SnapshotStore.Get(vm.Paths, "s1").Live);

                // Back to the running machine's size, and forward again to the pending one: both load the snapshot.
                Assert.Equal(2, new VmSettings { MemoryMB = 256, Cpus = 1 }.Apply(vm.Store, vm.Paths, CancellationToken.None).Count);
                Assert.Equal(256, vm.Store.LoadDefinition(vm.Paths).MemoryMB);
                Assert.Equal(2, new VmSettings { MemoryMB = 512, Cpus = 2 }.Apply(vm.Store, vm.Paths, CancellationToken.None).Count);
                Assert.Equal(512, vm.Store.LoadDefinition(vm.Paths).MemoryMB);

                // Any other size is refused, and nothing is written.
                string before = File.ReadAllText(vm.Paths.Definition);
                foreach (var change in new[] { new VmSettings { MemoryMB = 1024 }, new VmSettings { Cpus = 4 }, new VmSettings { MemoryMB = 256, Cpus = 4 } })
                {
                    var e = Assert.Throws<DfVmException>(() => change.Apply(vm.Store, vm.Paths, CancellationToken.None));
                    Assert.Equal(ErrorIds.LiveSnapshotWouldNotLoad, e.ErrorId);
                    Assert.Contains("'s1' holds 256 MB and 1 CPU(s)", e.Message);
                }
                Assert.Equal(before, File.ReadAllText(vm.Paths.Definition));
            }
        }
    }
}
