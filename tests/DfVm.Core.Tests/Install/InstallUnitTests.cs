using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Images;
using DfVm.Core.Install;
using DfVm.Core.Instances;
using DfVm.Core.Qemu;
using Xunit;

namespace DfVm.Core.Tests.Install
{
    public sealed class SerialLogFollowerTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "dfvm-follow-" + Guid.NewGuid().ToString("N"));
        private string Log => Path.Combine(_dir, "serial.log");

        public SerialLogFollowerTests() => Directory.CreateDirectory(_dir);
        public void Dispose() => Directory.Delete(_dir, true);

        private void Append(string text) { using (var f = new FileStream(Log, FileMode.Append)) { var b = Encoding.UTF8.GetBytes(text); f.Write(b, 0, b.Length); } }

        [Fact]
        public void Returns_complete_lines_only_and_keeps_the_rest_for_later()
        {
            var f = new SerialLogFollower(Log);
            Assert.Empty(f.ReadNewLines()); // no file yet
            Append("one\r\ntw");
            Assert.Equal(new[] { "one" }, f.ReadNewLines());
            Assert.Equal("tw", f.PendingText);
            Append("o\n\n\r\nthree\rfour\n");
            Assert.Equal(new[] { "two", "three", "four" }, f.ReadNewLines());
            Assert.Empty(f.ReadNewLines());
        }

        [Fact]
        public void Drops_escape_sequences_and_control_characters_and_keeps_UTF8()
        {
            var f = new SerialLogFollower(Log);
            Append("\u001b[1;32mgreen\u001b[0m \u0007bell Grüße\n");
            Assert.Equal(new[] { "green bell Grüße" }, f.ReadNewLines());
        }

        [Fact]
        public void Starts_over_when_the_log_is_replaced_by_a_shorter_one()
        {
            var f = new SerialLogFollower(Log);
            Append("a long first boot line\n");
            Assert.Single(f.ReadNewLines());
            File.WriteAllText(Log, "b\n");
            Assert.Equal(new[] { "b" }, f.ReadNewLines());
        }

        [Fact]
        public void Cuts_an_endless_line()
        {
            var f = new SerialLogFollower(Log);
            Append(new string('x', SerialLogFollower.MaxLineBytes + 10));
            var lines = f.ReadNewLines();
            Assert.Equal(SerialLogFollower.MaxLineBytes, Assert.Single(lines).Length);
        }
    }

    public sealed class DragonFlyInstallPlanTests
    {
        [Fact]
        public void Install_boots_the_ISO_once_with_ISO_disc_ISO_and_types_the_loader_keys_then_packages_boots_the_disk_with_its_disc()
        {
            var paths = new VmPaths("/tmp/dfvm-plan/vm", "dfly");
            var def = new VmDefinition { Name = "dfly" };
            var plan = DragonFlyInstallPlan.Build("/img/dfly.iso", "ssh-ed25519 AAAA dfvm@dfly", paths, def,
                new UnattendedInstallOptions { PhaseTimeout = TimeSpan.FromMinutes(50), SilenceTimeout = TimeSpan.FromMinutes(15) });

            Assert.Equal(new[] { "install", "packages" }, plan.Select(p => p.Phase.Name));
            var install = plan[0];
            Assert.Equal(new[] { "/img/dfly.iso", install.DiscPath, "/img/dfly.iso" }, install.Boot.Media.Select(m => m.Path));
            Assert.True(install.Boot.Media.All(m => m.IsCdrom));
            Assert.Equal(new[] { "-boot", "once=d" }, install.Boot.ExtraQemuArgs);
            Assert.Equal(new[] { null, "9", "\n", "set console=comconsole\n", "menu\n", "1" }, install.Boot.ConsoleDialog.Select(d => d.Send));
            Assert.All(install.Boot.ConsoleDialog, d => Assert.False(string.IsNullOrEmpty(d.Source)));
            Assert.Equal(TimeSpan.FromMinutes(50), install.Boot.Timeout);
            Assert.Equal(TimeSpan.FromMinutes(15), install.Boot.SilenceTimeout);
            Assert.Equal("/tmp/dfvm-plan/vm/dfly/install/pfi-install.iso", install.DiscPath);
            Assert.Equal(new[] { "pfi.conf", "install.sh", "authorized_keys" }, install.DiscFiles.Select(f => f.Name));
            string conf = Encoding.UTF8.GetString(install.DiscFiles[0].Content);
            Assert.Contains("pfi_script=\"install.sh\"", conf);
            Assert.Contains("dfvm_disk=\"da0\"", conf);
            Assert.Contains("dfvm_hostname=\"dfly\"", conf);
            Assert.Contains("dfvm_ifname=\"vtnet0\"", conf);
            Assert.Equal("ssh-ed25519 AAAA dfvm@dfly\n", Encoding.UTF8.GetString(install.DiscFiles[2].Content));

            var packages = plan[1];
            Assert.Equal(new[] { packages.DiscPath }, packages.Boot.Media.Select(m => m.Path));
            Assert.Null(packages.Boot.ExtraQemuArgs);
            Assert.Null(packages.Boot.ConsoleDialog);
            Assert.Contains("dfvm_packages=\"go git doas rsync\"", Encoding.UTF8.GetString(packages.DiscFiles[0].Content));
        }

        [Fact]
        public void The_disk_is_named_as_DragonFly_sees_it()
        {
            Assert.Equal("da0", DragonFlyInstallPlan.DiskDevice(new VmDefinition { DiskInterface = "virtio-scsi" }));
            Assert.Equal("vbd0", DragonFlyInstallPlan.DiskDevice(new VmDefinition { DiskInterface = "virtio-blk" }));
            Assert.Equal("vtnet0", DragonFlyInstallPlan.NetworkInterface(new VmDefinition()));
            Assert.Equal("em0", DragonFlyInstallPlan.NetworkInterface(new VmDefinition { NicModel = "e1000" }));
            Assert.Null(DragonFlyInstallPlan.NetworkInterface(new VmDefinition { NicModel = "rtl8139" }));
        }

        [Fact]
        public void The_install_phase_command_line_puts_ISO_disc_ISO_on_three_CD_drives_and_boots_the_CD()
        {
            var paths = new VmPaths("/tmp/dfvm-plan/vm", "dfly");
            var def = new VmDefinition { Name = "dfly" };
            var install = DragonFlyInstallPlan.Build("/img/dfly.iso", "k", paths, def, new UnattendedInstallOptions())[0];
            var argv = QemuCommandLine.Build(def, paths, "tcg", 2222, "k", install.Boot.Media);
            argv.AddRange(install.Boot.ExtraQemuArgs); // what StartOptions.ExtraQemuArgs does
            Assert.Equal(3, argv.Count(a => a.StartsWith("ide-cd,", StringComparison.Ordinal)));
            Assert.Contains("-boot", argv);
            Assert.DoesNotContain("-kernel", argv);
            Assert.Contains(argv, a => a.StartsWith("scsi-hd,", StringComparison.Ordinal)); // da0
        }

        [Fact]
        public void A_TCG_guest_runs_Nehalem_not_max_and_a_resume_runs_the_model_its_memory_was_saved_from()
        {
            var paths = new VmPaths("/tmp/dfvm-plan/vm", "dfly");
            var def = new VmDefinition { Name = "dfly" };
            string Cpu(List<string> argv) => argv[argv.IndexOf("-cpu") + 1];
            Assert.Equal("Nehalem", Cpu(QemuCommandLine.Build(def, paths, "tcg", 2222, "k")));
            Assert.Equal("host", Cpu(QemuCommandLine.Build(def, paths, "kvm", 2222, "k")));
            Assert.Equal("host", Cpu(QemuCommandLine.Build(def, paths, "kvm", 2222, "k", cpuModel: "max")));
            Assert.Equal("max", Cpu(QemuCommandLine.Build(def, paths, "tcg", 2222, "k", cpuModel: "max")));
            // a snapshot that recorded no model was saved from a TCG QEMU of an older DfVm: -cpu max
            Assert.Equal("max", new DfVm.Core.Snapshots.SnapshotRecord { Live = true, Accelerator = "tcg" }.LoadCpuModel());
            Assert.Equal("Nehalem", new DfVm.Core.Snapshots.SnapshotRecord { Live = true, CpuModel = "Nehalem" }.LoadCpuModel());
        }
    }

    public sealed class ProvisionCommandTests
    {
        [Fact]
        public void Runs_the_script_from_stdin_with_quoted_folders()
        {
            Assert.Equal("env DFVM_SSH_USER=root /bin/sh -s --", ProvisionRunner.CommandFor(new string[0]));
            Assert.Equal("env DFVM_SSH_USER=root /bin/sh -s -- '/root/go synth' '/root/it'\\''s'", ProvisionRunner.CommandFor(new[] { "/root/go synth", "/root/it's" }));
            Assert.Equal("env DFVM_SSH_USER=dfuser /bin/sh -s -- '/home/dfuser/p'", ProvisionRunner.CommandFor(new[] { "/home/dfuser/p" }, "dfuser"));
        }

        [Theory]
        [InlineData("a b")]
        [InlineData("-rf")]
        [InlineData("x;reboot")]
        [InlineData("dfuser\n")]
        public void Refuses_an_ssh_user_no_doas_rule_can_name(string user)
        {
            var e = Assert.Throws<DfVmException>(() => ProvisionRunner.CommandFor(new string[0], user));
            Assert.Equal(ErrorIds.InvalidSshUser, e.ErrorId);
        }

        [Theory]
        [InlineData("relative/dir")]
        [InlineData("")]
        [InlineData("/two\nlines")]
        public void Refuses_folders_that_are_not_absolute_single_lines(string dir)
        {
            var e = Assert.Throws<DfVmException>(() => ProvisionRunner.CommandFor(new[] { dir }));
            Assert.Equal(ErrorIds.InvalidGuestPath, e.ErrorId);
        }

        [Fact]
        public void Interactive_steps_name_the_socket_the_key_and_what_follows()
        {
            var steps = InteractiveInstaller.Steps("dfly", InstallConsole.Serial, "/p/vm/dfly/serial.sock", null, "ssh-ed25519 AAAA dfvm@dfly");
            Assert.Contains(steps, s => s.Contains("socat -,raw,echo=0,escape=0x1d UNIX-CONNECT:/p/vm/dfly/serial.sock"));
            Assert.Contains(steps, s => s.Contains("echo 'ssh-ed25519 AAAA dfvm@dfly' >> /root/.ssh/authorized_keys"));
            Assert.Contains(steps, s => s.Contains("console=\"comconsole\""));
            Assert.Contains(steps, s => s.Contains("Invoke-DfVmProvision -Name dfly"));
            Assert.DoesNotContain(steps, s => s.Contains("passwd") || s.Contains("PermitRootLogin yes"));
            var vnc = InteractiveInstaller.Steps("dfly", InstallConsole.Vnc, "/s", "/p/vm/dfly/vnc/vnc.sock", "k");
            Assert.Contains(vnc, s => s.Contains("vncviewer /p/vm/dfly/vnc/vnc.sock"));
        }
    }
}
