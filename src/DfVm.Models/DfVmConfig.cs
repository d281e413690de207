using System.Collections.Generic;

namespace DfVm
{
    /// <summary>One test suite: a command run in the guest's project directory, or a list of other suites.</summary>
    public sealed class DfVmSuite
    {
        public string Name { get; set; }
        public string Command { get; set; }
        public bool Elevate { get; set; }
        public string[] Include { get; set; }
        public override string ToString() => Include != null && Include.Length > 0 ? $"{Name} = {string.Join(", ", Include)}" : $"{Name}: {Command}";
    }

    /// <summary>The project's DfVm.config.psd1 with every default filled in.</summary>
    public sealed class DfVmConfig
    {
        /// <summary>The config file, or null when none was found and defaults apply.</summary>
        public string Path { get; set; }
        /// <summary>The project root: the folder holding the config file (or the current folder).</summary>
        public string ProjectRoot { get; set; }
        public string VmName { get; set; } = "dfly";
        public string VmDirectory { get; set; }
        /// <summary>The newest DragonFly release DfVm knows (DragonFlyRelease.DefaultVersion in DfVm.Core).</summary>
        public string DragonFlyVersion { get; set; } = "6.4.2";
        public int DiskSizeGB { get; set; } = 20;
        public int MemoryMB { get; set; } = 2048;
        public int Cpus { get; set; } = 2;
        /// <summary>0 means Auto: a free port at each start.</summary>
        public int SshPort { get; set; } = 0;
        public string SshUser { get; set; } = "root";
        public string GuestProjectPath { get; set; }
        public string[] SyncExclude { get; set; } = new string[0];
        public bool SyncIncludeGit { get; set; }
        /// <summary>
        /// What Build-DfVmProject runs in the guest project (POSIX sh). `go build ./...` because DragonFly's
        /// `make` is BSD make and gmake is not installed: a GNU Makefile's `make build` fails there.
        /// </summary>
        public string BuildCommand { get; set; } = "go build ./...";
        /// <summary>What the config says about where Invoke-DfVmTest compiles: read, but only Guest is used (a project cannot choose to run code on the host: Host gets a warning; the user's -BuildOn decides).</summary>
        public string BuildOn { get; set; } = "Guest";
        /// <summary>Invoke-DfVmTest records the guest's mounts and processes around each test binary and reports what it left (-NoLeakCheck turns it off for one run).</summary>
        public bool LeakCheck { get; set; } = true;
        /// <summary>A package whose test binary leaked is Failed (as -FailOnLeak).</summary>
        public bool FailOnLeak { get; set; }
        public Dictionary<string, DfVmSuite> Suites { get; set; } = DefaultSuites();

        public static Dictionary<string, DfVmSuite> DefaultSuites() => new Dictionary<string, DfVmSuite>(System.StringComparer.OrdinalIgnoreCase)
        {
            ["Unit"] = new DfVmSuite { Name = "Unit", Command = "go test -json -short ./..." },
            ["Integration"] = new DfVmSuite { Name = "Integration", Command = "go test -json -run Integration ./..." },
            ["Phase4"] = new DfVmSuite { Name = "Phase4", Command = "go test -json ./internal/worker/...", Elevate = true },
            ["E2E"] = new DfVmSuite { Name = "E2E", Command = "go test -json -run E2E ." },
            ["All"] = new DfVmSuite { Name = "All", Include = new[] { "Unit", "Integration", "Phase4", "E2E" } },
        };
    }
}
