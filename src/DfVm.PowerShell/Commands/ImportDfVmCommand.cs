using System;
using System.Management.Automation;
using DfVm.Core.Install;
using DfVm.Core.Instances;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// Makes a DfVm VM from a disk image the user already has (the Makefile workflow's
    /// vm/dfly-vm.qcow2, a hand-made VM, a prebuilt CI image): the image is the read-only base of
    /// the VM's disk (or copied with -Copy), the guest is logged in to once with -Credential or
    /// -KeyFile, gets the VM's own key, its host key pinned, is brought to what DfVm needs (each
    /// change listed), checked, and snapshotted as 'clean'.
    /// </summary>
    [Cmdlet(VerbsData.Import, "DfVm", SupportsShouldProcess = true, DefaultParameterSetName = DragonFlySet)]
    [OutputType(typeof(DfVmImportResult))]
    public sealed class ImportDfVmCommand : DfVmCmdlet
    {
        private const string DragonFlySet = "DragonFly";
        private const string DirectBootSet = "DirectBoot";

        /// <summary>The existing disk image (qcow2 or raw). Never written.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [Alias("Image")]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; }

        /// <summary>
        /// The user's clean copy of the same VM (the Makefile workflow's vm/dfly-vm-clean.qcow2): adopted
        /// first, kept as the 'clean' snapshot; the VM then runs on -Path. Never written either.
        /// </summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string CleanImage { get; set; }

        /// <summary>The new VM's name (default: the config's VM).</summary>
        [Parameter(Position = 1)]
        [Alias("VmName")]
        [ValidatePattern(@"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}\z")]
        public string Name { get; set; }

        /// <summary>The guest user and password for the first login (kept in memory for that login only).</summary>
        [Parameter]
        [Credential]
        public PSCredential Credential { get; set; }

        /// <summary>A private key the guest already accepts, for the first login.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string KeyFile { get; set; }

        /// <summary>The guest user for -KeyFile (default: the config's SshUser, root).</summary>
        [Parameter]
        [ValidatePattern(@"^[a-z_][a-z0-9_-]{0,31}\z")]
        public string User { get; set; }

        /// <summary>Copy the image into the VM instead of using it as the read-only base.</summary>
        [Parameter]
        public SwitchParameter Copy { get; set; }

        /// <summary>Turn sshd's password logins off (key-only). Locks out anyone who logs in to this guest by password.</summary>
        [Parameter]
        public SwitchParameter DisablePasswordLogin { get; set; }

        /// <summary>Seconds the image may take to boot to SSH.</summary>
        [Parameter]
        [ValidateRange(10, 3600)]
        public int BootTimeout { get; set; } = 300;

        [Parameter]
        [ValidateRange(128, 1048576)]
        public int MemoryMB { get; set; }

        [Parameter]
        [ValidateRange(1, 256)]
        public int Cpus { get; set; }

        [Parameter]
        [ValidateRange(0, 65535)]
        public int? SshPort { get; set; }

        [Parameter]
        [ValidateSet("Auto", "Kvm", "Tcg")]
        public string Accelerator { get; set; } = "Auto";

        [Parameter]
        [ValidateSet("virtio-scsi", "virtio-blk")]
        public string DiskInterface { get; set; }

        /// <summary>Boot this kernel directly (the Linux test guest) instead of the disk's bootloader.</summary>
        [Parameter(Mandatory = true, ParameterSetName = DirectBootSet)]
        public string Kernel { get; set; }

        [Parameter(ParameterSetName = DirectBootSet)]
        public string Initrd { get; set; }

        [Parameter(ParameterSetName = DirectBootSet)]
        public string KernelArguments { get; set; }

        protected override void ProcessRecord()
        {
            var config = Project.Config;
            string name = Name ?? config.VmName;
            string image = GetUnresolvedProviderPathFromPSPath(Path);
            ForEachItem(name, () =>
            {
                string how = Copy ? "copied into the VM" : "used as the read-only base of its disk";
                string clean = CleanImage != null ? GetUnresolvedProviderPathFromPSPath(CleanImage) : null;
                if (!ShouldProcess(name, $"Import {image} as VM '{name}'" + (clean != null ? $" with {clean} as its 'clean' snapshot" : "") + $" (the image is {how}; the guest gets the VM's key, Go, a doas rule" +
                    (DisablePasswordLogin ? ", and sshd key-only" : "") + ")")) return;
                bool direct = ParameterSetName == DirectBootSet;
                var options = new ImportOptions
                {
                    ImagePath = image,
                    CleanImagePath = clean,
                    Copy = Copy,
                    User = Credential != null ? Credential.UserName : (User ?? config.SshUser ?? "root"),
                    Password = Credential?.GetNetworkCredential().Password,
                    KeyFile = KeyFile != null ? GetUnresolvedProviderPathFromPSPath(KeyFile) : null,
                    BootTimeout = TimeSpan.FromSeconds(BootTimeout),
                    DisablePasswordLogin = DisablePasswordLogin,
                    ProjectDirectories = new[] { Project.GuestProjectPath },
                    Definition = new VmDefinition
                    {
                        Name = name,
                        MemoryMB = MemoryMB > 0 ? MemoryMB : config.MemoryMB,
                        Cpus = Cpus > 0 ? Cpus : config.Cpus,
                        SshPort = SshPort ?? config.SshPort,
                        Accelerator = Accelerator.ToLowerInvariant(),
                        GuestOs = "dragonfly",
                        DiskInterface = DiskInterface ?? (direct ? "virtio-blk" : "virtio-scsi"),
                        Boot = direct ? new DirectBoot
                        {
                            Kernel = GetUnresolvedProviderPathFromPSPath(Kernel),
                            Initrd = Initrd != null ? GetUnresolvedProviderPathFromPSPath(Initrd) : null,
                            Append = KernelArguments,
                        } : null,
                    },
                };
                var result = RunOnWorker((pump, ct) => new VmImporter(Engine).ImportAsync(options, pump, ct));
                Say($"VM '{name}' imported from {image} ({result.ImageFormat}, {how}) in {result.Duration.TotalSeconds:0} s.");
                Say($"First contact: pinned the guest's SSH host key {result.HostKeyFingerprint}.");
                if (clean != null) Say(result.Snapshot != null ? $"Snapshot 'clean' holds {clean}, brought to what DfVm needs; the VM runs on {image}." : $"No 'clean' snapshot: the self-check of {clean} failed (see the warning).");
                foreach (var change in result.Changes) Say("  changed: " + change);
                foreach (var k in result.Kept) Say("  kept:    " + k);
                WriteObject(result);
            });
        }
    }
}
