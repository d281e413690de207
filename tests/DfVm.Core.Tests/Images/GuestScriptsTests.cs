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

        public static IEnumerable<object[]> ScriptNames() => new[] { "install.sh", "packages.sh", "provision.sh" }.Select(n => new object[] { n });

        private string Extract(string name)
        {
            var path = Path.Combine(_dir, name);
            File.WriteAllText(path, GuestScripts.Get(name));
            return path;
        }

        [Fact]
        public void EveryScriptIsEmbedded()
        {
            Assert.Equal(new[] { "install.sh", "packages.sh", "provision.sh" }, GuestScripts.Names);
            Assert.Throws<ArgumentException>(() => GuestScripts.Get("nope.sh"));
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
            Assert.DoesNotContain("pw usermod", text);
            Assert.DoesNotContain("passwd", text);
        }

        [Fact]
        public void InstallWritesTheProvenConfiguration()
        {
            var text = GuestScripts.Get("install.sh");
            foreach (var expected in new[]
            {
                "fdisk -IB", "disklabel -r -w -B", "a: 1G 0 4.2BSD", "d: * * HAMMER2", "newfs \"/dev/${DISK}s1a\"",
                "newfs_hammer2 -L ROOT", "mount_cd9660 /dev/cd2", "cpdup",
                "vfs.root.mountfrom=\"hammer2:${DISK}s1d\"", "console=\"comconsole\"", "autoboot_delay=\"1\"",
                "ifconfig_vtnet0=\"inet 10.0.2.15 netmask 255.255.255.0\"", "defaultrouter=\"10.0.2.2\"",
                "sshd_enable=\"YES\"", "dntpd_enable=\"NO\"", "authorized_keys", "chmod 0600", "rm -f \"$T/etc/pfi.conf\"",
            })
                Assert.Contains(expected, text);
        }

        [Fact]
        public void PackagesRestoresTheRepoConfigAfterUpgradingPkg()
        {
            var text = GuestScripts.Get("packages.sh");
            var upgrade = text.IndexOf("pkg upgrade -y pkg", StringComparison.Ordinal);
            var restore = text.IndexOf("cp \"$REPO.sample\" \"$REPO\"", StringComparison.Ordinal);
            var install = text.IndexOf("pkg install -y $PACKAGES", StringComparison.Ordinal);
            Assert.True(upgrade > 0 && restore > upgrade && install > restore, "upgrade pkg, then restore df-latest.conf, then install");
            Assert.Contains("/usr/local/etc/pkg/repos/df-latest.conf", text);
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
