using System.Management.Automation;
using DfVm.Core.Instances;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// Pushes the project tree into the guest with the result of rsync -a --delete: incremental
    /// (a manifest of what the guest holds), one tar stream over the warm SSH connection.
    /// </summary>
    [Cmdlet(VerbsData.Sync, "DfVmProject", SupportsShouldProcess = true)]
    [OutputType(typeof(DfVmSyncResult))]
    public sealed class SyncDfVmProjectCommand : DfVmCmdlet
    {
        /// <summary>The VM (default: the config's VM). A piped string binds here, and so does any object's VmName, else its Name.</summary>
        [Parameter(ValueFromPipeline = true)]
        [Alias("VmName")]
        [VmNameTransformation]
        [ArgumentCompleter(typeof(VmNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; }

        /// <summary>The host folder to push (default: the project root, else the current folder).</summary>
        [Parameter(Position = 0)]
        public string Path { get; set; }

        /// <summary>The guest folder (default: config GuestProjectPath, else /root/&lt;folder name&gt;).</summary>
        [Parameter(Position = 1)]
        public string Destination { get; set; }

        /// <summary>Ignore the manifest: compare and send everything.</summary>
        [Parameter]
        public SwitchParameter Full { get; set; }

        /// <summary>Hash the guest side afterwards and report drift.</summary>
        [Parameter]
        public SwitchParameter Verify { get; set; }

        /// <summary>More exclude patterns (gitignore syntax), on top of .gitignore and the config's SyncExclude.</summary>
        [Parameter]
        public string[] Exclude { get; set; }

        protected override void ProcessRecord()
        {
            string name = Name ?? Project.Config.VmName;
            ForEachItem(name, () =>
            {
                var paths = Store.Require(name);
                string source = Path != null ? GetUnresolvedProviderPathFromPSPath(Path) : Project.Root;
                string destination = Destination ?? Core.Sync.SyncDestination.Default(Project.Config, source);
                bool apply = ShouldProcess($"{name}:{destination}", $"Sync {source}", out bool whatIf);
                if (!apply && !whatIf) return; // declined at the -Confirm prompt
                var outcome = RunOnWorker((pump, ct) => Engine.SyncProjectAsync(paths,
                    Project.SyncOptions(source, destination, Full, Verify, whatIf: !apply, Exclude), pump, ct));
                if (whatIf)
                {
                    // -WhatIf: say what would be sent and deleted, send nothing.
                    foreach (var p in outcome.WouldDelete) ShouldProcess($"{name}:{destination}/{p}", "Delete");
                    foreach (var p in outcome.WouldSend) ShouldProcess($"{name}:{destination}/{p}", "Send");
                }
                // Host files that could not be read were skipped (and are retried next sync): say so.
                foreach (var problem in outcome.Problems) WriteWarning($"Not synced: {problem}");
                if (outcome.Compressed) WriteVerbose($"The tar stream went gzipped: {outcome.WireBytes} bytes for {outcome.Result.BytesSent} bytes of tar.");
                WriteObject(outcome.Result);
            });
        }
    }
}
