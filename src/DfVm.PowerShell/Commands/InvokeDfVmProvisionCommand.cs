using System.Management.Automation;
using DfVm.Core.Install;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// Runs the module's provision.sh (POSIX sh, idempotent) in a running VM over SSH: doas for
    /// root, the pkg repository fix on DragonFly, the guest project folder. Output lines go to
    /// -Verbose; a second run changes nothing and says changed=0.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Invoke, "DfVmProvision", SupportsShouldProcess = true)]
    [OutputType(typeof(DfVmCommandResult))]
    public sealed class InvokeDfVmProvisionCommand : InVmCmdlet
    {
        /// <summary>Guest folders to create (default: the project's guest folder, as Sync-DfVmProject uses).</summary>
        [Parameter]
        public string[] ProjectPath { get; set; }

        protected override void ProcessRecord()
        {
            var dirs = ProjectPath ?? new[] { Project.GuestProjectPath };
            ForEachVm(Name, (name, paths) =>
            {
                if (!ShouldProcess(name, "Provision the guest (doas, package repository, " + string.Join(", ", dirs) + ")")) return;
                var outcome = RunOnWorker((pump, ct) => Engine.Provisioner.RunAsync(paths, dirs, line => pump.Verbose(line), pump, ct));
                WriteObject(outcome.Result);
                if (!outcome.Result.Succeeded) WriteError(ToErrorRecord(ProvisionRunner.Failure(outcome), name));
            });
        }
    }
}
