using System.Management.Automation;

namespace DfVm.PowerShell
{
    /// <summary>
    /// Base of the cmdlets that act on whole VMs named at position 0, the config's VM by default
    /// (Start, Stop, Restart, Wait, Set, Remove): one declaration of -Name for all of them.
    /// Get-DfVm declares its own (its default is every VM).
    /// </summary>
    public abstract class VmCmdlet : DfVmCmdlet
    {
        /// <summary>VMs by name (wildcards allowed; default: the config's VM). Piped strings bind here, and so does any object's VmName, else its Name.</summary>
        [Parameter(Position = 0, ValueFromPipeline = true)]
        [Alias("VmName")]
        [VmNameTransformation]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(VmNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string[] Name { get; set; }
    }
}
