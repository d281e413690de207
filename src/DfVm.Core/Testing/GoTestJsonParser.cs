using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using DfVm.Core.Util;

namespace DfVm.Core.Testing
{
    /// <summary>
    /// Streaming reader of `go test -json` output. Feed it stdout lines and stderr lines as they
    /// arrive (from one thread, or under a lock); each call returns the rows that ended on that line.
    /// Holds only the tests and packages still running, not the stream.
    /// </summary>
    public sealed class GoTestJsonParser
    {
        private static readonly IReadOnlyList<DfVmTestResult> NoRows = new DfVmTestResult[0];

        private readonly Dictionary<string, GoPackageRun> _packages = new Dictionary<string, GoPackageRun>(StringComparer.Ordinal);
        private readonly GoBuildLog _buildLog = new GoBuildLog();
        private readonly List<PendingPackageRow> _awaitingStderr = new List<PendingPackageRow>();
        private readonly CappedText _strayStdout = CappedText.ForText(256 * 1024);
        private string _currentPackage;
        private GoPackageRun _textFailedPackage;
        private long _sequence;
        private bool _sawTimedEvent;
        private bool _anyFailure;
        private bool _completed;
        private bool _stdoutBuildBlockOpen;

        public GoTestJsonParser(string suite)
        {
            Suite = suite;
        }

        /// <summary>Copied into every row's Suite.</summary>
        public string Suite { get; }

        /// <summary>Output kept per test or package; beyond it the rest is counted, not kept.</summary>
        public int MaxOutputCharsPerTest { get; set; } = 1000000;

        /// <summary>Tests started and not yet ended, over all packages: all the per-test state held.</summary>
        internal int OpenTestCount
        {
            get
            {
                int n = 0;
                foreach (GoPackageRun pkg in _packages.Values)
                {
                    n += pkg.Running.Count;
                }

                return n;
            }
        }

        /// <summary>
        /// The run's leak check: records with its marker are taken out of the package's output and their
        /// difference goes on the package row (<see cref="DfVmTestResult.Leak"/>); null: output as it is.
        /// </summary>
        public LeakCheckOptions LeakCheck { get; set; }

        /// <summary>Packages whose leak record was refused, with why (<see cref="LeakRecord.Error"/>).</summary>
        public List<KeyValuePair<string, string>> InvalidLeakRecords { get; } = new List<KeyValuePair<string, string>>();

        /// <summary>Rows emitted so far.</summary>
        public long RowCount { get; private set; }

        /// <summary>Reads one line of go test's standard output (JSON events, and any plain text mixed in).</summary>
        public IReadOnlyList<DfVmTestResult> Feed(string line)
        {
            ThrowIfCompleted();
            if (line == null)
            {
                return NoRows;
            }

            var rows = new List<DfVmTestResult>(0);
            if (GoTestEventReader.TryRead(line, out GoTestEvent ev))
            {
                CloseStdoutBuildBlock(rows);
                HandleEvent(ev, rows);
            }
            else
            {
                HandleText(line, rows);
            }

            return Done(rows);
        }

        /// <summary>Reads one line of go test's standard error (compiler and setup errors before Go 1.24).</summary>
        public IReadOnlyList<DfVmTestResult> FeedStderr(string line)
        {
            ThrowIfCompleted();
            if (line == null)
            {
                return NoRows;
            }

            var rows = new List<DfVmTestResult>(0);
            string closed = _buildLog.AddStderrLine(line.TrimEnd('\r', '\n'));
            if (closed != null)
            {
                ReleaseAwaiting(closed, rows);
            }

            return Done(rows);
        }

