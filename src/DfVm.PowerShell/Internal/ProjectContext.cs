using System.IO;
using System.Linq;
using DfVm.Core;
using DfVm.Core.Sync;
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

        /// <summary>Where the project lives in the guest (<see cref="SyncDestination.Default"/>).</summary>
        public string GuestProjectPath => SyncDestination.Default(Config, Root);

        /// <summary>A sync of <paramref name="source"/> with the project's settings (its excludes, .git or not) plus <paramref name="extraExcludes"/>.</summary>
        public SyncOptions SyncOptions(string source, string destination, bool full = false, bool verify = false, bool whatIf = false, string[] extraExcludes = null) =>
            new SyncOptions
            {
                SourcePath = source,
                Destination = destination,
                Full = full,
                Verify = verify,
                WhatIf = whatIf,
                IncludeGit = Config.SyncIncludeGit,
                ExtraExcludes = (Config.SyncExclude ?? new string[0]).Concat(extraExcludes ?? new string[0]).ToList(),
            };

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
