using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using DfVm.Core.Testing;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// Collects DfVmTestResult rows from the pipeline and writes them as a JUnit XML report
    /// (atomically: a reader never sees half a file). Outputs the report's FileInfo, or with
    /// -PassThru the rows themselves as they arrive.
    /// </summary>
    [Cmdlet(VerbsData.Export, "DfVmTestReport", SupportsShouldProcess = true)]
    [OutputType(typeof(FileInfo))]
    [OutputType(typeof(DfVmTestResult))]
    public sealed class ExportDfVmTestReportCommand : DfVmCmdlet
    {
        protected override bool NeedsVmHost => false;

        private readonly List<DfVmTestResult> _rows = new List<DfVmTestResult>();

        /// <summary>The report file to write (replaced if it exists).</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; }

        [Parameter]
        [ValidateSet("JUnit")]
        public string Format { get; set; } = "JUnit";

        /// <summary>Rows from Invoke-DfVmTest or ConvertFrom-GoTestJson, live or after Export-Clixml/Import-Clixml, Receive-Job or ConvertTo-Json/ConvertFrom-Json (read by property name).</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true)]
        [AllowNull]
        [TestResultTransformation]
        public DfVmTestResult[] InputObject { get; set; }

        /// <summary>Pass the rows on down the pipeline (as they arrive) instead of writing the FileInfo.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            if (InputObject == null)
            {
                return;
            }

            foreach (DfVmTestResult row in InputObject)
            {
                if (row == null)
                {
                    continue;
                }

                _rows.Add(row);
                if (PassThru)
                {
                    WriteObject(row);
                }
            }
        }

        protected override void EndProcessing()
        {
            string full = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
            if (!ShouldProcess(full, $"Write a {Format} report of {_rows.Count} test result(s)"))
            {
                return;
            }

            try
            {
                new JUnitReportWriter().Write(_rows, full);
            }
            catch (System.Exception e) when (ErrorMapping.IsExpected(e))
            {
                ThrowTerminating(e, full);
            }

            if (!PassThru)
            {
                WriteObject(new FileInfo(full));
            }
        }
    }
}
