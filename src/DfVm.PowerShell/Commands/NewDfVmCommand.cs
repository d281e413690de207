using System.Management.Automation;
using DfVm.Core.Instances;

namespace DfVm.PowerShell.Commands
{
    /// <summary>Creates vm/&lt;name&gt;/: a thin qcow2 disk (or an overlay of -BaseImage), the VM's key pair and its definition.</summary>
    [Cmdlet(VerbsCommon.New, "DfVm", SupportsShouldProcess = true, DefaultParameterSetName = "DragonFly")]
    [OutputType(typeof(DfVmInstance))]
    public sealed class NewDfVmCommand : DfVmCmdlet
    {
        /// <summary>The new VM's name (default: the config's VM). A piped string binds here.</summary>
        [Parameter(Position = 0, ValueFromPipeline = true)]
        [Alias("VmName")]
        [VmNameTransformation]
        [ValidatePattern(@"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}\z")]
        public string Name { get; set; }

        [Parameter]
        [ValidateRange(1, 4096)]
        public int DiskSizeGB { get; set; }

        [Parameter]
        [ValidateRange(128, 1048576)]
        public int MemoryMB { get; set; }

        [Parameter]
        [ValidateRange(1, 256)]
        public int Cpus { get; set; }

        /// <summary>Fixed SSH port on 127.0.0.1, or 0 to choose a free one at each start.</summary>
        [Parameter]
        [ValidateRange(0, 65535)]
        public int? SshPort { get; set; }

        /// <summary>A qcow2 image the VM's disk is an overlay of (never written).</summary>
        [Parameter(ParameterSetName = "DragonFly")]
        [Parameter(ParameterSetName = "DirectBoot")]
        public string BaseImage { get; set; }

        /// <summary>Boot this kernel directly (the Linux test guest) instead of the disk's bootloader.</summary>
        [Parameter(Mandatory = true, ParameterSetName = "DirectBoot")]
        public string Kernel { get; set; }

        [Parameter(ParameterSetName = "DirectBoot")]
        public string Initrd { get; set; }

        [Parameter(ParameterSetName = "DirectBoot")]
        public string KernelArguments { get; set; }

        [Parameter]
        [ValidateSet("virtio-scsi", "virtio-blk")]
        public string DiskInterface { get; set; }

        [Parameter]
        [ValidateSet("Auto", "Kvm", "Tcg")]
        public string Accelerator { get; set; } = "Auto";

        /// <summary>Replace an existing VM of that name (without it, an existing VM is a VmExists error); -WhatIf still only reports.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            var config = Project.Config;
            string name = Name ?? config.VmName;
            var store = Store;
            bool exists = store.Exists(name);
            ForEachItem(name, () =>
            {
                string action = exists && Force ? "Replace VM (its disk, snapshots and keys are deleted)" : "Create VM";
                if (!ShouldProcess(System.IO.Path.Combine(store.Root, name), action)) return;

                bool direct = ParameterSetName == "DirectBoot";
                var def = new VmDefinition
                {
                    Name = name,
                    DiskSizeGB = DiskSizeGB > 0 ? DiskSizeGB : config.DiskSizeGB,
                    MemoryMB = MemoryMB > 0 ? MemoryMB : config.MemoryMB,
                    Cpus = Cpus > 0 ? Cpus : config.Cpus,
                    SshPort = SshPort ?? config.SshPort,
                    SshUser = config.SshUser,
                    BaseImage = BaseImage != null ? GetUnresolvedProviderPathFromPSPath(BaseImage) : null,
                    Accelerator = Accelerator.ToLowerInvariant(),
                    GuestOs = direct ? "linux" : "dragonfly",
                    DiskInterface = DiskInterface ?? (direct ? "virtio-blk" : "virtio-scsi"),
                    Boot = direct ? new DirectBoot
                    {
                        Kernel = GetUnresolvedProviderPathFromPSPath(Kernel),
                        Initrd = Initrd != null ? GetUnresolvedProviderPathFromPSPath(Initrd) : null,
                        Append = KernelArguments,
                    } : null,
                };
                var paths = RunOnWorker((pump, ct) => Engine.Factory.CreateAsync(def, exists && Force, pump, ct));
                WriteObject(RunOnWorker((pump, ct) => Controller.GetAsync(paths, ct, pump)));
            });
        }
    }
}
