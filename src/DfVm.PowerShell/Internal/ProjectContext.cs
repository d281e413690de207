using System.IO;
using DfVm.Core;
using DfVm.Core.Util;

namespace DfVm.PowerShell
{
    /// <summary>
    /// The project a cmdlet works on: found by walking up from the current directory to the first
    /// folder holding DfVm.config.psd1 (like git finds its repository); else the current folder
    /// with defaults. Paths are real (symlinks resolved): a project reached through a symlink is
    /// the same project, with the same VM folder and the same running QEMU.
    /// </summary>
    internal sealed class ProjectContext
    {
        private ProjectContext(DfVmConfig config)
        {
            Config = config;
        }

        public DfVmConfig Config { get; }
        public string Root => Config.ProjectRoot;
        public string VmRoot => HostPath.Real(Config.VmDirectory ?? Path.Combine(Root, "vm"));

        public static ProjectContext Discover(string startDirectory)
        {
            string real = HostPath.Real(startDirectory);
            var dir = new DirectoryInfo(real);
            while (dir != null)
            {
                string candidate = Path.Combine(dir.FullName, ConfigReader.FileName);
                if (File.Exists(candidate))
                {
                    return new ProjectContext(ConfigReader.Read(candidate));
                }
                dir = dir.Parent;
            }
            return new ProjectContext(new DfVmConfig { ProjectRoot = real });
        }
    }
}
