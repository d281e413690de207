using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Images;
using DfVm.Core.Install;
using DfVm.Core.Instances;
using DfVm.Core.Qemu;
using DfVm.Core.Snapshots;
using DfVm.Core.Ssh;
using Xunit;
using Xunit.Abstractions;

namespace DfVm.Core.Tests.Install
{
    /// <summary>
    /// DragonFly's own install run end to end on the Linux test guest: the module's install.sh
    /// and packages.sh on the PFI discs <see cref="DragonFlyInstallPlan"/> writes, provision.sh
    /// over SSH and the real 'clean' snapshot, through <see cref="UnattendedInstaller"/>. Only the
    /// boots differ from DragonFly's plan: the live CD is the test guest's root disk (an overlay,
    /// attached as a second disk and booted with root=/dev/vdb), the installed disk boots with
    /// the guest's kernel (root=/dev/vda3: the label's 'd' partition as the stand-ins lay it
    /// out). The release CD is the guest build's release.iso (tests/guest/dfly-standins/setup.sh:
    /// /etc.hdd without rc.d/pfi, as nrelease/Makefile makes it), and DragonFly's commands are the
    /// stand-ins in tests/guest/dfly-standins (fdisk, disklabel, newfs, newfs_hammer2,
    /// mount -t hammer2/ufs, mount_cd9660, cpdup, pw, pwd_mkdb, ifconfig -l, logger, pkg with a
    /// local repository holding a stand-in go).
    /// </summary>
    [Collection("Install guest")]
    public sealed class InstallScriptsGuestTests
    {
        private readonly ITestOutputHelper _out;

        public InstallScriptsGuestTests(ITestOutputHelper output) { _out = output; }

