using System;
using System.Collections.Generic;
using DfVm.Core.Util;

namespace DfVm.Core.Testing
{
    /// <summary>What the parser holds for one package between its first event and its end.</summary>
    internal sealed class GoPackageRun
    {
        private const int PanicTextLimit = 64 * 1024;

        public GoPackageRun(string name, long sequence, int outputLimit)
        {
            Name = name;
            Sequence = sequence;
            Output = CappedText.ForText(outputLimit);
        }

        public string Name { get; }

        public long Sequence { get; }

        /// <summary>Tests that have started and not ended, by full name.</summary>
        public Dictionary<string, GoTestRun> Running { get; } = new Dictionary<string, GoTestRun>(StringComparer.Ordinal);

        /// <summary>Package-level output: lines with no Test.</summary>
        public CappedText Output { get; }

        public string FirstTime { get; set; }

        public string LastTime { get; set; }

        /// <summary>A "panic:" or "fatal error:" line was seen anywhere in the package's output.</summary>
        public bool SawPanic { get; private set; }

        /// <summary>The panic was go test's own -timeout panic.</summary>
        public bool TimedOut { get; private set; }

        /// <summary>The panic text and everything printed after it (bounded).</summary>
        public CappedText PanicText { get; private set; }

        public bool BuildFailed { get; set; }

        public bool SetupFailed { get; set; }

        public bool Cached { get; set; }

        /// <summary>The leak record of the package's test binary (leak-checked runs), once one began.</summary>
        public LeakRecord Leak { get; set; }

        /// <summary>A record of another run that go test replayed with a cached result: read to its end and dropped.</summary>
        public LeakRecord ReplayedLeak { get; set; }

        /// <summary>Go printed a "BenchmarkX" name line and its result line has not come yet.</summary>
        public GoTestRun PendingBenchmark { get; set; }

        /// <summary>Benchmarks already emitted from their result line, so a later "bench" event does not repeat them.</summary>
        public HashSet<string> EmittedBenchmarks { get; } = new HashSet<string>(StringComparer.Ordinal);

        /// <summary>Watches output for a panic and keeps the panic text once one began. Returns true when this chunk began it.</summary>
        public bool ObservePanic(string text)
        {
            bool began = false;
            if (PanicText == null && GoTestNames.StartsPanic(text))
            {
                SawPanic = true;
                TimedOut = text.StartsWith("panic: test timed out", StringComparison.Ordinal);
                PanicText = CappedText.ForText(PanicTextLimit);
                began = true;
            }

            PanicText?.Append(text);
            return began;
        }
    }
}
