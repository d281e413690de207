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
        /// <summary>The first output line when the guest's date took BSD syntax (DragonFly's bin/date/date.c).</summary>
        public const string BsdMarker = "dfvm-clock: bsd";

        /// <summary>The first output line when it took GNU/busybox syntax (date -s @SECONDS).</summary>
        public const string GnuMarker = "dfvm-clock: gnu";

        /// <summary>
        /// The sh command that sets the clock to <paramref name="now"/> (UTC). Which syntax the guest's
        /// date takes is asked of date itself, not of uname: `date -j -f %s 0` (parse, do not set) is
        /// BSD's (DragonFly: getopt "f:I::jnRr:uv:"); GNU and busybox date reject -j. BSD sets
        /// [[[[[cc]yy]mm]dd]HH]MM[.ss]; the others take -s @SECONDS.
        /// </summary>
        public static string Command(DateTime now)
        {
            long seconds = (long)(now.ToUniversalTime() - new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc)).TotalSeconds;
            string bsd = now.ToUniversalTime().ToString("yyyyMMddHHmm.ss", CultureInfo.InvariantCulture);
            return "if date -u -j -f %s 0 +%Y >/dev/null 2>&1; then echo '" + BsdMarker + "'; date -u " + bsd + "; " +
                   "else echo '" + GnuMarker + "'; date -u -s '@" + seconds.ToString(CultureInfo.InvariantCulture) + "'; fi";
        }

        public static async Task SetAsync(VmController controller, VmPaths paths, IOperationReporter reporter, CancellationToken ct)
        {
            var now = DateTime.UtcNow;
            string command = Command(now);
            var set = await controller.InvokeCommandAsync(paths, command, null, reporter, ct).ConfigureAwait(false);
            string output = set.Output ?? "";
            string syntax = output.StartsWith(BsdMarker, StringComparison.Ordinal) ? "BSD date" : output.StartsWith(GnuMarker, StringComparison.Ordinal) ? "GNU date" : "date";
            if (set.ExitCode != 0)
            {
                reporter?.Warning($"Could not set the clock of VM '{paths.Name}' after the restore ({syntax}: exit {set.ExitCode} {set.Error}). Its clock is that of the snapshot.");
            }
            else
            {
                reporter?.Verbose($"Set the clock of VM '{paths.Name}' ({syntax}) to {now:u}.");
            }
        }
    }
}
