using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace DfVm.PowerShell
{
    /// <summary>Tab completion of suite names from the project's config (its Suites, or the default ones).</summary>
    public sealed class SuiteNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var project = FromPath(fakeBoundParameters) ?? CompletionContext.Project();
            if (project == null) return Enumerable.Empty<CompletionResult>();
            var pattern = new WildcardPattern((wordToComplete ?? "").Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
            return project.Config.Suites
                .Where(s => pattern.IsMatch(s.Key))
                .OrderBy(s => s.Key, System.StringComparer.OrdinalIgnoreCase)
                .Select(s => new CompletionResult(s.Key, s.Key, CompletionResultType.ParameterValue, s.Value.ToString()));
        }

        private static ProjectContext FromPath(IDictionary bound)
        {
            try
            {
                return bound != null && bound["Path"] is string path && System.IO.Directory.Exists(path) ? ProjectContext.Discover(path) : null;
            }
            catch (System.Exception)
            {
                return null; // completion must never throw
            }
        }
    }
}
