using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;

namespace DfVm.PowerShell
{
    /// <summary>
    /// What a test run came to, counted on the pipeline thread as rows are written:
    /// "362 tests: 356 passed, 4 failed, 2 skipped in 6 packages, 43.2 s; 1 package leaked (...)".
    /// </summary>
    internal sealed class RunSummary
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly HashSet<string> _packages = new HashSet<string>();
        private readonly List<string> _vms = new List<string>();
        private readonly HashSet<string> _unfinished = new HashSet<string>();
        private readonly HashSet<string> _packagesWithFailedTests = new HashSet<string>();
        private int _passed, _failed, _skipped, _packagesFailed, _packagesLeaked;

        public IReadOnlyList<string> Vms => _vms;

        public void Started(string vm)
        {
            if (!_vms.Contains(vm)) _vms.Add(vm);
            _unfinished.Add(vm);
        }

        public void Completed(string vm) => _unfinished.Remove(vm);

        public void Count(DfVmTestResult row)
        {
            string package = row.VmName + "\n" + row.Package;
            _packages.Add(package);
            if (row.Kind == DfVmTestResultKind.Package)
            {
                if (row.Leaked) _packagesLeaked++;
                // A package that failed because a test in it failed is counted once, as that test;
                // one that failed on its own (build failed, panic, setup) is counted here.
                if (row.Failed && (row.Reason != null || !_packagesWithFailedTests.Contains(package))) _packagesFailed++;
                return;
            }
            if (row.Passed) _passed++;
            else if (row.Failed) { _failed++; _packagesWithFailedTests.Add(package); }
            else _skipped++;
        }

        /// <summary>True when every test and package passed or was skipped and every VM's run ended.</summary>
        public bool Green => _failed == 0 && _packagesFailed == 0 && _unfinished.Count == 0;

        public string Problem()
        {
            var parts = new List<string>();
            if (_failed > 0) parts.Add(Plural(_failed, "test") + " failed");
            if (_packagesFailed > 0) parts.Add(Plural(_packagesFailed, "package") + " failed");
            if (_unfinished.Count > 0) parts.Add("the run did not complete on " + string.Join(", ", _unfinished.OrderBy(v => v)));
            return string.Join("; ", parts);
        }

        public string Line()
        {
            int tests = _passed + _failed + _skipped;
            string line = string.Format(CultureInfo.InvariantCulture, "{0}: {1} passed, {2} failed, {3} skipped in {4}, {5:0.0} s",
                Plural(tests, "test"), _passed, _failed, _skipped, Plural(_packages.Count, "package"), _clock.Elapsed.TotalSeconds);
            if (_packagesFailed > 0) line += string.Format(CultureInfo.InvariantCulture, " ({0} failed as a whole)", Plural(_packagesFailed, "package"));
            if (_packagesLeaked > 0) line += string.Format(CultureInfo.InvariantCulture, "; {0} leaked (LeftMounts, LeftProcesses, RemovedMounts, EndedProcesses)", Plural(_packagesLeaked, "package"));
            if (_unfinished.Count > 0) line += " (incomplete: " + string.Join(", ", _unfinished.OrderBy(v => v)) + ")";
            return line;
        }

        private static string Plural(int n, string word) => n.ToString(CultureInfo.InvariantCulture) + " " + word + (n == 1 ? "" : "s");
    }
}