        /// <summary>
        /// Ends the stream: tests and packages that never ended come out failed, build failures still
        /// waiting for their compiler text come out with what there is, and a non-zero exit code with no
        /// failed row yields one package-less failed row carrying stderr.
        /// </summary>
        public IReadOnlyList<DfVmTestResult> Complete(int? exitCode)
        {
            ThrowIfCompleted();
            _completed = true;
            var rows = new List<DfVmTestResult>();
            if (_textFailedPackage != null)
            {
                EndPackage(_textFailedPackage, "fail", null, null, null, rows);
            }

            _buildLog.CloseCurrent();
            foreach (GoPackageRun pkg in _packages.Values.OrderBy(p => p.Sequence).ToList())
            {
                EndPackage(pkg, "fail", null, null, GoTestReasons.StreamEnded, rows);
            }

            foreach (PendingPackageRow pending in _awaitingStderr.ToList())
            {
                _awaitingStderr.Remove(pending);
                string own = _buildLog.TakeStderrBlock(pending.Package.Name);
                rows.Add(BuildPackageRow(pending, own ?? _buildLog.UnclaimedText()));
            }

            if (exitCode.HasValue && exitCode.Value != 0 && !_anyFailure && !rows.Any(r => r.Failed))
            {
                string text = Join(_buildLog.UnattributedText(), _strayStdout.ToString());
                rows.Add(new DfVmTestResult(
                    Suite, string.Empty, null, DfVmTestOutcome.Failed, DfVmTestResultKind.Package, TimeSpan.Zero, null,
                    text, GoTestReasons.GoTestFailed + " (exit code " + exitCode.Value.ToString(CultureInfo.InvariantCulture) + ")", false, null));
            }

            return Done(rows);
        }

        private void HandleEvent(GoTestEvent ev, List<DfVmTestResult> rows)
        {
            if (ev.Action == "build-output")
            {
                _buildLog.AddBuildOutput(ev.ImportPath, ev.Output);
                return;
            }

            if (ev.Action == "build-fail" || (ev.Package == null && ev.ImportPath != null))
            {
                return; // the package's own fail event (with FailedBuild) carries the result
            }

            string name = ev.Package ?? string.Empty;
            EndTextFailedPackageUnless(name, rows);
            if (ev.Time != null)
            {
                _sawTimedEvent = true;
            }

            GoPackageRun pkg = GetOrStartPackage(name, ev.Time);
            _currentPackage = name;
            if (ev.Time != null)
            {
                pkg.LastTime = ev.Time;
            }

            if (string.IsNullOrEmpty(ev.Test))
            {
                HandlePackageEvent(pkg, ev, rows);
            }
            else
            {
                HandleTestEvent(pkg, ev, rows);
            }
        }

        private void HandlePackageEvent(GoPackageRun pkg, GoTestEvent ev, List<DfVmTestResult> rows)
        {
            switch (ev.Action)
            {
                case "output":
                    HandlePackageOutput(pkg, ev.Output ?? string.Empty, rows);
                    break;
                case "pass":
                case "fail":
                case "skip":
                    EndPackage(pkg, ev.Action, ev, ev.FailedBuild, null, rows);
                    break;
                default:
                    break; // start, and actions this parser does not know
            }
        }

        private void HandleTestEvent(GoPackageRun pkg, GoTestEvent ev, List<DfVmTestResult> rows)
        {
            switch (ev.Action)
            {
                case "run":
                    if (!pkg.Running.ContainsKey(ev.Test))
                    {
                        pkg.Running.Add(ev.Test, new GoTestRun(ev.Test, ++_sequence, ev.Time, MaxOutputCharsPerTest));
                    }

                    break;
                case "output":
                    HandleTestOutput(pkg, ev, rows);
                    break;
                case "pass":
                case "fail":
                case "skip":
                case "bench":
                    EndTest(pkg, ev, rows);
                    break;
                default:
                    break; // pause, cont, attr, and actions this parser does not know
            }
        }

        private void HandleTestOutput(GoPackageRun pkg, GoTestEvent ev, List<DfVmTestResult> rows)
        {
            string text = ev.Output ?? string.Empty;
            if (!pkg.Running.TryGetValue(ev.Test, out GoTestRun run))
            {
                if (GoTestNames.IsBenchmark(ev.Test) && !pkg.EmittedBenchmarks.Contains(ev.Test))
                {
                    // benchmarks have no run event: their first output starts them
                    run = new GoTestRun(ev.Test, ++_sequence, ev.Time, MaxOutputCharsPerTest);
                    pkg.Running.Add(ev.Test, run);
                }
                else
                {
                    // output of a test that already ended (or never started): keep it with the package
                    HandlePackageOutput(pkg, text, rows);
                    return;
                }
            }

            if (TakeLeak(pkg, text))
            {
                return;
            }

            if (pkg.ObservePanic(text))
            {
                run.SawPanic = true;
            }

            if (!GoTestNames.IsFrame(text))
            {
                run.Output.Append(text);
            }
        }

