using System.Runtime.InteropServices;

namespace DfVm.Core.Util
{
    /// <summary>
    /// Where DfVm can drive QEMU: Linux and macOS (unix sockets for QMP, fcntl/flock locks, POSIX
    /// modes). On Windows the cmdlets that need a VM refuse at once, instead of failing deep inside;
    /// the ones that need no host (parsing go test output, reports, config files) work everywhere.
    /// </summary>
    public static class HostPlatform
    {
        public static bool IsWindows => RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        /// <summary>The error a VM cmdlet ends with on a host it cannot drive QEMU on; null where it can.</summary>
        public static DfVmException Refusal(bool isWindows, string command)
        {
            if (!isWindows) return null;
            return new DfVmException(ErrorIds.PlatformNotSupported, DfVmErrorKind.NotSupported,
                $"{command} drives QEMU through unix sockets and POSIX file locks, which DfVm supports on Linux and macOS only. " +
                "On Windows, run it inside WSL 2 (a Linux distribution with QEMU). ConvertFrom-GoTestJson, Export-DfVmTestReport, " +
                "New-DfVmConfig and Get-DfVmConfig work here.");
        }
    }
}
