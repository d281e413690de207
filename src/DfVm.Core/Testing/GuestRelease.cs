using System.Text;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Ssh;

namespace DfVm.Core.Testing
{
    /// <summary>The guest's release as the guest itself says it (`uname -r`: "6.4-RELEASE" on DragonFly), read once per test run.</summary>
    public static class GuestRelease
    {
        public static async Task<string> ReadAsync(IGuestShell shell, CancellationToken cancellationToken)
        {
            var outcome = await shell.CaptureAsync("uname -r", null, null, null, cancellationToken).ConfigureAwait(false);
            string release = string.Concat(outcome.Output.Lines()).Trim();
            return outcome.ExitCode == 0 && release.Length > 0 ? release : null;
        }
    }
}