        [Fact]
        public async Task Install_then_packages_then_provisioning_then_the_clean_snapshot()
        {
            string installedRoot = TestGuestVm.GuestAppend.Replace("root=/dev/vda ", "root=/dev/vda3 ");
            Assert.NotEqual(TestGuestVm.GuestAppend, installedRoot);
            using (var vm = new TestGuestVm("dfinst", _ => installedRoot, def =>
            {
                def.BaseImage = null; // an empty disk, as a new DragonFly VM has
                def.DiskSizeGB = 3;
            }))
            {
                string release = TestGuestVm.GuestFile("release.iso");
                Assert.True(File.Exists(release), "the guest build has no release.iso: " + release);
                string live = Path.Combine(vm.Root, "live.qcow2");
                await QemuImg.CreateOverlayAsync(live, TestGuestVm.GuestFile("rootfs.qcow2"), CancellationToken.None);
                string liveAppend = TestGuestVm.GuestAppend.Replace("root=/dev/vda ", "root=/dev/vdb ");

                var plan = new LinuxGuestPlan(planned =>
                {
                    // Phase 1 boots the live CD: the guest's root as a second disk, no loader dialog.
                    var install = planned[0].Boot;
                    install.ConsoleDialog = null;
                    install.ExtraQemuArgs = new[]
                    {
                        "-blockdev", "{\"driver\":\"qcow2\",\"node-name\":\"live\",\"file\":{\"driver\":\"file\",\"filename\":" + System.Text.Json.JsonSerializer.Serialize(live) + "}}",
                        "-device", "virtio-blk-pci,drive=live",
                        "-append", liveAppend, // QEMU takes the last -append
                    };
                });
                var installer = new UnattendedInstaller(vm.Engine, plan, saveImage: (r, p, ct) => Task.FromResult(new DfVmImage
                {
                    Version = r.Version, Kind = ImageKind.Iso, Path = release, SizeBytes = new FileInfo(release).Length, Verified = true, Source = "test guest build",
                }));
                installer.Runner.ShutdownGrace = TimeSpan.FromSeconds(20);
                var reporter = new RecordingReporter();
                var clock = Stopwatch.StartNew();
                UnattendedInstallResult result;
                try
                {
                    result = await installer.InstallAsync(vm.Paths, new UnattendedInstallOptions
                    {
                        Version = "6.4.2",
                        ImagesDirectory = vm.ImagesDirectory,
                        Hostname = "dfinst",
                        Packages = "go",
                        ProjectDirectories = new[] { "/root/project" },
                        PhaseTimeout = TimeSpan.FromMinutes(6),
                        SilenceTimeout = TimeSpan.FromSeconds(150),
                        StartTimeout = TimeSpan.FromMinutes(6),
                        WarmGoBuildCache = false,
                    }, reporter, null, CancellationToken.None);
                }
                catch (Exception)
                {
                    _out.WriteLine(string.Join("\n", reporter.VerboseLines));
                    if (File.Exists(vm.Paths.SerialLog)) _out.WriteLine(File.ReadAllText(vm.Paths.SerialLog));
                    throw;
                }
                _out.WriteLine($"install, packages, provisioning and snapshot took {clock.Elapsed.TotalSeconds:0} s; phases: " +
                    string.Join(", ", result.Phases.Select(p => $"{p.Phase} {p.Duration.TotalSeconds:0} s")));

                Assert.Equal(new[] { "install", "packages" }, result.Phases.Select(p => p.Phase));
                Assert.True(result.Phases.All(p => p.PoweredOff), "each phase powered the guest off itself");
                Assert.True(result.Provision.Result.Succeeded, result.Provision.Result.Error);
                Assert.Equal("clean", result.Snapshot);
                Assert.NotNull(SnapshotStore.Get(vm.Paths, "clean"));

                async Task<string> Run(string command)
                {
                    var r = await vm.Controller.InvokeCommandAsync(vm.Paths, GuestCommandLine.Build(command), null, null, CancellationToken.None);
                    Assert.True(r.ExitCode == 0, $"'{command}' failed ({r.ExitCode}): {r.Output} {r.Error}");
                    return r.Output;
                }

                // fstab and rc.conf as install.sh writes them; loader.conf on the 'a' partition (/boot).
                string fstab = await Run("cat /etc/fstab");
                Assert.Matches(@"(?m)^/dev/vbd0s1a\s+/boot\s+ufs\s+rw\s+1\s+1$", fstab);
                Assert.Matches(@"(?m)^/dev/vbd0s1d\s+/\s+hammer2\s+rw\s+1\s+1$", fstab);
                string loader = await Run("mkdir -p /tmp/boot && mount -t ext4 -o ro /dev/vda2 /tmp/boot && cat /tmp/boot/loader.conf; rc=$?; umount /tmp/boot; exit $rc");
                Assert.Contains("vfs.root.mountfrom=\"hammer2:vbd0s1d\"", loader);
                Assert.Contains("console=\"comconsole\"", loader);
                string rcConf = await Run("cat /etc/rc.conf");
                Assert.Contains("hostname=\"dfinst\"", rcConf);
                Assert.Contains("ifconfig_vtnet0=\"inet 10.0.2.15 netmask 255.255.255.0\"", rcConf);
                Assert.Contains("sshd_enable=\"YES\"", rcConf);

                // Accounts: root's password locked, no installer account, no empty password.
                string master = await Run("cat /etc/master.passwd");
                Assert.Matches(@"(?m)^root:\*:0:0:", master);
                Assert.DoesNotMatch(@"(?m)^installer:", master);
                Assert.DoesNotMatch(@"(?m)^[^#:]+::", master);

                // The key from the PFI disc; doas from provisioning.
                string keys = await Run("cat /root/.ssh/authorized_keys; ls -l /root/.ssh/authorized_keys");
                Assert.Contains(File.ReadAllText(vm.Paths.PublicKey).Trim(), keys);
                Assert.Matches(@"(?m)^-rw------- .* /root/\.ssh/authorized_keys$", keys);
                Assert.Contains("permit nopass keepenv root", await Run("cat /etc/doas.conf"));

                // Packages: the disc ran on the installed system (defect 1), pkg's repository
                // config is DfVm's, the CA bundle is there (defect 6), go came from the repository.
                await Run("test -x /etc/rc.d/pfi && test -f /etc/defaults/pfi.conf");
                string repo = await Run("cat /usr/local/etc/pkg/repos/df-latest.conf");
                Assert.Matches(@"enabled\s*:\s*yes", repo);
                Assert.Equal("/usr/local/share/certs/ca-root-nss.crt", (await Run("readlink /etc/ssl/cert.pem")).Trim());
                await Run("test -s /etc/ssl/cert.pem");
                Assert.StartsWith("go version go", (await Run("/usr/local/bin/go version")).Trim());
                await Run("test -f /var/db/pkg/dfly-standin/go");
                await Run("test -d /root/project");
                Assert.False(Directory.Exists(DragonFlyInstallPlan.DiscDirectory(vm.Paths)), "the phase discs are removed after success");
            }
        }

