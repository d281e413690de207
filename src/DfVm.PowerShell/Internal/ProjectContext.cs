using System.IO;
using DfVm.Core;

namespace DfVm.PowerShell
{
    /// <summary>
    /// The project a cmdlet works on: found by walking up from the current directory to the first
    /// folder holding DfVm.config.psd1 (like git finds its repository); else the current folder
    /// with defaults.
    /// </summary>
    internal sealed class ProjectContext
    {
        private ProjectContext(DfVmConfig config)
        {
            Config = config;
        }

        public DfVmConfig Config { get; }
        public string Root => Config.ProjectRoot;
        public string VmRoot => Config.VmDirectory ?? Path.Combine(Root, "vm");

        public static ProjectContext Discover(string startDirectory)
        {
            var dir = new DirectoryInfo(startDirectory);
            while (dir != null)
            {
                string candidate = Path.Combine(dir.FullName, ConfigReader.FileName);
                if (File.Exists(candidate))
                {
                    return new ProjectContext(ConfigReader.Read(candidate));
                }
                dir = dir.Parent;
            }
            return new ProjectContext(new DfVmConfig { ProjectRoot = Path.GetFullPath(startDirectory) });
        }
    }
}
