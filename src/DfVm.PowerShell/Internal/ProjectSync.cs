using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core;
using DfVm.Core.Instances;
using DfVm.Core.Sync;

namespace DfVm.PowerShell
{
    /// <summary>One sync of the project into a VM, shared by Sync-DfVmProject and Invoke-DfVmTest -Sync.</summary>
    internal static class ProjectSync
    {
        /// <summary>
        /// How long a sync waits for another command on the VM (another sync, a restore, a start)
        /// before failing with VmLocked: long enough for a large first sync or a cold boot.
        /// </summary>
        private static readonly TimeSpan LockWait = TimeSpan.FromMinutes(5);

        /// <summary>The guest folder the project lives in: config GuestProjectPath, else /root/&lt;project folder name&gt;.</summary>
        public static string DefaultDestination(DfVmConfig config, string sourcePath)
        {
            if (!string.IsNullOrEmpty(config.GuestProjectPath)) return config.GuestProjectPath;
            string name = Path.GetFileName(DfVm.Core.Util.HostPath.Real(sourcePath).TrimEnd('/'));
            return "/root/" + name;
        }

        public static async Task<SyncOutcome> RunAsync(VmController controller, VmPaths paths, DfVmConfig config,
            string source, string destination, bool full, bool verify, bool whatIf, string[] extraExcludes,
            DfVmCmdlet.Pump pump, CancellationToken ct)
        {
            // The lock covers the whole scan-send-save: a second sync, or a restore swapping the guest
            // underneath, waits, so the manifest never lists what the guest does not hold.
            using (VmLock.Acquire(paths, LockWait, pump, ct))
            {
                return await RunLockedAsync(controller, paths, config, source, destination, full, verify, whatIf, extraExcludes, pump, ct).ConfigureAwait(false);
            }
        }

        private static async Task<SyncOutcome> RunLockedAsync(VmController controller, VmPaths paths, DfVmConfig config,
            string source, string destination, bool full, bool verify, bool whatIf, string[] extraExcludes,
            DfVmCmdlet.Pump pump, CancellationToken ct)
        {
            var connection = await controller.ConnectAsync(paths, pump, ct).ConfigureAwait(false);
            var options = new SyncOptions
            {
                SourcePath = source,
                Destination = destination,
                ManifestPath = paths.SyncManifest,
                VmDirectory = controller.Store.Root,
                Full = full,
                Verify = verify,
                WhatIf = whatIf,
                IncludeGit = config.SyncIncludeGit,
                ExtraExcludes = (config.SyncExclude ?? new string[0]).Concat(extraExcludes ?? new string[0]).ToList(),
            };
            var progress = new OperationProgress { ActivityId = 43, Activity = $"Syncing {source} to {paths.Name}:{destination}" };
            try
            {
                return await new ProjectSyncer(connection).SyncAsync(options, new ProgressSink(p =>
                {
                    progress.Status = $"{p.Phase}: {p.ItemsDone}/{p.ItemsTotal} files, {p.BytesDone / 1048576.0:0.0}/{p.BytesTotal / 1048576.0:0.0} MiB {p.CurrentPath}";
                    progress.PercentComplete = p.PercentComplete;
                    pump.Progress(progress);
                }), ct).ConfigureAwait(false);
            }
            finally
            {
                progress.Completed = true;
                pump.Progress(progress);
            }
        }

        private sealed class ProgressSink : IProgress<SyncProgress>
        {
            private readonly Action<SyncProgress> _report;
            public ProgressSink(Action<SyncProgress> report) { _report = report; }
            public void Report(SyncProgress value) => _report(value);
        }
    }
}