        /// <summary>
        /// packages.sh on the live test guest (which has pkg's stand-in and the CA bundle), broken for
        /// real before it runs: a wrapper on the disc removes /etc/ssl/cert.pem, then (second boot)
        /// pkg itself, and runs the module's packages.sh. Each is a clear PhaseFailed naming the fix:
        /// DragonFly has no "pkg bootstrap" (defect 4), and pkg cannot fetch over HTTPS without the
        /// CA bundle (defect 6).
        /// </summary>
        [Fact]
        public async Task Packages_phase_without_the_CA_bundle_or_pkg_fails_naming_the_fix()
        {
            using (var vm = new TestGuestVm("dfpkg"))
            {
                var phase = PfiPhase.Packages("go");
                var runner = new PfiPhaseRunner(vm.Controller) { FailureGrace = TimeSpan.FromSeconds(20) };

                async Task<PhaseException> Broken(string name, string breakIt)
                {
                    var files = phase.DiscFiles("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl test")
                        .Where(f => f.Name != "pfi.conf").ToList();
                    files.Add(new PfiDiscFile("pfi.conf", System.Text.Encoding.UTF8.GetBytes("pfi_script=break.sh\ndfvm_packages=go\n"), PfiDiscFile.Octal("644")));
                    files.Add(new PfiDiscFile("break.sh", System.Text.Encoding.UTF8.GetBytes("#!/bin/sh\n" + breakIt + "\nexec /mnt/packages.sh\n"), PfiDiscFile.Octal("755")));
                    string disc = Path.Combine(vm.Root, name + ".iso");
                    new PfiDiscBuilder().Build(disc, files, "DFVM_BREAK");
                    return await Assert.ThrowsAsync<PhaseException>(() =>
                        runner.RunPhaseAsync(vm.Paths, phase, disc, TimeSpan.FromMinutes(4), TimeSpan.FromSeconds(90), null, CancellationToken.None));
                }

                var noCa = await Broken("noca", "rm -f /etc/ssl/cert.pem");
                Assert.Equal(ErrorIds.PhaseFailed, noCa.ErrorId);
                Assert.Contains("no CA bundle at /etc/ssl/cert.pem", noCa.Reason);

                var noPkg = await Broken("nopkg", "rm -f /usr/local/sbin/pkg");
                Assert.Equal(ErrorIds.PhaseFailed, noPkg.ErrorId);
                Assert.Contains("no pkg on the installed system", noPkg.Reason);
                Assert.Contains("cd /usr && make pkg-bootstrap", noPkg.Reason);
                Assert.DoesNotContain("bootstrap -f", noPkg.SerialTail);
            }
        }

        /// <summary>DragonFly's plan (its discs, scripts and media), with the boots adjusted for the Linux guest.</summary>
        private sealed class LinuxGuestPlan : IInstallPlan
        {
            private readonly Action<IReadOnlyList<PlannedPhase>> _adjust;
            public LinuxGuestPlan(Action<IReadOnlyList<PlannedPhase>> adjust) { _adjust = adjust; }
            public bool BootsInstallerIso => false;

            public IReadOnlyList<PlannedPhase> Build(string isoPath, string authorizedKey, VmPaths paths, VmDefinition def, UnattendedInstallOptions options)
            {
                var planned = DragonFlyInstallPlan.Build(isoPath, authorizedKey, paths, def, options);
                _adjust(planned);
                return planned;
            }
        }
    }
}
