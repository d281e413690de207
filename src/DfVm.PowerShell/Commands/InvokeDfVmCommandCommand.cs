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

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(VmNameCompleter))]
        public string[] Name { get; set; }

        protected override void ProcessRecord()
        {
            var store = Store;
            foreach (var name in Name ?? new[] { Project.Config.VmName })
            {
                ForEachItem(name, () =>
                {
                    var paths = store.Require(name);
                    var result = Run((pump, ct) => Controller.InvokeCommandAsync(paths, Command, line => pump.Verbose(line), pump, ct));
                    WriteObject(result);
                });
            }
        }
    }
}
