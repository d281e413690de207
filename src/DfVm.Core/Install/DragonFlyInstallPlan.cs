using System;
using System.Collections.Generic;
using System.IO;
using DfVm.Core.Images;
using DfVm.Core.Instances;
using DfVm.Core.Qemu;

namespace DfVm.Core.Install
{
    /// <summary>
    /// The phases of DragonFly's unattended install (see DRAGONFLY.md), as data:
    /// <list type="number">
    /// <item>install: boot the installer ISO once (<c>-boot once=d</c>) with the ISO as cd0, the
    /// PFI disc as cd1 and the ISO again as cd2 (install.sh copies the system from cd2); the live
    /// CD's loader talks to the screen, so <see cref="LoaderKeys"/> are typed on the serial line
    /// to switch it to the serial console (the Go team's builder does the same);</item>
    /// <item>packages: boot the installed disk (its loader.conf already says comconsole) with the
    /// phase's PFI disc as cd0.</item>
    /// </list>
    /// Provisioning follows over SSH (<see cref="ProvisionRunner"/>), not as a PFI phase.
    /// </summary>
    public static class DragonFlyInstallPlan
    {
        /// <summary>
        /// Typed into the serial console of the booting installer ISO: <c>9</c> leaves the loader
        /// menu for its prompt, then the console is switched to the serial port and the boot goes on.
        /// </summary>
        public const string LoaderKeys = "9\nset console=comconsole\nboot\n";

        /// <summary>The QEMU arguments that boot the first CD-ROM for this start only (later reboots use the disk).</summary>
        public static IReadOnlyList<string> BootCdOnce { get; } = new[] { "-boot", "once=d" };

        public static IReadOnlyList<PlannedPhase> Build(string isoPath, string authorizedKey, VmPaths paths, VmDefinition def,
            UnattendedInstallOptions options)
        {
            if (string.IsNullOrEmpty(isoPath)) throw new ArgumentException("The installer ISO is required.", nameof(isoPath));
            string dir = DiscDirectory(paths);
            var install = PfiPhase.Install(options.Hostname ?? def.Name, DiskDevice(def));
            var packages = PfiPhase.Packages(options.Packages ?? "go git doas rsync");
            string installDisc = Path.Combine(dir, "pfi-install.iso");
            string packagesDisc = Path.Combine(dir, "pfi-packages.iso");
            return new[]
            {
                new PlannedPhase
                {
                    Phase = install,
                    DiscPath = installDisc,
                    DiscFiles = install.DiscFiles(authorizedKey),
                    Boot = new PhaseBoot
                    {
                        Media = new[] { Cd(isoPath), Cd(installDisc), Cd(isoPath) },
                        ExtraQemuArgs = BootCdOnce,
                        ConsoleKeys = LoaderKeys,
                        ConsoleKeysDelay = TimeSpan.FromSeconds(1),
                        Timeout = options.PhaseTimeout,
                        SilenceTimeout = options.SilenceTimeout,
                    },
                },
                new PlannedPhase
                {
                    Phase = packages,
                    DiscPath = packagesDisc,
                    DiscFiles = packages.DiscFiles(authorizedKey),
                    Boot = new PhaseBoot
                    {
                        Media = new[] { Cd(packagesDisc) },
                        Timeout = options.PhaseTimeout,
                        SilenceTimeout = options.SilenceTimeout,
                    },
                },
            };
        }

        /// <summary>vm/&lt;name&gt;/install/: where the phase discs are written.</summary>
        public static string DiscDirectory(VmPaths paths) => Path.Combine(paths.Directory, "install");

        /// <summary>The disk as DragonFly names it: da0 on virtio-scsi (the default), vbd0 on virtio-blk.</summary>
        public static string DiskDevice(VmDefinition def) =>
            string.Equals(def.DiskInterface, "virtio-blk", StringComparison.OrdinalIgnoreCase) ? "vbd0" : "da0";

        private static AttachedMedia Cd(string path) => new AttachedMedia { Path = path, IsCdrom = true };
    }
}
