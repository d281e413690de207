using System.Management.Automation;

namespace DfVm.PowerShell.Commands
{
    /// <summary>Reports VMs without SSH: pid check plus QMP query-status. Fast, never waits on a lock.</summary>
    [Cmdlet(VerbsCommon.Get, "DfVm")]
    [OutputType(typeof(DfVmInstance))]
    public sealed class GetDfVmCommand : DfVmCmdlet
    {
        /// <summary>VMs by name (wildcards allowed; default: every VM of the project). Piped strings bind here, and so does any object's VmName, else its Name.</summary>
        [Parameter(Position = 0, ValueFromPipeline = true)]
        [Alias("VmName")]
        [VmNameTransformation]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(VmNameCompleter))]
        public string[] Name { get; set; }

        protected override void ProcessRecord()
        {
            var store = Store;
            var names = Name == null || Name.Length == 0 ? store.List() : VmNameResolver.Expand(store, Name, e => WriteError(ToErrorRecord(e)));
            foreach (var name in names)
            {
                ForEachItem(name, () =>
                {
                    var vm = RunOnWorker((pump, ct) => Controller.GetAsync(store.Require(name), ct, pump));
                    WriteObject(vm);
                });
            }
        }
    }
}
