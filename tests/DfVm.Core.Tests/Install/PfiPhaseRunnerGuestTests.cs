using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Images;
using DfVm.Core.Install;
using DfVm.Core.Instances;
using Xunit;

namespace DfVm.Core.Tests.Install
{
    /// <summary>
    /// The phase runner against the Linux test guest, whose init runs pfi_script from an attached
    /// disc the way DragonFly's rc.d/pfi does (tests/guest/README.md). Each test boots under
    /// TCG (~10-20 s). Sequential: the machine has two cores.
    /// </summary>
    [Collection("Install guest")]
    public sealed class PfiPhaseRunnerGuestTests
    {
        private static readonly PfiPhase Phase = new PfiPhase("t1", "run.sh");

        [Fact]
        public async Task Phase_succeeds_when_the_guest_powers_off_after_the_done_marker_and_its_work_is_on_the_disk()
        {
            using (var vm = new TestGuestVm())
            {
                string disc = vm.WriteDisc("ok.iso",
                    "#!/bin/sh\necho 'DFVM-PFI: t1 start'\necho written-by-phase >/root/phase-marker\nsync\necho 'DFVM-PFI: t1 done'\n",
                    "pfi_shutdown=YES\n");
                var reporter = new RecordingReporter();
                var runner = new PfiPhaseRunner(vm.Controller);

                var result = await runner.RunPhaseAsync(vm.Paths, Phase, disc, TimeSpan.FromMinutes(4), TimeSpan.FromSeconds(60), reporter, CancellationToken.None);

                Assert.True(result.PoweredOff);
                Assert.Equal("t1", result.Phase);
                Assert.Null(vm.Controller.RunningPid(vm.Paths));
                Assert.Contains(reporter.VerboseLines, l => l == "[t1] DFVM-PFI: t1 done");
                Assert.Contains(reporter.VerboseLines, l => l.StartsWith("[t1] DFVM-GUEST: pfi running run.sh", StringComparison.Ordinal));
                Assert.Contains(reporter.ProgressRecords, p => p.ActivityId == ProgressActivities.InstallPhase && !p.Completed && p.Status.Contains("DFVM-"));
                Assert.True(reporter.ProgressRecords.Last().Completed, "progress is completed at the end");

                // A normal boot (no disc) finds what the phase wrote.
                await vm.Controller.StartAsync(vm.Paths, new StartOptions { Timeout = TimeSpan.FromMinutes(3) }, null, CancellationToken.None);
                var cat = await vm.Controller.InvokeCommandAsync(vm.Paths, "cat /root/phase-marker", null, null, CancellationToken.None);
                Assert.Equal(0, cat.ExitCode);
                Assert.Equal("written-by-phase", cat.Output);
            }
        }

        [Fact]
        public async Task Failed_marker_is_PhaseFailed_with_the_reason_and_serial_tail_and_QEMU_is_ended_after_the_grace()
        {
            using (var vm = new TestGuestVm())
            {
                // Prints the failed marker, then hangs instead of powering off: the runner must end QEMU.
                string disc = vm.WriteDisc("fail.iso",
                    "#!/bin/sh\necho 'DFVM-PFI: t1 start'\necho 'DFVM-PFI: t1 failed: disk on fire'\nsleep 600\n");
                var runner = new PfiPhaseRunner(vm.Controller) { FailureGrace = TimeSpan.FromSeconds(3) };
                var watch = Stopwatch.StartNew();

                var e = await Assert.ThrowsAsync<PhaseException>(() =>
                    runner.RunPhaseAsync(vm.Paths, Phase, disc, TimeSpan.FromMinutes(4), TimeSpan.FromSeconds(60), null, CancellationToken.None));

                Assert.Equal(InstallErrorIds.PhaseFailed, e.ErrorId);
                Assert.Equal("failed: disk on fire", e.Reason);
                Assert.Contains("DFVM-PFI: t1 failed: disk on fire", e.SerialTail);
                Assert.Contains("DFVM-PFI: t1 failed: disk on fire", e.Message);
                Assert.True(e.SerialTail.Split('\n').Length <= 20);
                Assert.Null(vm.Controller.RunningPid(vm.Paths));
                Assert.True(watch.Elapsed < TimeSpan.FromMinutes(2), "no waiting for the overall timeout");
            }
        }