        /// <summary>A chunk of a leak record (the run's marker begins one): taken out of the output.</summary>
        private bool TakeLeak(GoPackageRun pkg, string text)
        {
            if (LeakCheck == null)
            {
                return false;
            }

            if (pkg.Leak != null && pkg.Leak.Open)
            {
                pkg.Leak.Take(text);
                return true;
            }

            if (pkg.ReplayedLeak != null && pkg.ReplayedLeak.Open && pkg.ReplayedLeak.Error == null)
            {
                pkg.ReplayedLeak.Take(text);
                return true;
            }

            var fresh = new LeakRecord(LeakCheck.Marker);
            if (!fresh.Starts(text))
            {
                string other = LeakRecord.MarkerOf(text);
                if (other == null)
                {
                    return false;
                }

                // A cached result: go test replays the output it saved, with the record of the run that saved it
                // (another marker). That binary did not run now: nothing is reported, and the record leaves the
                // output for as long as it keeps the record's rules (once a line breaks them, the lines after it stay).
                pkg.ReplayedLeak = new LeakRecord(other);
                pkg.ReplayedLeak.Take(text);
                return true;
            }

            if (pkg.Leak != null)
            {
                // a second binary of one package (go test -count runs one; a hand-made stream may hold two): the last counts
                NoteInvalidLeak(pkg.Name, pkg.Leak);
            }

            pkg.Leak = fresh;
            fresh.Take(text);
            return true;
        }

        private void NoteInvalidLeak(string package, LeakRecord record)
        {
            if (record.Error != null)
            {
                InvalidLeakRecords.Add(new KeyValuePair<string, string>(package, record.Error));
            }
        }

        private void HandlePackageOutput(GoPackageRun pkg, string text, List<DfVmTestResult> rows)
        {
            if (TakeLeak(pkg, text))
            {
                return;
            }

            pkg.ObservePanic(text);
            if (GoTestNames.TryBenchmarkResult(text, out string bench))
            {
                GoTestRun run = pkg.PendingBenchmark != null && pkg.PendingBenchmark.Name == bench
                    ? pkg.PendingBenchmark
                    : new GoTestRun(bench, ++_sequence, pkg.LastTime, MaxOutputCharsPerTest);
                pkg.PendingBenchmark = null;
                if (pkg.Running.TryGetValue(bench, out GoTestRun started))
                {
                    pkg.Running.Remove(bench);
                    run = started; // newer go: its logs came as events with Test set
                }

                run.Output.Append(text);
                pkg.EmittedBenchmarks.Add(bench);
                Emit(rows, TestRow(pkg, run, DfVmTestOutcome.Passed, null, pkg.LastTime, null));
                return;
            }

            if (GoTestNames.TryBenchmarkNameLine(text, out string benchName))
            {
                pkg.PendingBenchmark = new GoTestRun(benchName, ++_sequence, pkg.LastTime, MaxOutputCharsPerTest);
                return;
            }

            if (pkg.PendingBenchmark != null && text.Length > 0 && (text[0] == ' ' || text[0] == '\t'))
            {
                pkg.PendingBenchmark.Output.Append(text); // b.Log lines of the benchmark running now
                return;
            }

            if (GoTestNames.IsCachedLine(text))
            {
                pkg.Cached = true;
            }
            else if (GoTestNames.TryPackageFailure(text, out _, out bool setup))
            {
                pkg.BuildFailed |= !setup;
                pkg.SetupFailed |= setup;
            }

            pkg.Output.Append(text);
        }

