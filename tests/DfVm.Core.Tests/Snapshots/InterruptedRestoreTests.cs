using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Instances;
using DfVm.Core.Snapshots;
using Xunit;
using Xunit.Abstractions;

namespace DfVm.Core.Tests.Snapshots
{
    /// <summary>
    /// Issue 10 item 11: a live restore cut short after it swapped the disk owes the resume. The next
    /// start finishes it from the journal: the guest comes back with the snapshot's memory (a file in
    /// RAM-backed /tmp), never a cold boot of the snapshot's layer.
    /// </summary>
    [Collection("Snapshots")]
    public sealed class InterruptedRestoreTests
    {
        private static readonly CancellationToken None = CancellationToken.None;
        private readonly ITestOutputHelper _out;

        public InterruptedRestoreTests(ITestOutputHelper output) { _out = output; }

        private static async Task<string> RunAsync(SnapshotTestVm vm, string command)
        {
            var r = await vm.Controller.InvokeCommandAsync(vm.Paths, command, null, null, None);
            Assert.True(r.ExitCode == 0, $"{command}: exit {r.ExitCode} {r.Error}");
            return r.Output.Trim();
        }

        [Fact]
        public async Task A_live_restore_cut_short_after_the_disk_swap_resumes_the_saved_memory_on_the_next_start()
        {
            using (var vm = await SnapshotTestVm.CreateLinuxGuestAsync("ir"))
            {
                await vm.Controller.StartAsync(vm.Paths, new StartOptions { Timeout = TimeSpan.FromMinutes(5) }, null, None);
                await RunAsync(vm, "echo saved > /tmp/dfvm-mark");
                Assert.True((await vm.Manager.CheckpointAsync(vm.Paths, "warm", new TestReporter(_out), None)).Live);
                await RunAsync(vm, "echo changed > /tmp/dfvm-mark");

                // Cut short after the old QEMU was ended and the disk swapped, before the saved memory was loaded.
                vm.Steps.OnStep = s => { if (s == "start") throw new SimulatedCrashException(s); };
                await Assert.ThrowsAsync<SnapshotAbandonedException>(() => vm.Manager.RestoreAsync(vm.Paths, "warm", null, new TestReporter(_out), None));
                vm.Steps.OnStep = null;
                Assert.Null(vm.Controller.RunningPid(vm.Paths));
                Assert.True(File.Exists(vm.Files.Journal), "a live restore writes a journal");

                await vm.Controller.StartAsync(vm.Paths, new StartOptions { Timeout = TimeSpan.FromMinutes(5) }, new TestReporter(_out), None);
                Assert.Equal("saved", await RunAsync(vm, "cat /tmp/dfvm-mark"));
                Assert.False(File.Exists(vm.Files.Journal), "journal left behind");

                await vm.Controller.StopAsync(vm.Paths, true, TimeSpan.FromSeconds(10), null, None);
                vm.AssertConsistent();
                await vm.AssertImagesCleanAsync();
            }
        }

        [Fact]
        public async Task A_live_restore_cut_short_before_the_disk_swap_leaves_the_disk_as_it_was()
        {
            using (var vm = await SnapshotTestVm.CreateAsync())
            {
                // A stopped VM's "live" snapshot needs no guest here: a layer and a state file make it live.
                await vm.WriteAsync(0x11, "0", "1M");
                await vm.Manager.CheckpointAsync(vm.Paths, "s1", null, None);
                File.WriteAllText(vm.Files.State("s1"), "not loaded in this test");
                var record = SnapshotStore.ReadRecord(vm.Files, "s1");
                record.Live = true;
                File.Delete(vm.Files.Metadata("s1"));
                SnapshotFiles.Commit(vm.Files, record);
                await vm.WriteAsync(0x22, "0", "1M");

                vm.Steps.OnStep = s => { if (s == "swap") throw new SimulatedCrashException(s); };
                await Assert.ThrowsAsync<SnapshotAbandonedException>(() => vm.Manager.RestoreAsync(vm.Paths, "s1", null, null, None));
                vm.Steps.OnStep = null;
                Assert.True(File.Exists(vm.Files.Journal));

                await vm.Manager.RecoverAsync(vm.Paths, null, CancellationToken.None);
                vm.AssertConsistent();
                Assert.Null(vm.Controller.RunningPid(vm.Paths));
                await vm.AssertReadsAsync(0x22, "0", "1M");
                await vm.AssertImagesCleanAsync();
            }
        }
    }
}
