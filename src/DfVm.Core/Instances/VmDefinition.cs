using System.Collections.Generic;

namespace DfVm.Core.Instances
{
    /// <summary>How to boot the VM when the guest has no bootloader of ours (the Linux test guest).</summary>
    public sealed class DirectBoot
    {
        public string Kernel { get; set; }
        public string Initrd { get; set; }
        public string Append { get; set; }
        /// <summary>
        /// Pass the VM's public key on the kernel command line (dfvm.authkey=, which the test guest writes
        /// into authorized_keys at every boot). False for an imported disk: its own authorized_keys is used.
        /// </summary>
        public bool AuthKeyArgument { get; set; } = true;
    }

    /// <summary>The instance's own configuration, kept in vm/&lt;name&gt;/instance.json.</summary>
    public sealed class VmDefinition
    {
        public string Name { get; set; }
        public int MemoryMB { get; set; } = 2048;
        public int Cpus { get; set; } = 2;
        public int DiskSizeGB { get; set; } = 20;
        /// <summary>0 means: choose a free port at each start.</summary>
        public int SshPort { get; set; } = 0;
        public string SshUser { get; set; } = "root";
        /// <summary>"dragonfly" or "linux" (the test guest).</summary>
        public string GuestOs { get; set; } = "dragonfly";
        /// <summary>"auto", "kvm" or "tcg".</summary>
        public string Accelerator { get; set; } = "auto";
        public string Machine { get; set; } = "q35";
        public string NicModel { get; set; } = "virtio-net-pci";
        /// <summary>"virtio-scsi" (DragonFly sees da0) or "virtio-blk".</summary>
        public string DiskInterface { get; set; } = "virtio-scsi";
        /// <summary>Read-only image the VM's disk is an overlay of, when it was made from one.</summary>
        public string BaseImage { get; set; }
        /// <summary>The base image's format: "qcow2" (when null) or "raw" (an imported raw disk).</summary>
        public string BaseImageFormat { get; set; }
        public DirectBoot Boot { get; set; }
        /// <summary>Seconds of serial silence under KVM after which the boot is retried under TCG.</summary>
        public int KvmWatchdogSeconds { get; set; } = 20;
        public List<string> ExtraQemuArgs { get; set; } = new List<string>();
    }

    /// <summary>What a start left behind, kept in vm/&lt;name&gt;/state.json.</summary>
    public sealed class VmRuntimeState
    {
        public int Pid { get; set; }
        public int SshPort { get; set; }
        public string Accelerator { get; set; }
        public System.DateTime StartTime { get; set; }
        /// <summary>Changes at every boot and every live restore; the sync manifest is tied to it.</summary>
        public string BootId { get; set; }
        public bool Ready { get; set; }
        /// <summary>The memory QEMU was launched with (0: a QEMU launched before this was recorded). A live checkpoint
        /// and its relaunch use this, not the definition's size, which Set-DfVm may have changed since (next cold boot).</summary>
        public int MemoryMB { get; set; }
        /// <summary>The CPU count QEMU was launched with (0: not recorded).</summary>
        public int Cpus { get; set; }
        /// <summary>The -cpu model QEMU was launched with (null: not recorded, a QEMU of an older DfVm; under TCG that
        /// was <see cref="Qemu.QemuCommandLine.LegacyTcgCpuModel"/>).</summary>
        public string CpuModel { get; set; }
    }
}
