using System;
using System.Diagnostics;
using System.IO;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Images;
using DfVm.Core.Install;
using DfVm.Core.Qemu;
using Xunit;

namespace DfVm.Core.Tests.Install
{
    /// <summary>
    /// DragonFly's loader dialog against the test guest's loader imitation
    /// (tests/guest/initramfs/loader, enabled by dfvm.loader= on the kernel command line): a
    /// prompt that never comes, and a boot from the prompt that skips the menu's loadall (no
    /// ACPI, so the guest cannot power itself off). The whole install through the imitation
    /// (slow loader, keys typed too early) is <see cref="UnattendedInstallerGuestTests"/>.
    /// </summary>
    [Collection("Install guest")]
    public sealed class LoaderImitationGuestTests
    {
        private static readonly PfiPhase Phase = new PfiPhase("ld", "run.sh");
        private const string Script = "#!/bin/sh\necho 'DFVM-PFI: ld start'\nsync\necho 'DFVM-PFI: ld done'\n";

        private static AttachedMedia Cd(string path) => new AttachedMedia { Path = path, IsCdrom = true };

        [Fact]
        public async Task A_prompt_that_never_comes_is_PhaseTimeout_with_the_serial_tail_within_the_steps_timeout()
        {
            // The menu counts down for 120 s and ignores 9/ESC: the OK prompt never comes.
            using (var vm = new TestGuestVm("noprompt", TestGuestVm.LoaderAppend(0, "dfvm.loader.countdown=120", "dfvm.loader.noprompt")))
            {
                string disc = vm.WriteDisc("ld.iso", Script, "pfi_shutdown=YES\n");
                var step = TimeSpan.FromSeconds(15);
                var reporter = new RecordingReporter();
                var runner = new PfiPhaseRunner(vm.Controller);
                var watch = Stopwatch.StartNew();

                var e = await Assert.ThrowsAsync<PhaseException>(() => runner.RunPhaseAsync(vm.Paths, Phase, new PhaseBoot
                {
                    Media = new[] { Cd(disc) },
                    ConsoleDialog = DragonFlyInstallPlan.LoaderDialog(TimeSpan.FromMinutes(3), step, TimeSpan.FromSeconds(3)),
                    Timeout = TimeSpan.FromMinutes(5),
                    SilenceTimeout = TimeSpan.FromMinutes(3),
                }, reporter, CancellationToken.None));

                Assert.Equal(ErrorIds.PhaseTimeout, e.ErrorId);
                Assert.StartsWith("stopped at the boot loader: the loader's OK prompt did not appear on the serial console within 15 s after typing '9'", e.Reason);
                Assert.Contains("times)", e.Reason); // typed again and again
                Assert.Matches(new Regex(@"Booting in \d+ seconds"), e.SerialTail);
                Assert.Contains("Last serial lines:", e.Message);
                Assert.Contains(reporter.VerboseLines, l => l.StartsWith("Serial console: the loader's menu countdown", StringComparison.Ordinal));
                Assert.Null(vm.Controller.RunningPid(vm.Paths));
                // Boot (~10-20 s under TCG) + the 15 s step: far below the phase's and the loader's timeouts.
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(100), $"took {watch.Elapsed.TotalSeconds:0} s");
            }
        }

        [Fact]
        public async Task A_boot_from_the_prompt_without_loadall_cannot_power_off_and_the_phase_ends_by_the_grace_kill_as_a_warning()
        {
            using (var vm = new TestGuestVm("noacpi", TestGuestVm.LoaderAppend(2)))
            {
                string disc = vm.WriteDisc("ld.iso", Script, "pfi_shutdown=YES\n");
                // What DfVm typed before: 9, set console=comconsole, boot (the bare boot skips the menu's loadall).
                var countdown = DragonFlyInstallPlan.LoaderCountdown;
                var prompt = DragonFlyInstallPlan.LoaderPrompt;
                var dialog = new[]
                {
                    new ConsoleStep { Name = "the countdown", Expect = countdown, Timeout = TimeSpan.FromMinutes(3) },
                    new ConsoleStep { Name = "OK", Send = "9", Expect = prompt, RetryEvery = TimeSpan.FromSeconds(3), Timeout = TimeSpan.FromSeconds(45) },
                    new ConsoleStep { Name = "OK after set", Send = "set console=comconsole\n", Expect = prompt, Timeout = TimeSpan.FromSeconds(45) },
                    new ConsoleStep { Name = "booting", Send = "boot\n" },
                };
                var reporter = new RecordingReporter();
                var runner = new PfiPhaseRunner(vm.Controller) { ShutdownGrace = TimeSpan.FromSeconds(8) };

                var result = await runner.RunPhaseAsync(vm.Paths, Phase, new PhaseBoot
                {
                    Media = new[] { Cd(disc) },
                    ConsoleDialog = dialog,
                    Timeout = TimeSpan.FromMinutes(4),
                    SilenceTimeout = TimeSpan.FromMinutes(2),
                }, reporter, CancellationToken.None);

                Assert.False(result.PoweredOff);
                Assert.Contains(reporter.Warnings, w => w.Contains("did not power off") && w.Contains("no ACPI power-off?"));
                Assert.Contains(reporter.VerboseLines, l => l == "[ld] DFVM-GUEST: no ACPI: halting instead of powering off");
                Assert.Null(vm.Controller.RunningPid(vm.Paths));
                string log = File.ReadAllText(vm.Paths.SerialLog);
                Assert.Contains("console=comconsole, acpi no", log);
            }
        }
    }
}
