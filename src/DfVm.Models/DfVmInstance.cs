using System;

namespace DfVm
{
    public enum DfVmState { Stopped, Starting, Running, Paused, Unknown }

    /// <summary>A VM as Get-DfVm, Start-DfVm and New-DfVm report it.</summary>
    public sealed class DfVmInstance
    {
        public string Name { get; set; }
        public DfVmState State { get; set; }
        /// <summary>True when an SSH login has succeeded since this boot (or the banner answers now).</summary>
        public bool Ready { get; set; }
        public int? ProcessId { get; set; }
        public int SshPort { get; set; }
        public string Accelerator { get; set; }
        public int MemoryMB { get; set; }
        public int Cpus { get; set; }
        public string DiskPath { get; set; }
        public int DiskSizeGB { get; set; }
        public long DiskUsedBytes { get; set; }
        public int Snapshots { get; set; }
        public DateTime? StartTime { get; set; }
        public TimeSpan? Uptime => StartTime.HasValue && State != DfVmState.Stopped ? DateTime.Now - StartTime.Value : (TimeSpan?)null;
        public string SerialLogPath { get; set; }
        /// <summary>The guest's SSH host key DfVm pinned at first contact ("ssh-ed25519 SHA256:..."), or null before it.</summary>
        public string HostKeyFingerprint { get; set; }
        public string Path { get; set; }
        public string QemuStatus { get; set; }

        public override string ToString() => Name;
    }

    /// <summary>What one guest command returned. A non-zero exit is data.</summary>
    public sealed class DfVmCommandResult
    {
        public string VmName { get; set; }
        public string Command { get; set; }
        public int ExitCode { get; set; }
        public bool Succeeded => ExitCode == 0;
        public string Output { get; set; }
        public string Error { get; set; }
        public TimeSpan Duration { get; set; }

        public override string ToString() => Output;
    }
}
