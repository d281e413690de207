using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using DfVm.Core.Instances;
using DfVm.Core.Snapshots;

namespace DfVm.PowerShell
{
    /// <summary>Tab completion of snapshot names of the VM given by -Name (else the project's VM).</summary>
    public sealed class SnapshotNameCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            try
            {
                var project = CompletionContext.Project();
                if (project == null) return Enumerable.Empty<CompletionResult>();
                string vm = (fakeBoundParameters?["Name"] as string) ?? (fakeBoundParameters?["Name"] as string[])?.FirstOrDefault() ?? project.Config.VmName;
                var store = Engines.For(project.VmRoot).Store;
                if (!store.Exists(vm)) return Enumerable.Empty<CompletionResult>();
                var pattern = new WildcardPattern((wordToComplete ?? "").Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
                return SnapshotStore.List(store.PathsFor(vm))
                    .Where(s => pattern.IsMatch(s.Name))
                    .Select(s => new CompletionResult(s.Name, s.Name, CompletionResultType.ParameterValue,
                        $"{(s.Live ? "live" : "disk")} snapshot of {vm}, {s.Created:g}{(s.Current ? ", current" : "")}"));
            }
            catch (System.Exception)
            {
                return Enumerable.Empty<CompletionResult>(); // completion must never throw
            }
        }
    }
}
