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
    /// <summary>
    /// The process "dies" before each step of each operation (the step hook throws and nothing cleans up),
    /// and recovery, itself cut short before each of its own steps once, must leave a whole VM:
    /// the previous or the new state, every byte readable, qemu-img check clean, further snapshots working.
    /// </summary>
    // One class at a time: the timing checks must not compete with each other's QEMUs and qemu-img runs.
    [Collection("Snapshots")]
    public sealed class CrashRecoveryTests
    {
        private readonly ITestOutputHelper _out;

        public CrashRecoveryTests(ITestOutputHelper output) { _out = output; }

        private static List<string> StepsOf(Action<Action<string>> run)
        {
            var steps = new List<string>();
            run(s => steps.Add(s));
            return steps;
        }

        /// <summary>Runs <paramref name="operation"/> crashing before <paramref name="crashAt"/>, then a recovery crashing before its step <paramref name="recoveryCrashAt"/> (if any), then a full recovery.</summary>
        private static async Task CrashThenRecoverAsync(SnapshotTestVm vm, Func<Task> operation, Action<Action<string>> setHook, string crashAt, string recoveryCrashAt, List<string> recoverySteps)
        {
            setHook(s => { if (s == crashAt) throw new SimulatedCrashException(s); });
            await Assert.ThrowsAsync<SnapshotAbandonedException>(operation);
            setHook(null);
            vm.Steps.OnStep = s =>
            {
                recoverySteps?.Add(s);
                if (s == recoveryCrashAt) throw new SimulatedCrashException(s);
            };
            try { await vm.Manager.RecoverAsync(vm.Paths, null, CancellationToken.None); }
            catch (SnapshotAbandonedException) { }
            vm.Steps.OnStep = null;
            await vm.Manager.RecoverAsync(vm.Paths, null, CancellationToken.None);
        }

        [Fact]
        public async Task Checkpoint_of_a_stopped_vm_survives_a_crash_before_any_step()
        {
            List<string> steps;
            using (var probe = await SnapshotTestVm.CreateAsync())
            {
                steps = new List<string>();
                probe.Steps.OnStep = steps.Add;
                await probe.Manager.CheckpointAsync(probe.Paths, "s1", null, CancellationToken.None);
            }
            _out.WriteLine("checkpoint steps: " + string.Join(", ", steps));
            Assert.Equal(6, steps.Count);

            foreach (string step in steps)
            {
                // First pass: recovery runs whole and names its steps; then it is cut short before each of them.
                var recoveryCrashes = new List<string> { null };
                for (int i = 0; i < recoveryCrashes.Count; i++)
                {
                    string recoveryCrash = recoveryCrashes[i];
                    var recoverySteps = i == 0 ? new List<string>() : null;
                    using (var vm = await SnapshotTestVm.CreateAsync())
                    {
                        await vm.WriteAsync(0x11, "0", "1M");
                        await vm.Manager.CheckpointAsync(vm.Paths, "s0", null, CancellationToken.None);
                        await vm.WriteAsync(0x22, "1M", "1M");

                        await CrashThenRecoverAsync(vm, () => vm.Manager.CheckpointAsync(vm.Paths, "s1", null, CancellationToken.None),
                            h => vm.Steps.OnStep = h, step, recoveryCrash, recoverySteps);

                        vm.AssertConsistent();
                        await vm.AssertReadsAsync(0x11, "0", "1M");
                        await vm.AssertReadsAsync(0x22, "1M", "1M");
                        bool taken = File.Exists(vm.Files.Metadata("s1"));
                        Assert.Equal(taken ? "s1" : "s0", SnapshotStore.List(vm.Paths).Single(s => s.Current).Name);
                        if (taken) await vm.AssertReadsAsync(0x22, "1M", "1M", vm.Files.Image("s1"));
                        _out.WriteLine($"crash before {step}, recovery crash before {recoveryCrash ?? "-"}: {(taken ? "new" : "previous")} state");

                        await vm.WriteAsync(0x33, "2M", "1M");
                        await vm.Manager.CheckpointAsync(vm.Paths, "s2", null, CancellationToken.None);
                        await vm.AssertReadsAsync(0x33, "2M", "1M");
                        await vm.AssertImagesCleanAsync();
                    }
                    if (recoverySteps != null) recoveryCrashes.AddRange(recoverySteps);
                }
            }
        }

        [Fact]
        public async Task A_merge_whose_qemu_img_is_killed_half_way_is_finished_and_loses_nothing()
        {
            using (var vm = await SnapshotTestVm.CreateAsync())
            {
                await vm.WriteAsync(0x11, "0", "1G");
                await vm.Manager.CheckpointAsync(vm.Paths, "s1", null, CancellationToken.None);
                await vm.WriteAsync(0x22, "0", "1M");
                await vm.Manager.CheckpointAsync(vm.Paths, "s2", null, CancellationToken.None);
                await vm.WriteAsync(0x33, "1M", "1M");

                // Removing s1 copies its 1 GiB into s2: cancelling kills that qemu-img rebase mid-copy. The cancel
                // comes once the rebase process is seen running (a fixed delay let a fast merge finish first).
                using (var cts = new CancellationTokenSource())
                {
                    var remove = vm.Manager.RemoveAsync(vm.Paths, "s1", true, new TestReporter(_out), cts.Token);
                    var deadline = DateTime.UtcNow.AddSeconds(60);
                    while (!remove.IsCompleted && !RebaseRunning(vm.Files.Image("s2")) && DateTime.UtcNow < deadline) await Task.Delay(10);
                    Assert.False(remove.IsCompleted, "the merge ended before its qemu-img rebase was seen running");
                    await Task.Delay(100);
                    cts.Cancel();
                    await Assert.ThrowsAnyAsync<OperationCanceledException>(() => remove);
                }
                vm.AssertConsistent();
                Assert.False(File.Exists(vm.Files.Metadata("s1")));
                Assert.Null(SnapshotStore.Get(vm.Paths, "s2").Parent);
                await vm.AssertReadsAsync(0x22, "0", "1M");
                await vm.AssertReadsAsync(0x33, "1M", "1M");
                await vm.AssertReadsAsync(0x11, "2M", "254M");
                await vm.AssertReadsAsync(0x11, "2M", "254M", vm.Files.Image("s2"));
                await vm.AssertImagesCleanAsync();
            }
        }

        [Fact]
        public async Task Remove_with_merge_survives_a_crash_before_any_step()
        {
            List<string> steps = null;
            foreach (int pass in new[] { 0, 1 })
            {
                foreach (string step in pass == 0 ? new string[] { null } : steps.ToArray())
                {
                    using (var vm = await SnapshotTestVm.CreateAsync())
                    {
                        await vm.WriteAsync(0x11, "0", "2M");
                        await vm.Manager.CheckpointAsync(vm.Paths, "s1", null, CancellationToken.None);
                        await vm.WriteAsync(0x22, "1M", "2M");
                        await vm.Manager.CheckpointAsync(vm.Paths, "s2", null, CancellationToken.None);
                        await vm.WriteAsync(0x33, "2M", "2M");
                        await vm.Manager.CheckpointAsync(vm.Paths, "s3", null, CancellationToken.None);
                        await vm.WriteAsync(0x44, "3M", "2M");

                        if (pass == 0)
                        {
                            steps = new List<string>();
                            vm.Steps.OnStep = steps.Add;
                            await vm.Manager.RemoveAsync(vm.Paths, "s2", true, null, CancellationToken.None);
                            _out.WriteLine("remove steps: " + string.Join(", ", steps));
                        }
                        else
                        {
                            await CrashThenRecoverAsync(vm, () => vm.Manager.RemoveAsync(vm.Paths, "s2", true, null, CancellationToken.None),
                                h => vm.Steps.OnStep = h, step, "recover:rebase:s3", null);
                        }

                        vm.AssertConsistent();
                        bool gone = !File.Exists(vm.Files.Metadata("s2"));
                        Assert.Equal(gone ? "s1" : "s2", SnapshotStore.Get(vm.Paths, "s3").Parent);
                        await vm.AssertReadsAsync(0x11, "0", "1M");
                        await vm.AssertReadsAsync(0x22, "1M", "1M");
                        await vm.AssertReadsAsync(0x33, "2M", "1M");
                        await vm.AssertReadsAsync(0x44, "3M", "2M");
                        await vm.AssertReadsAsync(0x33, "2M", "2M", vm.Files.Image("s3"));
                        await vm.AssertReadsAsync(0x22, "1M", "1M", vm.Files.Image("s3"));
                        await vm.AssertImagesCleanAsync();
                        _out.WriteLine($"crash before {step ?? "-"}: snapshot {(gone ? "removed" : "kept")}");
                    }
                }
            }
            Assert.Contains("rebase:s3", steps);
        }

        [Fact]
        public async Task Restore_survives_a_crash_before_any_step_and_a_failed_step_is_undone()
        {
            foreach (string step in new[] { "overlay", "swap" })
            {
                using (var vm = await SnapshotTestVm.CreateAsync())
                {
                    await vm.WriteAsync(0x11, "0", "1M");
                    await vm.Manager.CheckpointAsync(vm.Paths, "s1", null, CancellationToken.None);
                    await vm.WriteAsync(0x22, "0", "1M");
                    await CrashThenRecoverAsync(vm, () => vm.Manager.RestoreAsync(vm.Paths, "s1", null, null, CancellationToken.None),
                        h => vm.Steps.OnStep = h, step, null, null);
                    vm.AssertConsistent();
                    await vm.AssertReadsAsync(0x22, "0", "1M"); // the swap is the last step: before it, the previous state
                    await vm.AssertImagesCleanAsync();
                }
            }

            using (var vm = await SnapshotTestVm.CreateAsync())
            {
                // A real failure (not a crash) in the middle of a checkpoint is finished or undone at once.
                await vm.WriteAsync(0x11, "0", "1M");
                vm.Steps.OnStep = s => { if (s == "rename-disk") throw new IOException("disk full (test)"); };
                var e = await Assert.ThrowsAsync<DfVmException>(() => vm.Manager.CheckpointAsync(vm.Paths, "s1", null, CancellationToken.None));
                Assert.Equal(ErrorIds.SnapshotFailed, e.ErrorId);
                vm.AssertConsistent();
                Assert.Equal(0, SnapshotStore.Count(vm.Paths));

                vm.Steps.OnStep = s => { if (s == "commit") throw new IOException("disk full (test)"); };
                var snap = await vm.Manager.CheckpointAsync(vm.Paths, "s1", null, CancellationToken.None);
                Assert.Equal("s1", snap.Name);
                vm.AssertConsistent();
                await vm.AssertReadsAsync(0x11, "0", "1M");
                await vm.AssertImagesCleanAsync();
            }
        }

        /// <summary>True while a qemu-img rebase of <paramref name="image"/> runs (read from /proc: a test of this Linux host).</summary>
        private static bool RebaseRunning(string image)
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                try
                {
                    string cmd = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                    if (cmd.Contains("qemu-img") && cmd.Contains("rebase") && cmd.Contains(Path.GetFileName(image))) return true;
                }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
            return false;
        }
    }
}
