using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Instances;
using DfVm.Core.Snapshots;
using DfVm.Core.Util;
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

        /// <summary>
        /// Issue 19 (the flaky Faults.Runtime case): a process killed while its QEMU was starting leaves that QEMU
        /// starting on its own, invisible to the pid-file check until it locks its pid file. Here that launch is made
        /// for real (the restore's own command line, through the same "sh writes its pid, then execs QEMU") and held
        /// stopped; it goes on while recovery works. Before, recovery took the VM for stopped, resumed a second QEMU
        /// that lost the pid file to the first, and Start-DfVm returned a VM with no state: "is not running".
        /// </summary>
        [Fact]
        public async Task A_live_restore_killed_while_its_QEMU_was_starting_is_finished_by_the_next_start()
        {
            using (var vm = await SnapshotTestVm.CreateLinuxGuestAsync("lf"))
            {
                await vm.Controller.StartAsync(vm.Paths, new StartOptions { Timeout = TimeSpan.FromMinutes(8) }, null, None);
                await RunAsync(vm, "echo saved > /tmp/dfvm-mark");
                Assert.True((await vm.Manager.CheckpointAsync(vm.Paths, "warm", new TestReporter(_out), None)).Live);
                await RunAsync(vm, "echo changed > /tmp/dfvm-mark");
                int port = vm.Store.LoadState(vm.Paths).SshPort;

                // The restore dies right before it launches QEMU (disk swapped, journal says so) ...
                vm.Steps.OnStep = s => { if (s == "start") throw new SimulatedCrashException(s); };
                await Assert.ThrowsAsync<SnapshotAbandonedException>(() => vm.Manager.RestoreAsync(vm.Paths, "warm", null, new TestReporter(_out), None));
                vm.Steps.OnStep = null;

                // ... but its QEMU launch had begun: the dying process's child, stopped before it execs QEMU.
                var def = vm.Store.LoadDefinition(vm.Paths);
                var argv = DfVm.Core.Qemu.QemuCommandLine.Build(def, vm.Paths, "tcg", port, File.ReadAllText(vm.Paths.PublicKey).Trim(), null, incomingDefer: true);
                var launch = new System.Collections.Generic.List<string> { "-c", "echo $$ > \"$0\" && kill -STOP $$ && exec \"$@\"", vm.Paths.LaunchMarker, DfVm.Core.Qemu.QemuTools.SystemEmulator };
                launch.AddRange(argv);
                var psi = DfVm.Core.Util.ProcessRunner.StartInfo("/bin/sh", launch);
                psi.RedirectStandardOutput = psi.RedirectStandardError = psi.RedirectStandardInput = false;
                using (var orphan = System.Diagnostics.Process.Start(psi))
                {
                    var stopped = System.Diagnostics.Stopwatch.StartNew();
                    while (!IsStopped(orphan.Id) && stopped.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(20);
                    Assert.True(IsStopped(orphan.Id), "the orphan launch stopped itself");
                    bool continued = false;
                    void Continue()
                    {
                        if (continued) return;
                        continued = true;
                        Native.Kill(orphan.Id, 18 /* SIGCONT */);
                        // It has taken the VM once its pid file is locked (or it has given up).
                        var w = System.Diagnostics.Stopwatch.StartNew();
                        while (vm.Controller.RunningPid(vm.Paths) == null && !orphan.HasExited && w.Elapsed < TimeSpan.FromSeconds(120)) Thread.Sleep(20);
                    }
                    // The orphan goes on by itself after a while, and at the latest once recovery, having found no
                    // QEMU, starts making the disk anew for a resume of its own.
                    vm.Steps.OnStep = s => { if (s == "recover:overlay") Continue(); };
                    var timer = Task.Run(async () => { await Task.Delay(3000); Continue(); });
                    var reporter = new TestReporter(_out);
                    await vm.Controller.StartAsync(vm.Paths, new StartOptions { Timeout = TimeSpan.FromMinutes(5) }, reporter, None);
                    await timer;
                    vm.Steps.OnStep = null;

                    Assert.Equal("saved", await RunAsync(vm, "cat /tmp/dfvm-mark"));
                    Assert.False(File.Exists(vm.Files.Journal), "journal left behind");
                    Assert.False(File.Exists(vm.Paths.LaunchMarker), "launch marker left behind");
                    orphan.WaitForExit(30000);
                }
                await vm.Controller.StopAsync(vm.Paths, true, TimeSpan.FromSeconds(10), null, None);
                Assert.Null(vm.Controller.RunningPid(vm.Paths));
                vm.AssertConsistent();
                await vm.AssertImagesCleanAsync();
            }
        }

        private static bool IsStopped(int pid)
        {
            try
            {
                string text = File.ReadAllText($"/proc/{pid}/stat");
                return text[text.LastIndexOf(')') + 2] == 'T';
            }
            catch (IOException) { return false; }
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
