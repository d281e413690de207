using System.Management.Automation;
using DfVm.Core.Instances;
using DfVm.Core.Ssh;

namespace DfVm.PowerShell.Commands
{
    /// <summary>Forgets the pinned guest host key on purpose (after a reinstall); the next connection pins the new one.</summary>
    [Cmdlet(VerbsCommon.Reset, "DfVmHostKey", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(void))]
    public sealed class ResetDfVmHostKeyCommand : DfVmCmdlet
    {
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(VmNameCompleter))]
        public string[] Name { get; set; }

        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            var store = Store;
            foreach (var name in Name ?? new[] { Project.Config.VmName })
            {
                ForEachItem(name, () =>
                {
                    var paths = store.Require(name);
                    if (!ShouldProcessUnlessForced(paths.KnownHosts, "Forget the pinned SSH host key (the next connection trusts the key the guest presents)", Force)) return;
                    new HostKeyPin(paths.KnownHosts, name).Forget();
                    GuestConnectionPool.Drop(paths.PrivateKey);
                });
            }
        }
    }
}
