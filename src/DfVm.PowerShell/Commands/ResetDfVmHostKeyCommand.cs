using System.Management.Automation;
using DfVm.Core.Instances;
using DfVm.Core.Ssh;

namespace DfVm.PowerShell.Commands
{
    /// <summary>Forgets the pinned guest host key on purpose (after a reinstall); the next connection pins the new one.</summary>
    [Cmdlet(VerbsCommon.Reset, "DfVmHostKey", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(void))]
    public sealed class ResetDfVmHostKeyCommand : InVmCmdlet
    {
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            ForEachVm(Name, (name, paths) =>
            {
                if (!ShouldProcessThenAsk(paths.KnownHosts, "Forget the pinned SSH host key (the next connection trusts the key the guest presents)", Force,
                    $"Forget the pinned SSH host key of VM '{name}'? The next connection trusts whatever key the guest presents.", "Reset host key")) return;
                new HostKeyPin(paths.KnownHosts, name).Forget();
                Engine.GuestChanged(paths);
            });
        }
    }
}
