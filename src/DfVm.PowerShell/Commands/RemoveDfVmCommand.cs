using System.IO;
using System.Linq;
using System.Management.Automation;

namespace DfVm.PowerShell.Commands
{
    /// <summary>Stops the VM and deletes vm/&lt;name&gt;/ (disk, snapshots, keys, logs). Nothing outside it.</summary>
    [Cmdlet(VerbsCommon.Remove, "DfVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(void))]
    public sealed class RemoveDfVmCommand : DfVmCmdlet
    {
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(VmNameCompleter))]
        public string[] Name { get; set; }

        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            var store = Store;
            foreach (var name in Name ?? new[] { Project.Config.VmName })
            {
                ForEachItem(name, () =>
                {
                    var paths = store.Require(name);
                    var files = Directory.GetFiles(paths.Directory, "*", SearchOption.AllDirectories);
                    long bytes = files.Sum(f => new FileInfo(f).Length);
                    string what = $"{paths.Directory} ({files.Length} files, {bytes / 1048576.0:0.#} MiB: " +
                        string.Join(", ", files.Select(f => f.Substring(paths.Directory.Length + 1)).Take(20)) + (files.Length > 20 ? ", ..." : "") + ")";
                    if (!ShouldProcessUnlessForced(what, "Stop and delete VM", Force)) return;
                    Run((pump, ct) => new Core.Instances.VmFactory(store).RemoveAsync(paths, pump, ct));
                });
            }
        }
    }
}
