using System.Management.Automation;

namespace DfVm.PowerShell
{
    /// <summary>
    /// Base of the cmdlets that act on something of the VMs (a command, a build, a test suite, a
    /// snapshot, an install, a host key): position 0, where there is one, is that thing, so -Name is
    /// by name only; the config's VM by default.
    /// </summary>
    public abstract class InVmCmdlet : DfVmCmdlet
    {
        /// <summary>VMs by name (wildcards allowed; default: the config's VM). Piped strings bind here, and so does any object's VmName, else its Name.</summary>
        [Parameter(ValueFromPipeline = true)]
        [Alias("VmName")]
        [VmNameTransformation]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(VmNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string[] Name { get; set; }
    }
}
