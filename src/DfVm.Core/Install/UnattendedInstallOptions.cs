using System;
using System.Collections.Generic;
using DfVm.Core.Images;

namespace DfVm.Core.Install
{
    /// <summary>What <see cref="UnattendedInstaller.InstallAsync"/> installs and how long each step may take.</summary>
    public sealed class UnattendedInstallOptions
    {
        /// <summary>DragonFly release, e.g. "6.4.0".</summary>
        public string Version { get; set; } = DragonFlyRelease.DefaultVersion;

        /// <summary>Mirror folder for the ISO when it is not cached yet (null: DragonFly's own).</summary>
        public Uri Mirror { get; set; }

        /// <summary>The image cache, &lt;vm root&gt;/images.</summary>
        public string ImagesDirectory { get; set; }

        /// <summary>The guest's host name (default: the VM name).</summary>
        public string Hostname { get; set; }

        /// <summary>Packages the packages phase installs.</summary>
        public string Packages { get; set; } = "go git doas rsync";

        /// <summary>Guest folders provision.sh makes (absolute paths).</summary>
        public IReadOnlyList<string> ProjectDirectories { get; set; } = new string[0];

        /// <summary>The most one PFI phase may take.</summary>
        public TimeSpan PhaseTimeout { get; set; } = TimeSpan.FromMinutes(60);

        /// <summary>The longest a phase's serial console may stay silent (the system copy prints nothing for minutes).</summary>
        public TimeSpan SilenceTimeout { get; set; } = TimeSpan.FromMinutes(20);

        /// <summary>How long the installer CD may take to show the loader's menu on the serial line (BIOS, boot blocks, loader under TCG).</summary>
        public TimeSpan LoaderTimeout { get; set; } = TimeSpan.FromMinutes(5);

        /// <summary>How long each answer of the loader (its prompt, its menu) may take.</summary>
        public TimeSpan LoaderCommandTimeout { get; set; } = TimeSpan.FromSeconds(60);

        /// <summary>How long to wait for the loader to answer a key before typing it again (keys typed before it listens are lost).</summary>
        public TimeSpan LoaderRetryEvery { get; set; } = TimeSpan.FromSeconds(3);

        /// <summary>How long the first boot of the installed system may take to accept SSH.</summary>
        public TimeSpan StartTimeout { get; set; } = TimeSpan.FromMinutes(10);

        /// <summary>Build the guest Go's standard library into root's build cache before the snapshot.</summary>
        public bool WarmGoBuildCache { get; set; } = true;

        /// <summary>Run the guest self-check (Test-DfVmGuest) before the snapshot; any failed check fails the install (GuestSelfCheckFailed).</summary>
        public bool SelfCheck { get; set; } = true;

        /// <summary>The snapshot taken at the end (null or empty: none).</summary>
        public string SnapshotName { get; set; } = "clean";
    }

    /// <summary>What an unattended install did.</summary>
    public sealed class UnattendedInstallResult
    {
        public DfVmInstance Vm { get; set; }
        public DfVmImage Image { get; set; }
        public IReadOnlyList<PhaseResult> Phases { get; set; }
        public ProvisionOutcome Provision { get; set; }
        /// <summary>The snapshot taken at the end, or null when none was (no snapshot layer wired).</summary>
        public string Snapshot { get; set; }
        /// <summary>The guest self-check's rows (all passed: a failed one fails the install), empty when it was not run.</summary>
        public IReadOnlyList<DfVmGuestCheck> Checks { get; set; } = new DfVmGuestCheck[0];
        /// <summary>What went not quite right but did not stop the install (e.g. a phase ended by DfVm, not by the guest's power-off).</summary>
        public IReadOnlyList<string> Warnings { get; set; } = new string[0];
    }
}
