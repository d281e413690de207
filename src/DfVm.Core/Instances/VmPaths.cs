using System.IO;

namespace DfVm.Core.Instances
{
    /// <summary>Where each file of one VM lives: vm/&lt;name&gt;/...</summary>
    public sealed class VmPaths
    {
        public VmPaths(string vmRoot, string name)
        {
            Name = name;
            Directory = Path.GetFullPath(Path.Combine(vmRoot, name));
        }

        public string Name { get; }
        public string Directory { get; }
        public string Definition => Path.Combine(Directory, "instance.json");
        public string State => Path.Combine(Directory, "state.json");
        public string Disk => Path.Combine(Directory, "disk.qcow2");
        public string Snapshots => Path.Combine(Directory, "snapshots");
        public string QmpSocket => Path.Combine(Directory, "qmp.sock");
        public string SerialLog => Path.Combine(Directory, "serial.log");
        public string PidFile => Path.Combine(Directory, "qemu.pid");
        public string PrivateKey => Path.Combine(Directory, "id_ed25519");
        public string PublicKey => Path.Combine(Directory, "id_ed25519.pub");
        public string KnownHosts => Path.Combine(Directory, "known_hosts");
        public string Lock => Path.Combine(Directory, "lock");
        /// <summary>Held (flock) for the moment of a read-modify-write of state.json, by any process, with or without the VM lock.</summary>
        public string StateLock => Path.Combine(Directory, "state.lock");
        /// <summary>The pid of a QEMU launch in flight (the foreground process, before it daemonizes), written by that process itself.</summary>
        public string LaunchMarker => Path.Combine(Directory, "launch.pid");
        public string SyncManifest => Path.Combine(Directory, "sync-manifest.json");
    }
}
