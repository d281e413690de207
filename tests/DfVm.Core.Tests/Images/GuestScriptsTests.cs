using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using DfVm.Core.Images;
using Xunit;

namespace DfVm.Core.Tests.Images
{
    /// <summary>The shipped guest scripts: syntax, shellcheck, known traps, and provision.sh run for real.</summary>
    public sealed class GuestScriptsTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "dfvm-scripts-" + Guid.NewGuid().ToString("N"));

        public GuestScriptsTests() => Directory.CreateDirectory(_dir);

        public void Dispose() => Directory.Delete(_dir, true);

        public static IEnumerable<object[]> ScriptNames() => new[] { "adopt.sh", "install.sh", "packages.sh", "provision.sh" }.Select(n => new object[] { n });

        private string Extract(string name)
        {
            var path = Path.Combine(_dir, name);
            File.WriteAllText(path, GuestScripts.Get(name));
            return path;
        }

        [Fact]
        public void EveryScriptIsEmbedded()
        {
            Assert.Equal(new[] { "adopt.sh", "install.sh", "packages.sh", "provision.sh" }, GuestScripts.Names);
            Assert.Throws<ArgumentException>(() => GuestScripts.Get("nope.sh"));
        }

        /// <summary>The PFI phases share one part (pfi-common.inc), put in place when a script is read: the disc gets whole scripts.</summary>
        [Theory]
        [InlineData("install.sh")]
        [InlineData("packages.sh")]
        public void PfiScriptsCarryTheSharedPartInPlace(string name)
        {
            var text = GuestScripts.Get(name);
            Assert.DoesNotContain("dfvm-include", text);
            foreach (var definition in new[] { "\nsay() {", "\ninfo() {", "\nfail() {", "\nrun() {", "\nfinish() {", "\nSERIAL=\n" })
                Assert.Equal(1, text.Split(new[] { definition }, StringSplitOptions.None).Length - 1);
            // PHASE is set before the shared part uses it, finish() is the phase's own.
            Assert.True(text.IndexOf("PHASE=", StringComparison.Ordinal) < text.IndexOf("say() {", StringComparison.Ordinal));
            Assert.DoesNotContain("pfi-common.inc", GuestScripts.Names);
        }

        [Theory]
        [MemberData(nameof(ScriptNames))]
        public void ScriptParsesWithPosixSh(string name)
        {
            var result = ImageFixture.Run("sh", new[] { "-n", Extract(name) });
            Assert.True(result.exit == 0, result.stderr);
            Assert.StartsWith("#!/bin/sh\n", GuestScripts.Get(name));
            Assert.DoesNotContain("\r", GuestScripts.Get(name));
        }

        public static IEnumerable<object[]> StandInNames() => new[]
        {
            "fdisk", "disklabel", "newfs", "newfs_hammer2", "mount.hammer2", "mount.ufs", "mount_cd9660",
            "cpdup", "pw", "pwd_mkdb", "ifconfig", "logger", "pkg",
        }.Select(n => new object[] { n });

        /// <summary>The test guest's stand-ins for DragonFly's commands (tests/guest/dfly-standins): POSIX sh, each naming its DragonFly source file.</summary>
        [Theory]
        [MemberData(nameof(StandInNames))]
        public void StandInIsPosixShAndNamesItsDragonFlySource(string name)
        {
            var d = new DirectoryInfo(AppContext.BaseDirectory);
            while (d != null && !File.Exists(Path.Combine(d.FullName, "DfVm.sln"))) d = d.Parent;
            Assert.NotNull(d);
            string path = Path.Combine(d.FullName, "tests", "guest", "dfly-standins", name);
            string text = File.ReadAllText(path);
            Assert.StartsWith("#!/bin/sh\n", text);
            Assert.Matches(@"\((sbin|bin|usr\.sbin|usr\.bin|ports-mgmt)/[a-z_0-9/]+(\.c)?[;,)\s]", text);
            var result = ImageFixture.Run("dash", new[] { "-n", path });
            Assert.True(result.exit == 0, result.stderr);
        }

        [Theory]
        [MemberData(nameof(ScriptNames))]
        public void ScriptPassesShellcheck(string name)
        {
            var result = ImageFixture.Run("shellcheck", new[] { "-s", "sh", Extract(name) });
            Assert.True(result.exit == 0, result.stdout + result.stderr);
        }

        [Theory]
        [InlineData("install.sh", "install")]
        [InlineData("packages.sh", "packages")]
        public void PfiScriptsFollowTheRules(string name, string phase)
        {
            var text = GuestScripts.Get(name);
            Assert.Contains("export PATH", text);
            Assert.Contains($"PHASE={phase}", text);
            Assert.Contains("echo \"DFVM-PFI: $PHASE $*\"", text);
            Assert.Contains("say start", text);
            Assert.Contains("say \"done\"", text);
            Assert.Contains("say \"failed: $*\"", text);
            Assert.Contains("logger", text);
            Assert.Contains("poweroff", text);
            Assert.Contains("rm -f", text);
            Assert.Contains("pfi.conf", text);
            // Known mistakes of public scripts.
            Assert.DoesNotContain("ntpd_enable=\"YES\"", text);
            Assert.DoesNotContain("PasswordAuthentication", text);
            Assert.DoesNotContain("PermitRootLogin", text);
            // No password is ever set from input (root's becomes "*" in install.sh: keys only).
            Assert.DoesNotContain("-h 0", text);
            Assert.DoesNotContain("chpass", text);
            Assert.DoesNotContain("passwd root", text);
            Assert.DoesNotContain("| passwd", text);
            // Markers also go straight to the serial port, whatever the console is.
            Assert.Contains("for dev in /dev/cuaa0 /dev/ttyS0", text);
            Assert.Contains("2>/dev/null >\"$SERIAL\" || true", text);
        }

        [Fact]
        public void InstallWritesTheProvenConfiguration()
        {
            var text = GuestScripts.Get("install.sh");
            foreach (var expected in new[]
            {
                "fdisk -IB", "disklabel -r -w -B", "a: 1G 0 4.2BSD", "d: * * HAMMER2", "newfs \"/dev/${DISK}s1a\"",
                "newfs_hammer2 -L ROOT", "mount_cd9660 \"$dev\" \"$SRC\"", "cpdup",
                // the release CD found by its content, /etc from /etc.hdd (fn_install.c), no copy of the live root
                "[ -d \"$SRC/etc.hdd\" ] && [ -f \"$SRC/boot/kernel/kernel\" ]", "cpdup \"$SRC/etc.hdd\" \"$T/etc\"",
                "pwd_mkdb -p -d \"$T/etc\" \"$T/etc/master.passwd\"",
                // no passwordless logins on the disk
                "pw -V \"$T/etc\" usermod root -h -", "pw -V \"$T/etc\" userdel installer", "accounts with an empty password remain",
                "vfs.root.mountfrom=\"hammer2:${DISK}s1d\"", "console=\"comconsole\"", "autoboot_delay=\"1\"",
                "ifconfig -l", "ifconfig_${IFNAME}=\"inet 10.0.2.15 netmask 255.255.255.0\"", "defaultrouter=\"10.0.2.2\"",
                "sshd_enable=\"YES\"", "dntpd_enable=\"NO\"", "authorized_keys", "chmod 0600", "rm -f \"$T/etc/pfi.conf\"",
            })
                Assert.Contains(expected, text);
            Assert.DoesNotContain("SRC=/", text);
            Assert.DoesNotContain("ifconfig_vtnet0", text);
        }

        [Fact]
        public void PackagesRestoresTheRepoConfigAfterUpgradingPkg()
        {
            var text = GuestScripts.Get("packages.sh");
            Assert.Contains("run cp \"$REPO.sample\" \"$REPO\"", text); // in repo_config
            var first = text.IndexOf("\nrepo_config\n", StringComparison.Ordinal);
            var upgrade = text.IndexOf("upgrade -y pkg || info", StringComparison.Ordinal); // a failed self-upgrade is tolerated
            var again = text.IndexOf("\nrepo_config\n", upgrade, StringComparison.Ordinal);
            var check = text.IndexOf("pkg -v", StringComparison.Ordinal);
            var install = text.IndexOf("install -y $PACKAGES || pkg_fail", StringComparison.Ordinal); // strict
            var go = text.IndexOf("go version", install, StringComparison.Ordinal);
            Assert.True(first > 0 && upgrade > first && again > upgrade && check > again && install > check && go > install,
                "config, tolerated self-upgrade, config again, pkg -v, strict install, go version");
            Assert.Contains("/usr/local/etc/pkg/repos", text);
            Assert.Contains("df-latest.conf", text);
            Assert.Contains("tail -n 5 \"$LOG\"", text); // failures carry pkg's output
            Assert.Contains("go git doas rsync", text);
        }

        private (int exit, string stdout, string stderr) Provision(string doasConf, params string[] args)
        {
            return ImageFixture.Run("sh", new[] { Extract("provision.sh") }.Concat(args),
                environment: new Dictionary<string, string> { ["DFVM_DOAS_CONF"] = doasConf });
        }

        [Fact]
        public void ProvisionIsIdempotent()
        {
            var doas = Path.Combine(_dir, "etc", "doas.conf");
            var src = Path.Combine(_dir, "home", "src");
            var cache = Path.Combine(_dir, "home", "cache");

            var first = Provision(doas, src, cache);
            Assert.True(first.exit == 0, first.stdout + first.stderr);
            Assert.Contains("DFVM-PROVISION: changed=3", first.stdout);
            Assert.Contains($"DFVM-PROVISION: changed created {src}", first.stdout);
            Assert.Equal("permit nopass keepenv root\n", File.ReadAllText(doas));
            Assert.True(Directory.Exists(src) && Directory.Exists(cache));

            var second = Provision(doas, src, cache);
            Assert.True(second.exit == 0, second.stdout + second.stderr);
            Assert.Equal("DFVM-PROVISION: changed=0\n", second.stdout);
            Assert.Equal("permit nopass keepenv root\n", File.ReadAllText(doas));
        }

        [Fact]
        public void ProvisionAddsTheRuleToAnExistingConfOnce()
        {
            var doas = Path.Combine(_dir, "doas.conf");
            File.WriteAllText(doas, "permit persist :wheel"); // no final newline
            var first = Provision(doas);
            Assert.Equal(0, first.exit);
            Assert.Equal("permit persist :wheel\npermit nopass keepenv root\n", File.ReadAllText(doas));
            Assert.Contains("changed=1", first.stdout);
            Assert.Contains("changed=0", Provision(doas).stdout);
        }

        [Fact]
        public void ProvisionTakesDirsFromTheEnvironmentAndRejectsRelativeOnes()
        {
            var doas = Path.Combine(_dir, "doas.conf");
            var a = Path.Combine(_dir, "a");
            var env = new Dictionary<string, string> { ["DFVM_DOAS_CONF"] = doas, ["DFVM_PROJECT_DIRS"] = a };
            var run = ImageFixture.Run("sh", new[] { Extract("provision.sh") }, environment: env);
            Assert.Equal(0, run.exit);
            Assert.True(Directory.Exists(a));

            var bad = Provision(doas, "relative/dir");
            Assert.Equal(1, bad.exit);
            Assert.Contains("absolute path", bad.stderr);
            Assert.False(Directory.Exists(Path.Combine(_dir, "relative")));
        }
    }
}
