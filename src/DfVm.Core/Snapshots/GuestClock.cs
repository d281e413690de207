using System;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Instances;

namespace DfVm.Core.Snapshots
{
    /// <summary>A guest resumed from saved memory keeps the clock of the moment it was saved: set it to now, over SSH.</summary>
    public static class GuestClock
    {
        public static async Task SetAsync(VmController controller, VmPaths paths, IOperationReporter reporter, CancellationToken ct)
        {
            var uname = await controller.InvokeCommandAsync(paths, "uname -s", null, reporter, ct).ConfigureAwait(false);
            string os = (uname.Output ?? "").Trim();
            var now = DateTime.UtcNow;
            string command = os == "Linux"
                ? "date -u -s '@" + ((long)(now - new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc)).TotalSeconds).ToString(CultureInfo.InvariantCulture) + "'"
                : "date -u " + now.ToString("yyyyMMddHHmm.ss", CultureInfo.InvariantCulture); // DragonFly/BSD
            var set = await controller.InvokeCommandAsync(paths, command, null, reporter, ct).ConfigureAwait(false);
            if (set.ExitCode != 0)
            {
                reporter?.Warning($"Could not set the clock of VM '{paths.Name}' after the restore ({command}: exit {set.ExitCode} {set.Error}). Its clock is that of the snapshot.");
            }
            else
            {
                reporter?.Verbose($"Set the clock of VM '{paths.Name}' ({os}) to {now:u}.");
            }
        }
    }
}