        private void HandleText(string line, List<DfVmTestResult> rows)
        {
            if (line.StartsWith("# ", StringComparison.Ordinal) || (_stdoutBuildBlockOpen && !GoTestNames.TryPackageFailure(line, out _, out _)))
            {
                // stderr merged into stdout (go test -json 2>&1 > log): compiler text, as FeedStderr would get it
                _stdoutBuildBlockOpen = true;
                string closed = _buildLog.AddStderrLine(line.TrimEnd('\r', '\n'));
                if (closed != null)
                {
                    ReleaseAwaiting(closed, rows);
                }

                return;
            }

            CloseStdoutBuildBlock(rows);
            if (GoTestNames.TryPackageFailure(line, out string name, out bool setup))
            {
                // before Go 1.24 (and with GODEBUG=gotestjsonbuildtext=1) a build failure is this line,
                // sometimes followed by a JSON fail event for the package, sometimes by nothing
                EndTextFailedPackageUnless(name, rows);
                GoPackageRun pkg = GetOrStartPackage(name, null);
                pkg.BuildFailed |= !setup;
                pkg.SetupFailed |= setup;
                pkg.Output.Append(line + "\n");
                _textFailedPackage = pkg;
                _currentPackage = name;
                return;
            }

            EndTextFailedPackageUnless(null, rows);
            if (_currentPackage != null && _packages.TryGetValue(_currentPackage, out GoPackageRun current))
            {
                current.Output.Append(line + "\n");
            }
            else
            {
                _strayStdout.Append(line + "\n");
            }
        }

        private void CloseStdoutBuildBlock(List<DfVmTestResult> rows)
        {
            if (!_stdoutBuildBlockOpen)
            {
                return;
            }

            _stdoutBuildBlockOpen = false;
            string closed = _buildLog.CloseCurrent();
            if (closed != null)
            {
                ReleaseAwaiting(closed, rows);
            }
        }

        /// <summary>A package announced only by a "FAIL pkg [build failed]" line ends as soon as the stream moves on.</summary>
        private void EndTextFailedPackageUnless(string package, List<DfVmTestResult> rows)
        {
            if (_textFailedPackage != null && _textFailedPackage.Name != package)
            {
                GoPackageRun pkg = _textFailedPackage;
                _textFailedPackage = null;
                EndPackage(pkg, "fail", null, null, null, rows);
            }
        }

        private GoPackageRun GetOrStartPackage(string name, string time)
        {
            if (!_packages.TryGetValue(name, out GoPackageRun pkg))
            {
                pkg = new GoPackageRun(name, ++_sequence, MaxOutputCharsPerTest);
                _packages.Add(name, pkg);
            }

            if (pkg.FirstTime == null && time != null)
            {
                pkg.FirstTime = time;
            }

            return pkg;
        }

        private void EndTest(GoPackageRun pkg, GoTestEvent ev, List<DfVmTestResult> rows)
        {
            if (!pkg.Running.TryGetValue(ev.Test, out GoTestRun run))
            {
                if (ev.Action == "bench" && pkg.EmittedBenchmarks.Contains(ev.Test))
                {
                    return; // already reported from its result line
                }

                if (pkg.PendingBenchmark != null && pkg.PendingBenchmark.Name == ev.Test)
                {
                    run = pkg.PendingBenchmark;
                    pkg.PendingBenchmark = null;
                }
                else
                {
                    run = new GoTestRun(ev.Test, ++_sequence, ev.Time, MaxOutputCharsPerTest);
                }
            }
            else
            {
                pkg.Running.Remove(ev.Test);
            }

            DfVmTestOutcome outcome = ev.Action == "fail" ? DfVmTestOutcome.Failed
                : ev.Action == "skip" ? DfVmTestOutcome.Skipped
                : DfVmTestOutcome.Passed;
            string reason = null;
            if (outcome == DfVmTestOutcome.Failed && run.SawPanic)
            {
                reason = pkg.TimedOut ? GoTestReasons.Timeout : GoTestReasons.Panic;
            }
            else if (outcome == DfVmTestOutcome.Passed && run.ChildFailed)
            {
                outcome = DfVmTestOutcome.Failed;
                reason = GoTestReasons.ChildFailed;
            }

            bool cached = ev.Time == null && _sawTimedEvent;
            if (cached && reason == null)
            {
                reason = GoTestReasons.Cached;
            }

            if (run.IsBenchmark)
            {
                pkg.EmittedBenchmarks.Add(run.Name);
            }

            Emit(rows, TestRow(pkg, run, outcome, reason, ev.Time, ev.Elapsed, cached));
        }

