using System.IO;
using System.Management.Automation;
using DfVm.Core;
using DfVm.Core.Testing;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// Reads `go test -json` output (lines from the pipeline, or files) into the same DfVmTestResult
    /// rows Invoke-DfVmTest gives, without a VM. Rows come out as their tests end in the stream.
    /// </summary>
    [Cmdlet(VerbsData.ConvertFrom, "GoTestJson", DefaultParameterSetName = "InputObject")]
    [OutputType(typeof(DfVmTestResult))]
    public sealed class ConvertFromGoTestJsonCommand : DfVmCmdlet
    {
        protected override bool NeedsVmHost => false;

        private GoTestJsonParser _parser;

        /// <summary>Lines of go test -json output (a string holding several lines is split).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = "InputObject")]
        [AllowEmptyString]
        [AllowNull]
        public string[] InputObject { get; set; }

        /// <summary>Files of go test -json output (wildcards allowed); each is its own stream.</summary>
        [Parameter(Mandatory = true, ParameterSetName = "Path")]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; }

        /// <summary>Files taken as written (no wildcards); binds the PSPath of piped files, so `Get-ChildItem *.jsonl | ConvertFrom-GoTestJson` reads them.</summary>
        [Parameter(Mandatory = true, ParameterSetName = "LiteralPath", ValueFromPipelineByPropertyName = true)]
        [Alias("PSPath", "LP")]
        [ValidateNotNullOrEmpty]
        public string[] LiteralPath { get; set; }

        /// <summary>Put into every row's Suite.</summary>
        [Parameter]
        public string Suite { get; set; }

        protected override void ProcessRecord()
        {
            if (ParameterSetName == "Path" || ParameterSetName == "LiteralPath")
            {
                bool literal = ParameterSetName == "LiteralPath";
                foreach (string pattern in literal ? LiteralPath : Path)
                {
                    foreach (string file in ResolveFiles(pattern, literal))
                    {
                        ForEachItem(file, () =>
                        {
                            var parser = new GoTestJsonParser(Suite);
                            foreach (string line in File.ReadLines(file))
                            {
                                WriteRows(parser.Feed(line));
                            }

                            WriteRows(parser.Complete(null));
                        });
                    }
                }

                return;
            }

            if (InputObject == null)
            {
                return;
            }

            _parser = _parser ?? new GoTestJsonParser(Suite);
            foreach (string text in InputObject)
            {
                if (text == null)
                {
                    continue;
                }

                foreach (string line in text.Split('\n'))
                {
                    WriteRows(_parser.Feed(line.TrimEnd('\r')));
                }
            }
        }

        protected override void EndProcessing()
        {
            if (_parser != null)
            {
                WriteRows(_parser.Complete(null));
            }
        }

        private System.Collections.Generic.IEnumerable<string> ResolveFiles(string path, bool literal)
        {
            if (!literal && WildcardPattern.ContainsWildcardCharacters(path))
            {
                try
                {
                    var files = SessionState.Path.GetResolvedProviderPathFromPSPath(path, out ProviderInfo provider);
                    var found = new System.Collections.Generic.List<string>();
                    foreach (string f in files)
                    {
                        if (File.Exists(f)) found.Add(f);
                    }
                    if (found.Count > 0) return found;
                }
                catch (ItemNotFoundException)
                {
                    // reported below, as for a literal path
                }
                WriteError(ToErrorRecord(new DfVmException(ErrorIds.FileNotFound, DfVmErrorKind.NotFound, $"No file matches '{path}'.", path)));
                return new string[0];
            }

            string file = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
            if (File.Exists(file))
            {
                return new[] { file };
            }

            WriteError(ToErrorRecord(new DfVmException(ErrorIds.FileNotFound, DfVmErrorKind.NotFound, $"Cannot find the file '{file}'.", path)));
            return new string[0];
        }

        private void WriteRows(System.Collections.Generic.IReadOnlyList<DfVmTestResult> rows)
        {
            foreach (DfVmTestResult row in rows)
            {
                WriteObject(row);
            }
        }
    }
}
