using System.Diagnostics;
using Xunit.Abstractions;

namespace DfVm.Core.Tests.Snapshots
{
    /// <summary>Verbose and warning lines into the test output, stamped with the time since creation.</summary>
    internal sealed class TestReporter : IOperationReporter
    {
        private readonly ITestOutputHelper _out;
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public TestReporter(ITestOutputHelper output) { _out = output; }

        public void Verbose(string message) { if (!message.StartsWith("QMP")) Write("V " + message); }
        public void Debug(string message) { }
        public void Warning(string message) => Write("W " + message);
        public void Information(string message) => Write("I " + message);
        public void Progress(OperationProgress progress) { }

        private void Write(string line)
        {
            try { _out.WriteLine($"{_clock.Elapsed.TotalSeconds,8:0.000} {line}"); } catch (System.InvalidOperationException) { }
        }
    }
}
