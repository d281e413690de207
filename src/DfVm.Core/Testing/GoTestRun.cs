using DfVm.Core.Util;

namespace DfVm.Core.Testing
{
    /// <summary>What the parser holds for one test or benchmark between its start and its end.</summary>
    internal sealed class GoTestRun
    {
        public GoTestRun(string name, long sequence, string startTime, int outputLimit)
        {
            Name = name;
            Sequence = sequence;
            StartTime = startTime;
            Output = CappedText.ForText(outputLimit);
            Depth = CountSlashes(name);
        }

        public string Name { get; }

        /// <summary>Start order within the run, to end unfinished tests in a stable order.</summary>
        public long Sequence { get; }

        /// <summary>Subtest depth: 0 for TestA, 1 for TestA/sub.</summary>
        public int Depth { get; }

        public string StartTime { get; }

        public CappedText Output { get; }

        /// <summary>A subtest of this test failed.</summary>
        public bool ChildFailed { get; set; }

        /// <summary>A panic began in this test's own output.</summary>
        public bool SawPanic { get; set; }

        public bool IsBenchmark => GoTestNames.IsBenchmark(Name);

        private static int CountSlashes(string name)
        {
            int n = 0;
            foreach (char c in name)
            {
                if (c == '/')
                {
                    n++;
                }
            }

            return n;
        }
    }
}
