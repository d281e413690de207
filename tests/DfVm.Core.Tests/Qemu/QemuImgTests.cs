using System.IO;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Qemu;
using Xunit;

namespace DfVm.Core.Tests.Qemu
{
    /// <summary>qemu-img failures: what the real qemu-img says reaches the user under one id.</summary>
    public sealed class QemuImgTests
    {
        [Fact]
        public async Task A_failing_qemu_img_is_QemuImgFailed_with_its_stderr()
        {
            string missing = Path.Combine(Path.GetTempPath(), "dfvm-no-such-image-" + System.Guid.NewGuid().ToString("N") + ".qcow2");
            var e = await Assert.ThrowsAsync<DfVmException>(() => QemuImg.InfoAsync(missing, CancellationToken.None));
            Assert.Equal(ErrorIds.QemuImgFailed, e.ErrorId);
            Assert.Equal(DfVmErrorKind.InvalidOperation, e.Kind);
            Assert.Contains(missing, e.Message);
        }
    }
}
