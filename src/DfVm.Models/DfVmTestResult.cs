using System;
using System.Globalization;

namespace DfVm
{
    /// <summary>How a test, benchmark or package ended.</summary>
    public enum DfVmTestOutcome
    {
        Passed,
        Failed,
        Skipped,
    }

    /// <summary>What a result row stands for.</summary>
    public enum DfVmTestResultKind
    {
        /// <summary>A test, subtest, example or fuzz target.</summary>
        Test,

        /// <summary>A whole package: its overall result, build and setup failures, panics outside tests.</summary>
        Package,

        /// <summary>A benchmark.</summary>
        Benchmark,
    }

    /// <summary>
    /// One row of a go test run: a test (with its subtest path), a benchmark, or a package's
    /// overall result. Rows are produced in the order their tests ended.
    /// </summary>
    public sealed class DfVmTestResult
    {
        public DfVmTestResult(
            string suite,
            string package,
            string test,
            DfVmTestOutcome result,
            DfVmTestResultKind kind,
            TimeSpan duration,
            double? elapsed,
            string output,
            string reason,
            bool cached,
            DateTimeOffset? startTime)
        {
            Suite = suite;
            Package = package ?? string.Empty;
            Test = string.IsNullOrEmpty(test) ? null : test;
            Result = result;
            Kind = kind;
            Duration = duration;
            Elapsed = elapsed;
            Output = output ?? string.Empty;
            Reason = string.IsNullOrEmpty(reason) ? null : reason;
            Cached = cached;
            StartTime = startTime;
        }

        /// <summary>The suite name the run was started for (for example "Phase4"); may be null.</summary>
        public string Suite { get; }

        /// <summary>The Go import path of the package.</summary>
        public string Package { get; }

        /// <summary>Full test name including subtests ("TestA/sub_1"); null for package rows.</summary>
        public string Test { get; }

        public DfVmTestOutcome Result { get; private set; }

        public bool Passed => Result == DfVmTestOutcome.Passed;

        public bool Failed => Result == DfVmTestOutcome.Failed;

        public bool Skipped => Result == DfVmTestOutcome.Skipped;

        public DfVmTestResultKind Kind { get; }

        /// <summary>Go's elapsed time when reported, else the time between the first and last event seen.</summary>
        public TimeSpan Duration { get; }

        /// <summary>The Elapsed value go reported, in seconds; null when go reported none.</summary>
        public double? Elapsed { get; }

        /// <summary>Only this row's own output lines, joined with "\n" (go's "=== RUN" style framing removed).</summary>
        public string Output { get; }

        /// <summary>Why the row has its result when that is not ordinary: "panic", "build failed", "cached"...; null otherwise.</summary>
        public string Reason { get; private set; }

        /// <summary>True when go reused a cached result instead of running the test.</summary>
        public bool Cached { get; }

        /// <summary>When the test (or package) started, if go reported times.</summary>
        public DateTimeOffset? StartTime { get; }

        /// <summary>The VM the test ran on (null for rows parsed from a log without one).</summary>
        public string VmName { get; private set; }

        /// <summary>What the guest reported as its release (`uname -r`, once per run), e.g. "6.4-RELEASE".</summary>
        public string DragonFlyVersion { get; private set; }

        /// <summary>
        /// Package rows of a leak-checked run: what the test binary left in the guest (or undid that it did not
        /// make); null when no check ran for it (the check was off, the result was cached, the build failed).
        /// </summary>
        public DfVmLeak Leak { get; private set; }

        /// <summary>True when the package's test binary left a mount or a process behind, or removed one it did not make.</summary>
        public bool Leaked => Leak != null && Leak.Leaked;

        /// <summary>Mounts the test binary made and did not unmount (empty when none, or unchecked).</summary>
        public DfVmMount[] LeftMounts => Leak?.LeftMounts ?? new DfVmMount[0];

        /// <summary>Mounts there before the binary ran that it unmounted.</summary>
        public DfVmMount[] RemovedMounts => Leak?.RemovedMounts ?? new DfVmMount[0];

        /// <summary>Processes the test binary started and left running.</summary>
        public DfVmProcess[] LeftProcesses => Leak?.LeftProcesses ?? new DfVmProcess[0];

        /// <summary>Processes there before the binary ran (daemons, orphans) that were gone after it.</summary>
        public DfVmProcess[] EndedProcesses => Leak?.EndedProcesses ?? new DfVmProcess[0];

        /// <summary>
        /// A copy carrying <paramref name="leak"/>; with <paramref name="failOnLeak"/> a passed row that leaked
        /// becomes Failed with Reason "leaked".
        /// </summary>
        public DfVmTestResult WithLeak(DfVmLeak leak, bool failOnLeak)
        {
            var copy = (DfVmTestResult)MemberwiseClone();
            copy.Leak = leak;
            if (failOnLeak && leak != null && leak.Leaked && Result != DfVmTestOutcome.Failed)
            {
                copy.Result = DfVmTestOutcome.Failed;
                copy.Reason = LeakedReason;
            }

            return copy;
        }

        /// <summary>The Reason of a package that failed only because it leaked (-FailOnLeak).</summary>
        public const string LeakedReason = "leaked";

        /// <summary>A copy of this row that says which VM (and guest release) it ran on.</summary>
        public DfVmTestResult WithVm(string vmName, string dragonFlyVersion)
        {
            var copy = (DfVmTestResult)MemberwiseClone();
            copy.VmName = vmName;
            copy.DragonFlyVersion = dragonFlyVersion;
            return copy;
        }

        public override string ToString()
        {
            string verdict = Result == DfVmTestOutcome.Passed ? "PASS" : Result == DfVmTestOutcome.Failed ? "FAIL" : "SKIP";
            string name = Test == null ? Package : Package + " " + Test;
            string text = string.Format(CultureInfo.InvariantCulture, "{0} {1} ({2:0.00}s)", verdict, name, Duration.TotalSeconds);
            return Reason == null ? text : text + " [" + Reason + "]";
        }
    }
}
