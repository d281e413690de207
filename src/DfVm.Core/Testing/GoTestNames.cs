using System;
using System.Text.RegularExpressions;

namespace DfVm.Core.Testing
{
    /// <summary>Recognises the plain-text lines go test prints: frames, benchmark results, build failures, panics.</summary>
    internal static class GoTestNames
    {
        // BenchmarkSum-2   \t    1000\t        58.79 ns/op
        private static readonly Regex BenchmarkResult = new Regex(
            @"^(Benchmark[^\s]*?)(?:-\d+)?\s+\d+\s+\S", RegexOptions.CultureInvariant);

        // FAIL\texample.com/x [build failed]
        private static readonly Regex PackageFailure = new Regex(
            @"^FAIL\s+(\S+)\s+\[(build|setup) failed\]\s*$", RegexOptions.CultureInvariant);

        public static bool IsBenchmark(string test) =>
            test != null && test.StartsWith("Benchmark", StringComparison.Ordinal);

        /// <summary>"=== RUN", "=== PAUSE", "=== CONT", "=== NAME", "=== ATTR": framing, not the test's own output.</summary>
        public static bool IsFrame(string text)
        {
            return text.StartsWith("=== ", StringComparison.Ordinal)
                && (text.StartsWith("=== RUN ", StringComparison.Ordinal)
                    || text.StartsWith("=== PAUSE ", StringComparison.Ordinal)
                    || text.StartsWith("=== CONT ", StringComparison.Ordinal)
                    || text.StartsWith("=== NAME ", StringComparison.Ordinal)
                    || text.StartsWith("=== ATTR ", StringComparison.Ordinal));
        }

        public static bool StartsPanic(string text) =>
            text.StartsWith("panic: ", StringComparison.Ordinal) || text.StartsWith("fatal error: ", StringComparison.Ordinal);

        /// <summary>A benchmark name line on its own ("BenchmarkSum"), printed before the benchmark runs.</summary>
        public static bool TryBenchmarkNameLine(string text, out string name)
        {
            name = null;
            if (!IsBenchmark(text))
            {
                return false;
            }

            string trimmed = text.TrimEnd('\r', '\n');
            foreach (char c in trimmed)
            {
                if (char.IsWhiteSpace(c))
                {
                    return false;
                }
            }

            name = trimmed;
            return true;
        }

        /// <summary>A benchmark result line; name has the -GOMAXPROCS suffix removed.</summary>
        public static bool TryBenchmarkResult(string text, out string name)
        {
            name = null;
            if (!IsBenchmark(text))
            {
                return false;
            }

            Match m = BenchmarkResult.Match(text);
            if (!m.Success)
            {
                return false;
            }

            name = m.Groups[1].Value;
            return true;
        }

        /// <summary>"FAIL\tpkg [build failed]" or "[setup failed]".</summary>
        public static bool TryPackageFailure(string text, out string package, out bool setup)
        {
            package = null;
            setup = false;
            if (!text.StartsWith("FAIL", StringComparison.Ordinal))
            {
                return false;
            }

            Match m = PackageFailure.Match(text.TrimEnd('\r', '\n'));
            if (!m.Success)
            {
                return false;
            }

            package = m.Groups[1].Value;
            setup = m.Groups[2].Value == "setup";
            return true;
        }

        public static bool IsCachedLine(string text) =>
            text.StartsWith("ok", StringComparison.Ordinal) && text.Contains("\t(cached)");

        /// <summary>The parent of "TestA/sub/leaf" is "TestA/sub"; a top-level test has none.</summary>
        public static string ParentOf(string test)
        {
            int slash = test.LastIndexOf('/');
            return slash > 0 ? test.Substring(0, slash) : null;
        }
    }
}