        [Fact]
        public async Task Silent_script_is_PhaseTimeout_after_the_silence_timeout_and_QEMU_is_ended()
        {
            using (var vm = new TestGuestVm())
            {
                string disc = vm.WriteDisc("silent.iso", "#!/bin/sh\necho 'DFVM-PFI: t1 start'\nsleep 600\n");
                var runner = new PfiPhaseRunner(vm.Controller);
                var watch = Stopwatch.StartNew();

                var e = await Assert.ThrowsAsync<PhaseException>(() =>
                    runner.RunPhaseAsync(vm.Paths, Phase, disc, TimeSpan.FromMinutes(4), TimeSpan.FromSeconds(15), null, CancellationToken.None));

                Assert.Equal(InstallErrorIds.PhaseTimeout, e.ErrorId);
                Assert.Equal(DfVmErrorKind.Timeout, e.Kind);
                Assert.Contains("printed nothing on the serial console for 15 s", e.Reason);
                Assert.Contains("DFVM-PFI: t1 start", e.SerialTail);
                Assert.Null(vm.Controller.RunningPid(vm.Paths));
                Assert.True(watch.Elapsed < TimeSpan.FromMinutes(2));
            }
        }

        [Fact]
        public async Task Overall_timeout_is_PhaseTimeout_even_while_the_console_is_busy()
        {
            using (var vm = new TestGuestVm())
            {
                string disc = vm.WriteDisc("busy.iso", "#!/bin/sh\nwhile :; do echo busy; sleep 1; done\n");
                var runner = new PfiPhaseRunner(vm.Controller);

                var e = await Assert.ThrowsAsync<PhaseException>(() =>
                    runner.RunPhaseAsync(vm.Paths, Phase, disc, TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(60), null, CancellationToken.None));

                Assert.Equal(InstallErrorIds.PhaseTimeout, e.ErrorId);
                Assert.Contains("did not finish within 6 s", e.Reason);
                Assert.Null(vm.Controller.RunningPid(vm.Paths));
            }
        }

        [Fact]
        public async Task Power_off_without_the_done_marker_is_PhaseFailed()
        {
            using (var vm = new TestGuestVm())
            {
                string disc = vm.WriteDisc("nodone.iso", "#!/bin/sh\necho 'DFVM-PFI: t1 start'\n", "pfi_shutdown=YES\n");
                var runner = new PfiPhaseRunner(vm.Controller);

                var e = await Assert.ThrowsAsync<PhaseException>(() =>
                    runner.RunPhaseAsync(vm.Paths, Phase, disc, TimeSpan.FromMinutes(4), TimeSpan.FromSeconds(60), null, CancellationToken.None));

                Assert.Equal(InstallErrorIds.PhaseFailed, e.ErrorId);
                Assert.Contains("without printing 'DFVM-PFI: t1 done'", e.Reason);
                Assert.Contains("DFVM-GUEST: pfi shutdown requested", e.SerialTail);
            }
        }

        [Fact]
        public async Task Cancelling_a_phase_ends_QEMU()
        {
            using (var vm = new TestGuestVm())
            {
                string disc = vm.WriteDisc("cancel.iso", "#!/bin/sh\nsleep 600\n");
                var runner = new PfiPhaseRunner(vm.Controller);
                using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(4)))
                {
                    await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                        runner.RunPhaseAsync(vm.Paths, Phase, disc, TimeSpan.FromMinutes(4), TimeSpan.FromSeconds(60), null, cts.Token));
                }
                Assert.Null(vm.Controller.RunningPid(vm.Paths));
            }
        }

        [Fact]
        public async Task A_running_VM_or_a_missing_disc_is_refused_before_anything_boots()
        {
            using (var vm = new TestGuestVm())
            {
                var runner = new PfiPhaseRunner(vm.Controller);
                var missing = await Assert.ThrowsAsync<DfVmException>(() =>
                    runner.RunPhaseAsync(vm.Paths, Phase, "/nonexistent/pfi.iso", TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(30), null, CancellationToken.None));
                Assert.Equal(InstallErrorIds.InstallMediaNotFound, missing.ErrorId);
                Assert.Null(vm.Controller.RunningPid(vm.Paths));

                await vm.Controller.StartAsync(vm.Paths, new StartOptions { NoWait = true }, null, CancellationToken.None);
                string disc = vm.WriteDisc("x.iso", "#!/bin/sh\n");
                var running = await Assert.ThrowsAsync<DfVmException>(() =>
                    runner.RunPhaseAsync(vm.Paths, Phase, disc, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(30), null, CancellationToken.None));
                Assert.Equal(InstallErrorIds.VmIsRunning, running.ErrorId);
            }
        }
    }
}