        private void EndPackage(GoPackageRun pkg, string action, GoTestEvent ev, string failedBuild, string streamEnded, List<DfVmTestResult> rows)
        {
            if (_textFailedPackage == pkg)
            {
                _textFailedPackage = null;
            }

            _packages.Remove(pkg.Name);
            bool leftRunning = pkg.Running.Count > 0;
            string unfinishedReason = pkg.TimedOut ? GoTestReasons.Timeout
                : pkg.SawPanic ? GoTestReasons.Panic
                : streamEnded ?? GoTestReasons.ExitedWithoutEnding;

            // children before parents, then in the order they started: the order go would have ended them
            foreach (GoTestRun run in pkg.Running.Values.OrderByDescending(r => r.Depth).ThenBy(r => r.Sequence).ToList())
            {
                if (pkg.SawPanic && !run.SawPanic)
                {
                    if (!run.Output.IsEmpty)
                    {
                        run.Output.Append("\n");
                    }

                    run.Output.Append(pkg.PanicText.ToString());
                }

                Emit(rows, TestRow(pkg, run, DfVmTestOutcome.Failed, unfinishedReason, pkg.LastTime, null));
            }

            pkg.Running.Clear();
            if (pkg.PendingBenchmark != null)
            {
                GoTestRun bench = pkg.PendingBenchmark;
                pkg.PendingBenchmark = null;
                if (action == "fail")
                {
                    Emit(rows, TestRow(pkg, bench, DfVmTestOutcome.Failed, unfinishedReason, pkg.LastTime, null));
                }
            }

            DfVmTestOutcome outcome = action == "fail" ? DfVmTestOutcome.Failed
                : action == "skip" ? DfVmTestOutcome.Skipped
                : DfVmTestOutcome.Passed;
            if (streamEnded != null && !leftRunning && outcome == DfVmTestOutcome.Failed && !pkg.BuildFailed && !pkg.SetupFailed && !pkg.SawPanic)
            {
                unfinishedReason = streamEnded;
            }

            string reason;
            if (failedBuild != null || pkg.BuildFailed || pkg.SetupFailed)
            {
                reason = pkg.SetupFailed ? GoTestReasons.SetupFailed : GoTestReasons.BuildFailed;
            }
            else if (pkg.TimedOut || pkg.SawPanic || leftRunning || streamEnded != null)
            {
                reason = outcome == DfVmTestOutcome.Failed ? unfinishedReason : null;
            }
            else
            {
                reason = pkg.Cached ? GoTestReasons.Cached : null;
            }

            var pending = new PendingPackageRow(pkg, outcome, reason, ev?.Time ?? pkg.LastTime, ev?.Elapsed, pkg.Cached || (ev != null && ev.Time == null && _sawTimedEvent && action == "pass"));
            if (failedBuild != null)
            {
                Emit(rows, BuildPackageRow(pending, _buildLog.BuildOutputFor(failedBuild)));
            }
            else if ((pkg.BuildFailed || pkg.SetupFailed) && outcome == DfVmTestOutcome.Failed)
            {
                if (_buildLog.HasClosedBlock(pkg.Name))
                {
                    Emit(rows, BuildPackageRow(pending, _buildLog.TakeStderrBlock(pkg.Name)));
                }
                else
                {
                    _awaitingStderr.Add(pending); // its compiler text is on stderr, which may lag behind stdout
                    _anyFailure = true;
                }
            }
            else
            {
                Emit(rows, BuildPackageRow(pending, null));
            }
        }

        private void ReleaseAwaiting(string package, List<DfVmTestResult> rows)
        {
            for (int i = 0; i < _awaitingStderr.Count; i++)
            {
                PendingPackageRow pending = _awaitingStderr[i];
                if (pending.Package.Name == package)
                {
                    _awaitingStderr.RemoveAt(i);
                    Emit(rows, BuildPackageRow(pending, _buildLog.TakeStderrBlock(package)));
                    return;
                }
            }
        }

