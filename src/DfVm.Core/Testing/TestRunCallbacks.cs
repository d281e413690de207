using System;

namespace DfVm.Core.Testing
{
    /// <summary>
    /// What a test run (<see cref="DfVmEngine.RunTestsAsync"/>) tells its caller besides the reporter: the rows, and
    /// where each round begins and ends (a run without -Watch is round 1 alone), so the caller can count and say a
    /// summary per round. Called on the run's threads, one call at a time; null members are skipped.
    /// </summary>
    public sealed class TestRunCallbacks
    {
        /// <summary>Each row as its test ends, with the VM's name and DragonFly release set.</summary>
        public Action<DfVmTestResult> Row { get; set; }

        /// <summary>A round's tests are about to run (after a -Watch round's sync and package listing); its number, from 1.</summary>
        public Action<int> RoundStarting { get; set; }

        /// <summary>
        /// A round's run ended and its guest files were cleaned up; its number. Not called when the round failed,
        /// nor for a -Watch round whose changes affected no package of the suite (it ran nothing).
        /// </summary>
        public Action<int> RoundEnded { get; set; }
    }
}
