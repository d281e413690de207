using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Ssh;
using DfVm.Core.Testing;

namespace DfVm.PowerShell.Commands
{
    /// <summary>Invoke-DfVmTest's leak check around each test binary (the guest side: Core/Testing/leakcheck.sh).</summary>
    public sealed partial class InvokeDfVmTestCommand
    {
        /// <summary>No record of mounts and processes around each test binary (the config's LeakCheck = $false does the same); the packages run in parallel again.</summary>
        [Parameter]
        public SwitchParameter NoLeakCheck { get; set; }

        /// <summary>A package whose test binary left a mount or a process (or removed one it did not make) is Failed, Reason 'leaked' (the config's FailOnLeak = $true does the same).</summary>
        [Parameter]
        public SwitchParameter FailOnLeak { get; set; }

        /// <summary>After each test binary, unmount what it left (deepest first, with retries) and end the processes it left, so the next package starts clean; the rows still report them.</summary>
        [Parameter]
        public SwitchParameter CleanLeaks { get; set; }

        /// <summary>The run's leak check, or null when it is off; one round trip writes its script in the guest and asks which mount listing the guest has.</summary>
        private async Task<LeakCheckOptions> LeakOptionsAsync(IGuestShell guest, CancellationToken ct)
        {
            if (NoLeakCheck || (!_project.Config.LeakCheck && !CleanLeaks && !FailOnLeak))
            {
                return null;
            }

            var options = new LeakCheckOptions
            {
                Clean = CleanLeaks,
                FailOnLeak = FailOnLeak || _project.Config.FailOnLeak,
            };
            await LeakCheck.PrepareAsync(guest, options, ct).ConfigureAwait(false);
            return options;
        }

        /// <summary>Removes the run's guest files (script, lock, last record) after it; best effort.</summary>
        private static Task ForgetLeakFilesAsync(GuestConnection connection, LeakCheckOptions o) =>
            o == null ? Task.CompletedTask : LeakCheck.RemoveGuestFilesAsync(connection, o, !string.Equals(connection.Endpoint.User, "root", StringComparison.Ordinal));
    }
}
