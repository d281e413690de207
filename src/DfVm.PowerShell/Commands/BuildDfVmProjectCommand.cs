using System.Management.Automation;
using DfVm.Core.Instances;
using DfVm.Core.Testing;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// Runs the config's BuildCommand (default `go build ./...`: DragonFly's make is BSD make, gmake is not installed), or -Command, in the guest project folder. Output and
    /// error lines go to the verbose stream as they arrive; a failed build is data (ExitCode, Error).
    /// </summary>
    [Cmdlet("Build", "DfVmProject")] // an approved verb since PowerShell 6; PowerShellStandard 5.1 has no constant for it
    [OutputType(typeof(DfVmCommandResult))]
    public sealed class BuildDfVmProjectCommand : InVmCmdlet
    {
        /// <summary>Run this instead of the config's BuildCommand (for example 'go build ./...').</summary>
        [Parameter(Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Command { get; set; }

        protected override void ProcessRecord()
        {
            string command = "cd " + SuiteCommandLine.Quote(Project.GuestProjectPath) + " && " + (Command ?? Project.Config.BuildCommand);
            // Both streams to -Verbose as they come (a compiler's errors are on stderr).
            ForEachVm(Name, (name, paths) =>
                WriteObject(RunOnWorker((pump, ct) => Controller.InvokeCommandAsync(paths, command, pump.Verbose, pump, ct, pump.Verbose))));
        }
    }
}
