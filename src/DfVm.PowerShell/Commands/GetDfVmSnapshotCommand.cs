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
        /// <summary>VMs by name (wildcards allowed; default: every VM of the project). Piped strings bind here, and so does any object's VmName, else its Name.</summary>
        [Parameter(ValueFromPipeline = true)]
        [Alias("VmName")]
        [VmNameTransformation]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(VmNameCompleter))]
        public string[] Name { get; set; }

        /// <summary>Snapshot names (wildcards allowed; default: all): the first positional value, so that `Get-DfVmSnapshot cl*` works.</summary>
        [Parameter(Position = 0)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(SnapshotNameCompleter))]
        public string[] SnapshotName { get; set; }

        protected override void ProcessRecord()
        {
            var store = Store;
            bool allVms = Name == null || Name.Length == 0;
            var vms = allVms ? store.List() : VmNameResolver.Expand(store, Name, e => WriteError(ToErrorRecord(e)));
            // Over every VM of the project, a literal snapshot name is an error only when no VM has it.
            var missing = new Dictionary<string, DfVmException>();
            var found = new HashSet<string>();
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
                                found.Add(pattern);
                                if (written.Add(s.Name)) WriteObject(s);
                            }
                            catch (DfVmException e)
                            {
                                if (allVms) missing[pattern] = e;
                                else WriteError(ToErrorRecord(e, pattern));
                            }
                        }
                    }
                });
            }
            foreach (var miss in missing.Where(m => !found.Contains(m.Key))) WriteError(ToErrorRecord(miss.Value, miss.Key));
        }
    }
}
