using System.IO;
using System.Management.Automation;
using System.Reflection;
using DfVm.Core;
using DfVm.Core.Util;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// Writes a commented DfVm.config.psd1 with every default spelled out into the project folder,
    /// then reads it back and outputs it. Never overwrites without -Force.
    /// </summary>
    [Cmdlet(VerbsCommon.New, "DfVmConfig", SupportsShouldProcess = true)]
    [OutputType(typeof(DfVmConfig))]
    public sealed class NewDfVmConfigCommand : DfVmCmdlet
    {
        protected override bool NeedsVmHost => false;

        private const string TemplateResource = "DfVm.PowerShell.Resources.DfVm.config.template.psd1";

        /// <summary>The project folder (default: the current folder).</summary>
        [Parameter(Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; }

        /// <summary>The VM name to write (default dfly).</summary>
        [Parameter]
        [ValidatePattern(@"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}\z")]
        public string VmName { get; set; }

        /// <summary>The DragonFly BSD release to write (default: the newest release DfVm knows, 6.4.2).</summary>
        [Parameter]
        [ValidatePattern(@"^\d+\.\d+(\.\d+)?\z")]
        public string DragonFlyVersion { get; set; }

        /// <summary>The project folder in the guest (default /root/&lt;project folder name&gt;).</summary>
        [Parameter]
        [ValidatePattern("^/")]
        public string GuestProjectPath { get; set; }

        /// <summary>Replace an existing DfVm.config.psd1.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void EndProcessing()
        {
            string folder = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path ?? ".");
            string file = System.IO.Path.Combine(folder, ConfigReader.FileName);
            if (File.Exists(file) && !Force)
            {
                ThrowTerminating(new DfVmException(ErrorIds.ConfigExists, DfVmErrorKind.ResourceExists,
                    $"{file} already exists. Edit it, or replace it with New-DfVmConfig -Force.", file));
            }

            if (!ShouldProcess(file, File.Exists(file) ? "Replace the DfVm config" : "Write a DfVm config"))
            {
                return;
            }

            try
            {
                Directory.CreateDirectory(folder);
                var defaults = new DfVmConfig();
                string text = Template()
                    .Replace("{{VmName}}", Literal(VmName ?? defaults.VmName))
                    .Replace("{{DragonFlyVersion}}", Literal(DragonFlyVersion ?? defaults.DragonFlyVersion))
                    .Replace("{{GuestProjectPath}}", Literal(GuestProjectPath ?? DfVm.Core.Sync.SyncDestination.Default(defaults, folder)));
                AtomicFile.WriteAllText(file, text);
                WriteObject(ConfigReader.Read(file));
            }
            catch (System.Exception e) when (ErrorMapping.IsExpected(e))
            {
                ThrowTerminating(e, file);
            }
        }

        /// <summary>The inside of a single-quoted PowerShell string.</summary>
        private static string Literal(string value) => value.Replace("'", "''");

        private static string Template()
        {
            using (var stream = typeof(NewDfVmConfigCommand).GetTypeInfo().Assembly.GetManifestResourceStream(TemplateResource))
            using (var reader = new StreamReader(stream ?? throw new FileNotFoundException("embedded resource missing: " + TemplateResource)))
            {
                return reader.ReadToEnd();
            }
        }
    }
}
