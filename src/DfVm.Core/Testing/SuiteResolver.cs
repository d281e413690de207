using System;
using System.Collections.Generic;
using System.Linq;

namespace DfVm.Core.Testing
{
    /// <summary>Turns a suite name into the command suites to run, in order (Include lists expanded depth first, each suite once).</summary>
    public static class SuiteResolver
    {
        public static IReadOnlyList<DfVmSuite> Resolve(IReadOnlyDictionary<string, DfVmSuite> suites, string name)
        {
            if (suites == null)
            {
                throw new ArgumentNullException(nameof(suites));
            }

            var result = new List<DfVmSuite>();
            Expand(suites, name, new List<string>(), result);
            return result;
        }

        private static void Expand(IReadOnlyDictionary<string, DfVmSuite> suites, string name, List<string> path, List<DfVmSuite> result)
        {
            DfVmSuite suite = Find(suites, name);
            if (path.Contains(suite.Name, StringComparer.OrdinalIgnoreCase))
            {
                throw new GuestTestException(ErrorIds.SuiteInvalid, DfVmErrorKind.InvalidData,
                    $"Suite '{suite.Name}' includes itself: {string.Join(" -> ", path.Concat(new[] { suite.Name }))}.", suite.Name);
            }

            if (suite.Include != null && suite.Include.Length > 0)
            {
                path.Add(suite.Name);
                foreach (string part in suite.Include)
                {
                    Expand(suites, part, path, result);
                }

                path.RemoveAt(path.Count - 1);
                return;
            }

            if (string.IsNullOrWhiteSpace(suite.Command))
            {
                throw new GuestTestException(ErrorIds.SuiteInvalid, DfVmErrorKind.InvalidData,
                    $"Suite '{suite.Name}' has neither a Command nor an Include list.", suite.Name);
            }

            if (!result.Any(s => string.Equals(s.Name, suite.Name, StringComparison.OrdinalIgnoreCase)))
            {
                result.Add(suite);
            }
        }

        private static DfVmSuite Find(IReadOnlyDictionary<string, DfVmSuite> suites, string name)
        {
            DfVmSuite suite = null;
            if (!string.IsNullOrEmpty(name) && !suites.TryGetValue(name, out suite))
            {
                suite = suites.Values.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
            }

            if (suite == null)
            {
                string known = suites.Count == 0 ? "(none)" : string.Join(", ", suites.Keys.OrderBy(k => k, StringComparer.OrdinalIgnoreCase));
                throw new GuestTestException(ErrorIds.SuiteNotFound, DfVmErrorKind.NotFound,
                    $"No suite named '{name}'. The config's suites: {known}.", name);
            }

            return string.IsNullOrEmpty(suite.Name)
                ? new DfVmSuite { Name = name, Command = suite.Command, Elevate = suite.Elevate, Include = suite.Include }
                : suite;
        }
    }
}
