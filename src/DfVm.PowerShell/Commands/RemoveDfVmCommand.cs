using System.IO;
using System.Linq;
using System.Management.Automation;

namespace DfVm.PowerShell.Commands
{
    /// <summary>Stops the VM and deletes vm/&lt;name&gt;/ (disk, snapshots, keys, logs). Nothing outside it.</summary>
    [Cmdlet(VerbsCommon.Remove, "DfVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(void))]
    public sealed class RemoveDfVmCommand : VmCmdlet
    {
        /// <summary>Do not ask the extra question (-WhatIf still only reports).</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            ForEachVm(Name, (name, paths) =>
            {
                var files = Directory.GetFiles(paths.Directory, "*", SearchOption.AllDirectories);
                long bytes = files.Sum(f => new FileInfo(f).Length);
                string what = $"{paths.Directory} ({files.Length} files, {bytes / 1048576.0:0.#} MiB: " +
                    string.Join(", ", files.Select(f => f.Substring(paths.Directory.Length + 1)).Take(20)) + (files.Length > 20 ? ", ..." : "") + ")";
                if (!ShouldProcessThenAsk(what, "Stop and delete VM", Force, $"Stop VM '{name}' and delete {paths.Directory} ({files.Length} files, {bytes / 1048576.0:0.#} MiB: its disk, snapshots and keys)?", "Remove VM")) return;
                RunOnWorker((pump, ct) => Engine.Factory.RemoveAsync(paths, pump, ct));
            });
        }
    }
}
