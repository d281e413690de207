using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Guest;
using DfVm.Core.Images;
using DfVm.Core.Install;
using DfVm.Core.Instances;
using DfVm.Core.Qemu;
using DfVm.Core.Ssh;
using DfVm.Core.Tests.Images;
using Xunit;

namespace DfVm.Core.Tests.Install
{
    /// <summary>
    /// The whole unattended install on the Linux test guest: every step but DragonFly itself (ISO
    /// fetched from a local mirror, discs with the VM's key, two phases, first boot with host key
    /// pinning, provision.sh over SSH, the warm build cache, the snapshot hook while running).
    /// The first phase boots through the loader imitation (tests/guest/initramfs/loader) with
    /// DfVm's real loader dialog: slow (ready after 10 s), dropping the first key typed at its
    /// menu (typed too early: it must be typed again), and only sending the boot to the serial
    /// line once <c>set console=comconsole</c> was typed. It then writes the loader.conf an
    /// installed disk has, so the later boots start on the serial console by themselves.
    /// </summary>
    [Collection("Install guest")]
    public sealed class UnattendedInstallerGuestTests
    {
        [Fact]
        public async Task Runs_the_phases_then_boots_pins_provisions_and_snapshots()
        {
            using (var vm = new TestGuestVm("unatt", TestGuestVm.LoaderAppend(10, "dfvm.loader.redrain=60")))
            using (var images = new ImageFixture())
            using (var server = new FixtureHttpServer())
            {
                server.Serve("dfly-x86_64-9.9.2_REL.iso.bz2", images.Compressed);
                server.Serve("md5.txt", Encoding.ASCII.GetBytes($"MD5 (dfly-x86_64-9.9.2_REL.iso.bz2) = {images.CompressedMd5}\n"));
                File.WriteAllText(vm.Paths.KnownHosts, "dfvm-unatt ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n");

                string seenKey = null;
                var plan = new TestPlan((iso, key, paths, def, options) =>
                {
                    // The install holds the VM's lock: another DfVm command (a sync, a restore) is refused meanwhile.
                    var busy = Assert.Throws<DfVmException>(() => VmLock.Acquire(paths, TimeSpan.Zero, CancellationToken.None));
                    Assert.Equal(ErrorIds.VmLocked, busy.ErrorId);
                    seenKey = key;
                    Assert.True(File.Exists(iso));
                    var one = Phase("one", iso, key, paths,
                        "echo one >/root/phase-one && mkdir -p /boot && printf 'console=\"comconsole\"\\nautoboot_delay=\"1\"\\n' >/boot/loader.conf");
                    one.Boot.ConsoleDialog = DragonFlyInstallPlan.LoaderDialog(TimeSpan.FromMinutes(3), TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(3));
                    return new[] { one, Phase("two", iso, key, paths, "test -f /root/phase-one && echo two >/root/phase-two", hangAfterDone: true) };
                });
                var checkpoints = new List<(string name, int? pid)>();
                var reporter = new RecordingReporter();
                bool selfCheckBeforeSnapshot = false;
                var installer = new UnattendedInstaller(vm.Engine, plan, checkpoint: (paths, name, r, ct) =>
                {
                    using (VmLock.Acquire(paths, TimeSpan.Zero, ct)) { } // given back for the snapshot, which takes it itself
                    checkpoints.Add((name, vm.Controller.RunningPid(paths)));
                    selfCheckBeforeSnapshot = reporter.VerboseLines.Any(l => l.StartsWith("[self-check] uname: ", StringComparison.Ordinal));
                    return Task.CompletedTask;
                });
                installer.Runner.ShutdownGrace = TimeSpan.FromSeconds(5);

                var result = await installer.InstallAsync(vm.Paths, new UnattendedInstallOptions
                {
                    Version = "9.9.2",
                    Mirror = server.Mirror,
                    ImagesDirectory = vm.ImagesDirectory,
                    ProjectDirectories = new[] { "/root/installed-project" },
                    PhaseTimeout = TimeSpan.FromMinutes(4),
                    SilenceTimeout = TimeSpan.FromSeconds(60),
                    StartTimeout = TimeSpan.FromMinutes(3),
                }, reporter, null, CancellationToken.None);

                Assert.Equal(new[] { "one", "two" }, result.Phases.Select(p => p.Phase));
                Assert.True(result.Phases[0].PoweredOff, "booted through the menu's item 1: ACPI power-off works");
                // Phase two printed its done marker but never powered off: ended by DfVm, a warning in the result, not an error.
                Assert.False(result.Phases[1].PoweredOff);
                var warning = Assert.Single(result.Warnings);
                Assert.StartsWith("Phase 'two' finished but the guest did not power itself off", warning);
                Assert.Contains(reporter.Warnings, w => w.Contains("Phase 'two'") && w.Contains("did not power off"));
                // The loader dialog: slow loader waited for, the key it drained typed again, each step answered.
                Assert.True(result.Phases[0].Duration > TimeSpan.FromSeconds(10), "the loader imitation is ready after 10 s");
                Assert.Contains(reporter.VerboseLines, l => l.StartsWith("Serial console: no answer to '9'", StringComparison.Ordinal) && l.Contains("typing it again"));
                // Every step answered. The last one (the countdown no longer printed after '1') waits out a quiet
                // time; a guest that boots, runs the phase and powers off within it ends the dialog first, and
                // the power-off (asserted above) is the proof that the boot went on.
                var dialogLines = string.Join(" | ", reporter.VerboseLines.Where(l => l.StartsWith("Serial console", StringComparison.Ordinal)));
                var steps = DragonFlyInstallPlan.LoaderDialog(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);
                foreach (var step in steps.Take(steps.Count - 1))
                    Assert.True(reporter.VerboseLines.Any(l => l.StartsWith("Serial console: " + step.Name + " after ", StringComparison.Ordinal)),
                        $"no answer logged for '{step.Name}'; the dialog logged: {dialogLines}");
                // The guest Go's standard library is in root's build cache: nothing left to compile.
                Assert.Contains(reporter.VerboseLines, l => l.StartsWith("Built the guest Go's standard library into root's build cache", StringComparison.Ordinal));
                Assert.Equal(File.ReadAllText(vm.Paths.PublicKey).Trim(), seenKey);
                Assert.Equal(DfVmState.Running, result.Vm.State);
                Assert.True(result.Vm.Ready);
                Assert.Equal(images.PayloadMd5, result.Image.Md5);

                // The stale pin was dropped and the new host key pinned at the first login.
                string pinned = File.ReadAllText(vm.Paths.KnownHosts);
                Assert.StartsWith("dfvm-unatt ssh-ed25519 ", pinned);
                Assert.DoesNotContain("AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl", pinned);

                Assert.True(result.Provision.Result.Succeeded, result.Provision.Result.Error);
                Assert.Contains("created /root/installed-project", result.Provision.Changes);
                Assert.Equal(result.Provision.Changes.Count, result.Provision.Changed);
                Assert.Contains(reporter.VerboseLines, l => l.StartsWith("[provision] DFVM-PROVISION: changed=", StringComparison.Ordinal));

                // The guest self-check ran before the snapshot, and every check passed on the strict test guest.
                Assert.Equal(GuestSelfCheck.Checks.Select(c => c.Name), result.Checks.Select(c => c.Name));
                Assert.All(result.Checks, c => Assert.True(c.Passed, c.Name + ": " + c.Found));
                Assert.Contains(reporter.VerboseLines, l => l == "[self-check] pgrep: passed (" + result.Checks.Single(c => c.Name == "pgrep").Found + ")");
                Assert.True(selfCheckBeforeSnapshot, "the self-check ran before the snapshot was taken");

                Assert.Equal("clean", result.Snapshot);
                var only = Assert.Single(checkpoints);
                Assert.Equal("clean", only.name);
                Assert.NotNull(only.pid); // taken live

                var check = await vm.Controller.InvokeCommandAsync(vm.Paths, "cat /root/phase-one /root/phase-two; test -d /root/installed-project && echo dir", null, null, CancellationToken.None);
                Assert.Equal("one\ntwo\ndir", check.Output);
                var std = await vm.Controller.InvokeCommandAsync(vm.Paths, GuestCommandLine.Build("go build -v std 2>&1 | wc -l"), null, null, CancellationToken.None);
                Assert.Equal("0", std.Output.Trim());
                Assert.False(Directory.Exists(DragonFlyInstallPlan.DiscDirectory(vm.Paths)), "the phase discs are removed after success");

                // Provisioning again changes nothing.
                var again = await vm.Engine.Provisioner.RunAsync(vm.Paths, new[] { "/root/installed-project" }, null, null, CancellationToken.None);
                Assert.Equal(0, again.Changed);
                Assert.Empty(again.Changes);
            }
        }

