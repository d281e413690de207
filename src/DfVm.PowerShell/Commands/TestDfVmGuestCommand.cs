using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using DfVm.Core;
using DfVm.Core.Guest;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// Checks, on each running guest, every assumption DfVm makes there (the commands it runs with
    /// their flags, doas for the SSH user, Go and its build cache, the file systems the suites mount,
    /// the serial console, free space, the clock) in one SSH round trip, and emits one
    /// <see cref="DfVmGuestCheck"/> per check. -CI: a terminating GuestSelfCheckFailed error after the
    /// rows when any check failed.
    /// </summary>
    [Cmdlet(VerbsDiagnostic.Test, "DfVmGuest")]
    [OutputType(typeof(DfVmGuestCheck))]
    public sealed class TestDfVmGuestCommand : VmCmdlet
    {
        private readonly List<string> _failures = new List<string>();

        /// <summary>For CI steps: after the rows, a terminating GuestSelfCheckFailed error when any check failed.</summary>
        [Parameter]
        public SwitchParameter CI { get; set; }

        protected override void ProcessRecord()
        {
            string guestPath = Project.GuestProjectPath;
            ForEachVm(Name, (name, paths) =>
            {
                var rows = RunOnWorker((pump, ct) => new GuestSelfCheck(Controller).RunAsync(paths, guestPath, pump, ct));
                foreach (var row in rows) WriteObject(row);
                var failed = rows.Where(r => !r.Passed).Select(r => r.Name).ToList();
                string line = failed.Count == 0
                    ? $"VM '{name}': all {rows.Count} guest checks passed."
                    : $"VM '{name}': {failed.Count} of {rows.Count} guest checks failed: {string.Join(", ", failed)}.";
                Say(line, "DfVmGuestCheckSummary");
                if (failed.Count > 0) _failures.Add($"{name} ({string.Join(", ", failed)})");
            });
        }

        protected override void EndProcessing()
        {
            if (CI && _failures.Count > 0)
            {
                const string remedy = "Run Test-DfVmGuest | Where-Object -Not Passed | Format-List to see what was found and how to fix it.";
                ThrowTerminating(new DfVmException(ErrorIds.GuestSelfCheckFailed, DfVmErrorKind.InvalidResult,
                    $"Guest self-check failed on {string.Join("; ", _failures)}. {remedy}", string.Join(", ", _failures))
                {
                    RecommendedAction = remedy,
                });
            }
        }
    }
}
