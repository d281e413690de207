using System.Management.Automation;

namespace DfVm.PowerShell.Commands
{
    /// <summary>Runs one POSIX sh command in the guest. A non-zero exit is data (ExitCode, Succeeded), not an error.</summary>
    [Cmdlet(VerbsLifecycle.Invoke, "DfVmCommand")]
    [OutputType(typeof(DfVmCommandResult))]
    public sealed class InvokeDfVmCommandCommand : InVmCmdlet
    {
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Command { get; set; }

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
