using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using DfVm.Core.Images;

namespace DfVm.PowerShell
{
    /// <summary>Tab completion of the DragonFly releases the module knows (newest first).</summary>
    public sealed class VersionCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            string prefix = (wordToComplete ?? "").Trim('\'', '"');
            return DragonFlyRelease.KnownVersions
                .Where(v => v.StartsWith(prefix, System.StringComparison.OrdinalIgnoreCase))
                .Select(v => new CompletionResult(v, v, CompletionResultType.ParameterValue,
                    "DragonFly " + v + (DragonFlyRelease.KnownMd5(DragonFlyRelease.CompressedFileName(v, ImageKind.Iso)) != null ? " (checksum built in)" : "")));
        }
    }
}
