using System.Management.Automation;

namespace DfVm.PowerShell
{
    /// <summary>
    /// Base of the cmdlets that act on one VM's snapshots, named by -Name and the snapshot at position 0, or
    /// piped from Get-DfVmSnapshot (Restore, Remove): one declaration of -Name and -InputObject for both.
    /// </summary>
    public abstract class SnapshotCmdlet : DfVmCmdlet
    {
        protected const string ByName = "ByName";
        protected const string ByObject = "InputObject";

        /// <summary>The VM (default: the project's VM). A piped string binds here; a piped DfVmSnapshot binds -InputObject.</summary>
        [Parameter(ParameterSetName = ByName, ValueFromPipeline = true)]
        [Alias("VmName")]
        [VmNameTransformation]
        [ArgumentCompleter(typeof(VmNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; }

        /// <summary>Snapshots from Get-DfVmSnapshot.</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByObject)]
        public DfVmSnapshot InputObject { get; set; }

        /// <summary>The VM the snapshot belongs to: the piped snapshot's, else -Name, else the config's VM.</summary>
        protected string TargetVm => InputObject?.VmName ?? Name ?? Project.Config.VmName;
    }
}
