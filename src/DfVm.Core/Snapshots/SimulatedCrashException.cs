using System;

namespace DfVm.Core.Snapshots
{
    /// <summary>
    /// Thrown by a test's step hook to stand for the process dying at that point: the operation does not
    /// clean up after it (a dead process would not), so the test can check what recovery makes of it.
    /// </summary>
    internal sealed class SimulatedCrashException : Exception
    {
        public SimulatedCrashException(string step) : base("simulated crash before step " + step) { Step = step; }
        public string Step { get; }
    }
}
