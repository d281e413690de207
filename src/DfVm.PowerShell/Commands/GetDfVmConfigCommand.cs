using System.IO;
using System.Management.Automation;
using DfVm.Core;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// The project's config with every default filled in: the first DfVm.config.psd1 found walking
    /// up from the current folder (or from -Path), else the defaults with Path = $null.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "DfVmConfig")]
    [OutputType(typeof(DfVmConfig))]
    public sealed class GetDfVmConfigCommand : DfVmCmdlet
    {
        protected override bool NeedsVmHost => false;

        /// <summary>A folder to search up from, or a config file to read.</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("FullName")]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; }

        protected override void ProcessRecord()
        {
            string target = Path == null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
            try
            {
                if (target == null)
                {
                    WriteObject(Project.Config);
                }
                else if (File.Exists(target))
                {
                    WriteObject(ConfigReader.Read(target));
                }
                else if (Directory.Exists(target))
                {
                    WriteObject(ProjectContext.Discover(target).Config);
                }
                else
                {
                    WriteError(ToErrorRecord(new DfVmException(ErrorIds.PathNotFound, DfVmErrorKind.NotFound, $"Cannot find path '{target}'.", target)));
                }
            }
            catch (System.Exception e) when (ErrorMapping.IsExpected(e))
            {
                WriteError(ToErrorRecord(e, target));
            }
        }
    }
}
