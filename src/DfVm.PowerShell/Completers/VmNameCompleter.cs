using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using DfVm.Core.Instances;

namespace DfVm.PowerShell
{
    /// <summary>Tab completion of existing VM names (from the project's vm/ folder).</summary>
    public sealed class VmNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var project = CompletionContext.Project();
            if (project == null) return Enumerable.Empty<CompletionResult>();
            var pattern = new WildcardPattern((wordToComplete ?? "").Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
            return Engines.For(project.VmRoot).Store.List()
                .Where(n => pattern.IsMatch(n))
                .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, "VM " + n));
        }
    }

    internal static class CompletionContext
    {
        public static ProjectContext Project()
        {
            try
            {
                using (var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace))
                {
                    var location = ps.AddCommand("Get-Location").Invoke().FirstOrDefault()?.BaseObject as PathInfo;
                    return ProjectContext.Discover(location?.ProviderPath ?? System.IO.Directory.GetCurrentDirectory());
                }
            }
            catch (System.Exception)
            {
                return null; // completion must never throw
            }
        }
    }
}
