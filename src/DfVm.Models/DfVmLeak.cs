using System;
using System.Globalization;

namespace DfVm
{
    /// <summary>One entry of the guest's mount table, as `mount -p` (DragonFly) or `mount` (a Linux guest) lists it.</summary>
    public sealed class DfVmMount
    {
        public DfVmMount(string type, string source, string mountPoint, string options)
        {
            Type = type ?? string.Empty;
            Source = source ?? string.Empty;
            MountPoint = mountPoint ?? string.Empty;
            Options = options ?? string.Empty;
        }

        /// <summary>The file system type: tmpfs, nullfs, devfs, procfs, hammer2 (on a Linux guest: tmpfs, ext4, proc...).</summary>
        public string Type { get; }

        /// <summary>What is mounted: a device, a folder (nullfs), or the type's name (tmpfs).</summary>
        public string Source { get; }

        /// <summary>Where it is mounted.</summary>
        public string MountPoint { get; }

        /// <summary>The options the table showed (not compared: a remount is not a leak).</summary>
        public string Options { get; }

        public override string ToString() => $"{Type} {Source} on {MountPoint}";
    }

    /// <summary>A guest process, as `ps -ax -ww -o pid= -o ppid= -o state= -o command=` listed it.</summary>
    public sealed class DfVmProcess
    {
        public DfVmProcess(int processId, int parentProcessId, string state, string command)
        {
            ProcessId = processId;
            ParentProcessId = parentProcessId;
            State = state ?? string.Empty;
            Command = command ?? string.Empty;
        }

        public int ProcessId { get; }

        public int ParentProcessId { get; }

        /// <summary>ps's state letters (S, R, Z...).</summary>
        public string State { get; }

        /// <summary>The command line (bounded).</summary>
        public string Command { get; }

        public override string ToString() => ProcessId.ToString(CultureInfo.InvariantCulture) + " " + Command;
    }

    /// <summary>
    /// What one test binary changed in the guest and did not undo: the difference between the mount table
    /// and process list just before it ran and just after.
    /// </summary>
    public sealed class DfVmLeak
    {
        private static readonly DfVmMount[] NoMounts = new DfVmMount[0];
        private static readonly DfVmProcess[] NoProcesses = new DfVmProcess[0];

        public DfVmLeak(DfVmMount[] leftMounts, DfVmMount[] removedMounts, DfVmProcess[] leftProcesses, DfVmProcess[] endedProcesses, int? cleanFailures)
        {
            LeftMounts = leftMounts ?? NoMounts;
            RemovedMounts = removedMounts ?? NoMounts;
            LeftProcesses = leftProcesses ?? NoProcesses;
            EndedProcesses = endedProcesses ?? NoProcesses;
            CleanFailures = cleanFailures;
        }

        /// <summary>Mounted while the binary ran and still mounted after it (deepest last, as listed).</summary>
        public DfVmMount[] LeftMounts { get; }

        /// <summary>Mounted before the binary ran and gone after it: something it unmounted and did not mount.</summary>
        public DfVmMount[] RemovedMounts { get; }

        /// <summary>Started while the binary ran and still running after it, with no parent but init (orphans it left).</summary>
        public DfVmProcess[] LeftProcesses { get; }

        /// <summary>Daemons and orphans (parent init) running before the binary and gone after it.</summary>
        public DfVmProcess[] EndedProcesses { get; }

        /// <summary>With -CleanLeaks: how many unmounts failed after the retries (0: all undone); null without it.</summary>
        public int? CleanFailures { get; }

        /// <summary>True when anything was left or removed.</summary>
        public bool Leaked => LeftMounts.Length + RemovedMounts.Length + LeftProcesses.Length + EndedProcesses.Length > 0;

        public override string ToString()
        {
            if (!Leaked)
            {
                return "no leak";
            }

            string text = string.Format(CultureInfo.InvariantCulture, "{0} mount(s) left, {1} removed, {2} process(es) left, {3} ended",
                LeftMounts.Length, RemovedMounts.Length, LeftProcesses.Length, EndedProcesses.Length);
            return CleanFailures == null ? text : text + (CleanFailures == 0 ? " (cleaned)" : $" ({CleanFailures} not cleaned)");
        }
    }
}
