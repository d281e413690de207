using System;
using System.Collections.Generic;
using System.IO;
using System.Text.RegularExpressions;
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
    /// CD's loader talks to the screen, so <see cref="LoaderDialog"/> switches it to the serial
    /// console on the serial line, expect-style (the Go team's builder types the same keys blind);</item>
    /// <item>packages: boot the installed disk (its loader.conf already says comconsole) with the
    /// phase's PFI disc as cd0.</item>
    /// </list>
    /// Provisioning follows over SSH (<see cref="ProvisionRunner"/>), not as a PFI phase.
    /// </summary>
    public static class DragonFlyInstallPlan
    {
        /// <summary>The loader's autoboot countdown, <c>"\rBooting in N second(s)... "</c> (stand/boot/dloader/cmds.c, command_menu).</summary>
        public static readonly Regex LoaderCountdown = new Regex(@"Booting in \d+ seconds?\.\.\.", RegexOptions.CultureInvariant);

        /// <summary>The loader's prompt, <c>"OK "</c> at the start of a line.</summary>
        public static readonly Regex LoaderPrompt = new Regex(@"[\r\n]OK ", RegexOptions.CultureInvariant);

        /// <summary>
        /// The dialog that moves the live CD's loader to the serial console, expect-style: wait for
        /// the menu's countdown; type <c>9</c> ("Escape to loader prompt", dloader.menu) until the
        /// <c>OK</c> prompt answers (keys typed before the loader listens are drained and lost:
        /// stand/boot/pc32/libi386/comconsole.c); an empty line (a retried <c>9</c> that reached
        /// the prompt becomes a harmless unknown command); <c>set console=comconsole</c>; <c>menu</c>
        /// (the menu again, counting down: autoboot_delay=NO counts as 10 s in command_menu); then
        /// item <c>1</c> until the countdown stops: item 1 runs <c>loadall</c> with
        /// <c>acpi_load="YES"</c> before <c>boot</c>, so the guest can power itself off (a bare
        /// <c>boot</c> from the prompt would skip loadall).
        /// </summary>
        /// <param name="loaderTimeout">How long the BIOS, the CD's boot blocks and the loader may take to show the menu.</param>
        /// <param name="commandTimeout">How long each answer of the loader may take.</param>
        /// <param name="retryEvery">How long to wait for an answer before a key that may have been drained is typed again.</param>
        public static IReadOnlyList<ConsoleStep> LoaderDialog(TimeSpan loaderTimeout, TimeSpan commandTimeout, TimeSpan retryEvery) => new[]
        {
            new ConsoleStep
            {
                Name = "the loader's menu countdown ('Booting in N seconds...')", Expect = LoaderCountdown, Timeout = loaderTimeout,
                Source = "stand/boot/dloader/cmds.c (command_menu)",
            },
            new ConsoleStep
            {
                Name = "the loader's OK prompt", Send = "9", Expect = LoaderPrompt, RetryEvery = retryEvery, Timeout = commandTimeout,
                Source = "stand/boot/dloader/dloader.menu (item 9), stand/boot/pc32/libi386/comconsole.c (input drained at start)",
            },
            new ConsoleStep { Name = "the OK prompt after an empty line", Send = "\n", Expect = LoaderPrompt, Timeout = commandTimeout, Source = "stand/boot/common/do_dloader.c (interact_prompt: an empty line is no command, an unknown one prints an error; each ends with a new prompt)" },
            new ConsoleStep { Name = "the OK prompt after 'set console=comconsole'", Send = "set console=comconsole\n", Expect = LoaderPrompt, Timeout = commandTimeout, Source = "stand/boot/dloader/cmds.c (console is a kenv variable)" },
            new ConsoleStep { Name = "the menu's countdown after 'menu'", Send = "menu\n", Expect = LoaderCountdown, Timeout = commandTimeout, Source = "stand/boot/dloader/cmds.c (command_menu)" },
            new ConsoleStep
            {
                Name = "the countdown stopping after item 1 ('Boot DragonFly', loadall + boot)", Send = "1", Gone = LoaderCountdown, RetryEvery = retryEvery, Timeout = commandTimeout,
                Source = "stand/boot/dloader/dloader.menu (item 1: loadall, boot)",
            },
        };

        /// <summary>The QEMU arguments that boot the first CD-ROM for this start only (later reboots use the disk).</summary>
        public static IReadOnlyList<string> BootCdOnce { get; } = new[] { "-boot", "once=d" };

        /// <summary>DragonFly's phases (<see cref="Build"/>), as the installer's plan.</summary>
        public static IInstallPlan Phases { get; } = new DragonFlyPlan();

        private sealed class DragonFlyPlan : IInstallPlan
        {
            public bool BootsInstallerIso => true;

            public IReadOnlyList<PlannedPhase> Build(string isoPath, string authorizedKey, VmPaths paths, VmDefinition def, UnattendedInstallOptions options) =>
                DragonFlyInstallPlan.Build(isoPath, authorizedKey, paths, def, options);
        }

        public static IReadOnlyList<PlannedPhase> Build(string isoPath, string authorizedKey, VmPaths paths, VmDefinition def,
            UnattendedInstallOptions options)
        {
            if (string.IsNullOrEmpty(isoPath)) throw new ArgumentException("The installer ISO is required.", nameof(isoPath));
            string dir = DiscDirectory(paths);
            var install = PfiPhase.Install(options.Hostname ?? def.Name, DiskDevice(def), NetworkInterface(def));
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
                        ConsoleDialog = LoaderDialog(options.LoaderTimeout, options.LoaderCommandTimeout, options.LoaderRetryEvery),
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

        /// <summary>
        /// The NIC as DragonFly names it for the VM's NIC model: vtnet0 (virtio-net), em0 (e1000,
        /// e1000e); null for other models (install.sh then takes the first interface it finds).
        /// </summary>
        public static string NetworkInterface(VmDefinition def)
        {
            string model = (def.NicModel ?? "virtio-net-pci").ToLowerInvariant();
            if (model.StartsWith("virtio-net", StringComparison.Ordinal)) return "vtnet0";
            if (model.StartsWith("e1000", StringComparison.Ordinal)) return "em0";
            return null;
        }

        private static AttachedMedia Cd(string path) => new AttachedMedia { Path = path, IsCdrom = true };
    }
}