        private DfVmTestResult BuildPackageRow(PendingPackageRow p, string buildText)
        {
            string output = Join(buildText, p.Package.Output.ToString());
            var row = new DfVmTestResult(
                Suite, p.Package.Name, null, p.Outcome, DfVmTestResultKind.Package,
                DurationOf(p.Elapsed, p.Package.FirstTime, p.EndTime), p.Elapsed, output, p.Reason, p.Cached, ParseTime(p.Package.FirstTime));
            LeakRecord leak = p.Package.Leak;
            if (leak == null || LeakCheck == null)
            {
                return row;
            }

            p.Package.Leak = null;
            if (!leak.Complete)
            {
                // refused, or cut short (the stream ended inside it): no report rather than a guess
                InvalidLeakRecords.Add(new KeyValuePair<string, string>(p.Package.Name, leak.Error ?? "the record ended before its end line"));
                return row;
            }

            return row.WithLeak(Testing.LeakCheck.Compare(leak.Before, leak.After, leak.CleanFailures), LeakCheck.FailOnLeak);
        }

        private DfVmTestResult TestRow(GoPackageRun pkg, GoTestRun run, DfVmTestOutcome outcome, string reason, string endTime, double? elapsed, bool cached = false)
        {
            if (outcome == DfVmTestOutcome.Failed)
            {
                GoTestRun parent = FindParent(pkg, run.Name);
                if (parent != null)
                {
                    parent.ChildFailed = true;
                }
            }

            return new DfVmTestResult(
                Suite, pkg.Name, run.Name, outcome, run.IsBenchmark ? DfVmTestResultKind.Benchmark : DfVmTestResultKind.Test,
                DurationOf(elapsed, run.StartTime, endTime), elapsed, run.Output.ToString(), reason, cached, ParseTime(run.StartTime));
        }

        private static GoTestRun FindParent(GoPackageRun pkg, string test)
        {
            string parent = GoTestNames.ParentOf(test);
            return parent != null && pkg.Running.TryGetValue(parent, out GoTestRun run) ? run : null;
        }

        private void Emit(List<DfVmTestResult> rows, DfVmTestResult row)
        {
            if (row.Failed)
            {
                _anyFailure = true;
            }

            rows.Add(row);
        }

        private IReadOnlyList<DfVmTestResult> Done(List<DfVmTestResult> rows)
        {
            if (rows.Count == 0)
            {
                return NoRows;
            }

            RowCount += rows.Count;
            return rows;
        }

        private void ThrowIfCompleted()
        {
            if (_completed)
            {
                throw new InvalidOperationException("The go test stream was already completed.");
            }
        }

        private static TimeSpan DurationOf(double? elapsed, string start, string end)
        {
            if (elapsed.HasValue && elapsed.Value >= 0 && !double.IsInfinity(elapsed.Value) && !double.IsNaN(elapsed.Value))
            {
                return TimeSpan.FromTicks((long)Math.Round(elapsed.Value * TimeSpan.TicksPerSecond));
            }

            DateTimeOffset? s = ParseTime(start);
            DateTimeOffset? e = ParseTime(end);
            return s.HasValue && e.HasValue && e.Value >= s.Value ? e.Value - s.Value : TimeSpan.Zero;
        }

        internal static DateTimeOffset? ParseTime(string time)
        {
            if (string.IsNullOrEmpty(time))
            {
                return null;
            }

            return DateTimeOffset.TryParse(time, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTimeOffset t) ? t : (DateTimeOffset?)null;
        }

        private static string Join(string first, string second)
        {
            if (string.IsNullOrEmpty(first))
            {
                return second ?? string.Empty;
            }

            return string.IsNullOrEmpty(second) ? first : first + "\n" + second;
        }

        /// <summary>A package row whose result is known, possibly waiting for its compiler text.</summary>
        private sealed class PendingPackageRow
        {
            public PendingPackageRow(GoPackageRun package, DfVmTestOutcome outcome, string reason, string endTime, double? elapsed, bool cached)
            {
                Package = package;
                Outcome = outcome;
                Reason = reason;
                EndTime = endTime;
                Elapsed = elapsed;
                Cached = cached;
            }

            public GoPackageRun Package { get; }

            public DfVmTestOutcome Outcome { get; }

            public string Reason { get; }

            public string EndTime { get; }

            public double? Elapsed { get; }

            public bool Cached { get; }
        }
    }
}
