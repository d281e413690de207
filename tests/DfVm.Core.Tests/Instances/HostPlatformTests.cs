using DfVm.Core;
using DfVm.Core.Util;
using Xunit;

namespace DfVm.Core.Tests.Instances
{
    /// <summary>
    /// The Windows refusal cannot be produced for real on this Linux machine: the decision is tested
    /// here (the cmdlet base ends with this error when it is not null), and the Linux side for real.
    /// </summary>
    public sealed class HostPlatformTests
    {
        [Fact]
        public void Windows_is_refused_with_PlatformNotSupported_naming_the_command_and_what_works()
        {
            DfVmException e = HostPlatform.Refusal(isWindows: true, command: "Start-DfVm");
            Assert.NotNull(e);
            Assert.Equal(ErrorIds.PlatformNotSupported, e.ErrorId);
            Assert.Equal(DfVmErrorKind.NotSupported, e.Kind);
            Assert.StartsWith("Start-DfVm drives QEMU", e.Message);
            Assert.Contains("WSL 2", e.Message);
            Assert.Contains("ConvertFrom-GoTestJson", e.Message);
        }

        [Fact]
        public void This_host_is_not_refused()
        {
            Assert.False(HostPlatform.IsWindows);
            Assert.Null(HostPlatform.Refusal(HostPlatform.IsWindows, "Start-DfVm"));
        }
    }
}
