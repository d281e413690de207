using System.Management.Automation;

namespace DfVm.PowerShell.Commands
{
    /// <summary>Runs one POSIX sh command in the guest. A non-zero exit is data (ExitCode, Succeeded), not an error.</summary>
    [Cmdlet(VerbsLifecycle.Invoke, "DfVmCommand")]
    [OutputType(typeof(DfVmCommandResult))]
    public sealed class InvokeDfVmCommandCommand : DfVmCmdlet
    {
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Command { get; set; }

        /// <summary>VMs by name (wildcards allowed; default: the config's VM). Piped strings bind here, and so does any object's VmName, else its Name.</summary>
        [Parameter(ValueFromPipeline = true)]
        [Alias("VmName")]
        [VmNameTransformation]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(VmNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string[] Name { get; set; }

        protected override void ProcessRecord()
        {
            ForEachVm(Name, (name, paths) =>
            {
                var result = RunOnWorker((pump, ct) => Controller.InvokeCommandAsync(paths, Command, line => pump.Verbose(line), pump, ct));
                WriteObject(result);
            });
        }
    }
}
