namespace DfVm.Core.Testing
{
    /// <summary>How far a test run in the guest has come: counted from the rows delivered so far.</summary>
    public sealed class TestRunProgress
    {
        public TestRunProgress(string suite, string part, int packagesDone, int passed, int failed, int skipped, DfVmTestResult last)
        {
            Suite = suite;
            Part = part;
            PackagesDone = packagesDone;
            Passed = passed;
            Failed = failed;
            Skipped = skipped;
            Last = last;
        }

        /// <summary>The suite asked for.</summary>
        public string Suite { get; }

        /// <summary>The suite running now (differs from <see cref="Suite"/> for an Include suite).</summary>
        public string Part { get; }

        /// <summary>Package rows delivered (packages finished, including build failures).</summary>
        public int PackagesDone { get; }

        /// <summary>Tests and benchmarks (not packages) passed so far.</summary>
        public int Passed { get; }

        public int Failed { get; }

        public int Skipped { get; }

        /// <summary>The row that triggered this report; null for the report made when a part starts.</summary>
        public DfVmTestResult Last { get; }

        public override string ToString() =>
            $"{Part}: {PackagesDone} package(s) done, {Passed} passed, {Failed} failed, {Skipped} skipped";
    }
}
