using System;

namespace DfVm.Core.Snapshots
{
    /// <summary>
    /// The seam fault tests use on snapshots (given through <see cref="EngineSeams.SnapshotSteps"/>): told
    /// the name of each journaled step of a checkpoint, restore or remove, and of a recovery ("recover:…"),
    /// before it runs.
    /// </summary>
    public interface ISnapshotStepProbe
    {
        /// <summary>
        /// True: go on. False: the operation is abandoned right here, as if its process were killed:
        /// nothing is rolled back or cleaned up, the journal stays, and the next command's recovery
        /// deals with it (<see cref="SnapshotAbandonedException"/>). An exception thrown here is that
        /// step failing (an I/O error, say), which the operation rolls back as it would a real one.
        /// </summary>
        bool Before(string step);
    }

    /// <summary>
    /// A snapshot operation stopped at its probe's request (<see cref="ISnapshotStepProbe.Before"/>):
    /// what is on disk is what a killed process leaves.
    /// </summary>
    public sealed class SnapshotAbandonedException : Exception
    {
        public SnapshotAbandonedException(string step) : base("snapshot operation abandoned before step " + step) { Step = step; }
        public string Step { get; }
    }
}
