using System.Runtime.InteropServices;
using DfVm.Core.Qemu;
using Xunit;

namespace DfVm.Core.Tests.Qemu
{
    /// <summary>
    /// The macOS branch of the accelerator probe, fed what sysctl kern.hv_support prints. No Mac is
    /// available where DfVm is tested, so this is the decision only (README: what was tested where).
    /// </summary>
    public sealed class AcceleratorMacTests
    {
        [Fact]
        public void IntelMacWithHypervisorSupportUsesHvf()
        {
            var choice = AcceleratorProbe.ChooseOnMac(Architecture.X64, "1\n");
            Assert.Equal("hvf", choice.Accelerator);
            Assert.Null(choice.Reason);
        }

        [Theory]
        [InlineData("0\n")]
        [InlineData("")]
        public void IntelMacWithoutHypervisorSupportFallsBackToTcgAndSaysWhy(string sysctl)
        {
            var choice = AcceleratorProbe.ChooseOnMac(Architecture.X64, sysctl);
            Assert.Equal("tcg", choice.Accelerator);
            Assert.Contains("kern.hv_support", choice.Reason);
        }

        [Fact]
        public void AppleSiliconEmulatesX86WithTcg()
        {
            var choice = AcceleratorProbe.ChooseOnMac(Architecture.Arm64, "1\n");
            Assert.Equal("tcg", choice.Accelerator);
            Assert.Contains("Arm64", choice.Reason);
        }
    }
}
