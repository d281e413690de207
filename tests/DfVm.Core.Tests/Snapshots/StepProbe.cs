using System;
using DfVm.Core.Snapshots;

namespace DfVm.Core.Tests.Snapshots
{
    /// <summary>
    /// The tests' <see cref="ISnapshotStepProbe"/>: <see cref="OnStep"/> sees each step; throwing
    /// <see cref="SimulatedCrashException"/> from it stands for the process dying before that step
    /// (the operation is abandoned, nothing cleaned up); any other exception is that step failing.
    /// </summary>
    internal sealed class StepProbe : ISnapshotStepProbe
    {
        public Action<string> OnStep { get; set; }

        public bool Before(string step)
        {
            try
            {
                OnStep?.Invoke(step);
                return true;
            }
            catch (SimulatedCrashException)
            {
                return false;
            }
        }
    }

    /// <summary>Thrown by a test's <see cref="StepProbe.OnStep"/>: the process "dies" before that step.</summary>
    internal sealed class SimulatedCrashException : Exception
    {
        public SimulatedCrashException(string step) : base("simulated crash before step " + step) { Step = step; }
        public string Step { get; }
    }
}