        /// <summary>
        /// A guest that fails a self-check (its phase moved uuencode aside on the disk, the way a DragonFly
        /// without it would be): the install ends with GuestSelfCheckFailed naming that check and its fix,
        /// after provisioning, and takes no 'clean' snapshot; the VM stays installed and running.
        /// </summary>
        [Fact]
        public async Task A_failed_self_check_fails_the_install_naming_the_check_and_takes_no_snapshot()
        {
            using (var vm = new TestGuestVm("unattfail"))
            using (var images = new ImageFixture())
            using (var server = new FixtureHttpServer())
            {
                server.Serve("dfly-x86_64-9.9.2_REL.iso.bz2", images.Compressed);
                server.Serve("md5.txt", Encoding.ASCII.GetBytes($"MD5 (dfly-x86_64-9.9.2_REL.iso.bz2) = {images.CompressedMd5}\n"));
                var plan = new TestPlan((iso, key, paths, def, options) => new[]
                {
                    Phase("break", iso, key, paths, "u=$(command -v uuencode) && mv \"$u\" \"$u.dfvm-off\""),
                });
                var checkpoints = new List<string>();
                var installer = new UnattendedInstaller(vm.Engine, plan, checkpoint: (paths, name, r, ct) => { checkpoints.Add(name); return Task.CompletedTask; });
                installer.Runner.ShutdownGrace = TimeSpan.FromSeconds(5);
                var reporter = new RecordingReporter();

                var e = await Assert.ThrowsAsync<DfVmException>(() => installer.InstallAsync(vm.Paths, new UnattendedInstallOptions
                {
                    Version = "9.9.2",
                    Mirror = server.Mirror,
                    ImagesDirectory = vm.ImagesDirectory,
                    ProjectDirectories = new[] { "/root/installed-project" },
                    PhaseTimeout = TimeSpan.FromMinutes(4),
                    SilenceTimeout = TimeSpan.FromSeconds(60),
                    StartTimeout = TimeSpan.FromMinutes(3),
                    WarmGoBuildCache = false,
                }, reporter, null, CancellationToken.None));

                Assert.Equal(ErrorIds.GuestSelfCheckFailed, e.ErrorId);
                Assert.Equal("unattfail", e.Target);
                Assert.StartsWith($"VM 'unattfail' failed 1 of {GuestSelfCheck.Checks.Count} guest self-check(s): uuencode.", e.Message);
                Assert.Contains("\n  uuencode: ", e.Message);
                Assert.Contains("Fix: uuencode is in DragonFly's base system", e.Message);
                Assert.Contains("no 'clean' snapshot was taken", e.Message);
                Assert.Empty(checkpoints);
                Assert.Contains(reporter.VerboseLines, l => l.StartsWith("[provision] DFVM-PROVISION: changed=", StringComparison.Ordinal));
                Assert.NotNull(vm.Controller.RunningPid(vm.Paths)); // installed and running: fix it and take the snapshot by hand
                var there = await vm.Controller.InvokeCommandAsync(vm.Paths, "test -d /root/installed-project && echo provisioned", null, null, CancellationToken.None);
                Assert.Equal("provisioned", there.Output.Trim());
            }
        }

