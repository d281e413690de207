using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using DfVm.Core;
using DfVm.Core.Snapshots;

namespace DfVm.PowerShell.Commands
{
    /// <summary>Lists snapshots (oldest first): live or disk, size, parent, whether the current disk is stacked on it.</summary>
    [Cmdlet(VerbsCommon.Get, "DfVmSnapshot")]
    [OutputType(typeof(DfVmSnapshot))]
    public sealed class GetDfVmSnapshotCommand : DfVmCmdlet
    {
        /// <summary>VMs (default: every VM of the project).</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(VmNameCompleter))]
        public string[] Name { get; set; }

        [Parameter(Position = 1)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(SnapshotNameCompleter))]
        public string[] SnapshotName { get; set; }

        protected override void ProcessRecord()
        {
            var store = Store;
            var vms = Name == null || Name.Length == 0 ? store.List() : VmNameResolver.Expand(store, Name, e => WriteError(ToErrorRecord(e)));
            foreach (var vm in vms)
            {
                ForEachItem(vm, () =>
                {
                    var paths = store.Require(vm);
                    var all = SnapshotStore.List(paths);
                    if (SnapshotName == null || SnapshotName.Length == 0)
                    {
                        WriteObject(all, true);
                        return;
                    }
                    var written = new HashSet<string>();
                    foreach (var pattern in SnapshotName)
                    {
                        if (WildcardPattern.ContainsWildcardCharacters(pattern))
                        {
                            var wildcard = new WildcardPattern(pattern, WildcardOptions.IgnoreCase);
                            foreach (var s in all.Where(s => wildcard.IsMatch(s.Name) && written.Add(s.Name))) WriteObject(s);
                        }
                        else
                        {
                            try
                            {
                                var s = SnapshotStore.Get(paths, pattern);
                                if (written.Add(s.Name)) WriteObject(s);
                            }
                            catch (DfVmException e) { WriteError(ToErrorRecord(e, pattern)); }
                        }
                    }
                });
            }
        }
    }
}
