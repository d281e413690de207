using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Instances;

namespace DfVm.Core.Snapshots
{
    /// <summary>
    /// What the VM's life cycle asks of the snapshot journal: finish an interrupted checkpoint, restore or
    /// remove before QEMU starts, and settle a journal whose guest already ran before QEMU stops.
    /// <see cref="SnapshotManager"/> implements it; <see cref="VmController"/> calls it with the VM lock held.
    /// </summary>
    public interface IInterruptedSnapshots
    {
        /// <inheritdoc cref="SnapshotManager.RecoverAsync"/>
        Task RecoverAsync(VmPaths paths, IOperationReporter reporter, CancellationToken ct);

        /// <inheritdoc cref="SnapshotManager.SettleBeforeStopAsync"/>
        Task SettleBeforeStopAsync(VmPaths paths, IOperationReporter reporter, CancellationToken ct);
    }
}
