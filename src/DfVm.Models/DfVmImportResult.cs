using System;

namespace DfVm
{
    /// <summary>What Import-DfVm made of an existing disk image, and every change it made in the guest.</summary>
    public sealed class DfVmImportResult
    {
        public string Name { get; set; }
        /// <summary>The user's image: the read-only base of the VM's disk (never written), or the source of the copy.</summary>
        public string Image { get; set; }
        /// <summary>"qcow2" or "raw", as qemu-img info read it.</summary>
        public string ImageFormat { get; set; }
        /// <summary>True with -Copy: the VM's disk is a copy and the image is no longer needed.</summary>
        public bool Copied { get; set; }

        /// <summary>The user's clean copy (-CleanImage) the 'clean' snapshot was made from, or null.</summary>
        public string CleanImage { get; set; }
        /// <summary>The guest's SSH host key pinned at first contact ("ssh-ed25519 SHA256:...").</summary>
        public string HostKeyFingerprint { get; set; }
        /// <summary>The output of uname -s in the guest ("DragonFly").</summary>
        public string GuestOs { get; set; }
        /// <summary>Every change made in the guest, in order.</summary>
        public string[] Changes { get; set; } = Array.Empty<string>();
        /// <summary>What was found fine or deliberately left as the user had it.</summary>
        public string[] Kept { get; set; } = Array.Empty<string>();
        /// <summary>The guest self-check's lines ("ok go /usr/local/bin/go", "missing doas").</summary>
        public string[] Checks { get; set; } = Array.Empty<string>();
        /// <summary>The snapshot taken at the end ("clean"), or null.</summary>
        public string Snapshot { get; set; }
        public string[] Warnings { get; set; } = Array.Empty<string>();
        public TimeSpan Duration { get; set; }
        public DfVmInstance Vm { get; set; }

        public override string ToString() => Name;
    }
}