        [Fact]
        public async Task Refuses_a_direct_boot_VM_without_a_test_plan_and_leaves_its_disk_alone()
        {
            using (var vm = new TestGuestVm("direct"))
            {
                long before = new FileInfo(vm.Paths.Disk).Length;
                var e = await Assert.ThrowsAsync<DfVmException>(() => new UnattendedInstaller(vm.Engine, saveImage: (r, p, ct) => throw new InvalidOperationException("must not fetch"))
                    .InstallAsync(vm.Paths, new UnattendedInstallOptions { ImagesDirectory = vm.ImagesDirectory }, null, null, CancellationToken.None));
                Assert.Equal(ErrorIds.NotDragonFlyVm, e.ErrorId);
                Assert.True(File.Exists(vm.Paths.Disk));
                Assert.Equal(before, new FileInfo(vm.Paths.Disk).Length);
            }
        }

        private static PlannedPhase Phase(string name, string iso, string key, VmPaths paths, string work, bool hangAfterDone = false)
        {
            var phase = new PfiPhase(name, "run.sh");
            string disc = Path.Combine(DragonFlyInstallPlan.DiscDirectory(paths), $"pfi-{name}.iso");
            string script = $"#!/bin/sh\necho '{phase.StartMarker}'\n{work} || {{ echo '{phase.FailedMarkerPrefix} work'; exit 1; }}\nsync\necho '{phase.DoneMarker}'\n" +
                (hangAfterDone ? "sleep 600\n" : ""); // done, but the guest never powers off (like a system without ACPI)
            return new PlannedPhase
            {
                Phase = phase,
                DiscPath = disc,
                DiscFiles = new[]
                {
                    new PfiDiscFile("pfi.conf", Encoding.UTF8.GetBytes("pfi_script=run.sh\npfi_shutdown=YES\n")),
                    new PfiDiscFile("run.sh", Encoding.UTF8.GetBytes(script), PfiDiscFile.Octal("755")),
                    new PfiDiscFile("authorized_keys", Encoding.UTF8.GetBytes(key + "\n"), PfiDiscFile.Octal("600")),
                },
                // The installer ISO rides along as a CD the way DragonFly's install phase has it (the guest skips it: no pfi.conf).
                Boot = new PhaseBoot
                {
                    Media = new[] { new AttachedMedia { Path = iso }, new AttachedMedia { Path = disc } },
                    Timeout = TimeSpan.FromMinutes(4),
                    SilenceTimeout = TimeSpan.FromSeconds(60),
                },
            };
        }

        /// <summary>Phases of the test's own, given to the installer in place of DragonFly's.</summary>
        private sealed class TestPlan : IInstallPlan
        {
            private readonly Func<string, string, VmPaths, VmDefinition, UnattendedInstallOptions, IReadOnlyList<PlannedPhase>> _build;
            public TestPlan(Func<string, string, VmPaths, VmDefinition, UnattendedInstallOptions, IReadOnlyList<PlannedPhase>> build) { _build = build; }
            public bool BootsInstallerIso => false;
            public IReadOnlyList<PlannedPhase> Build(string isoPath, string authorizedKey, VmPaths paths, VmDefinition def, UnattendedInstallOptions options) =>
                _build(isoPath, authorizedKey, paths, def, options);
        }
    }
}
