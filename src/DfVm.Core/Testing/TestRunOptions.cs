using System;
using System.Collections.Generic;
using DfVm.Core.Sync;

namespace DfVm.Core.Testing
{
    /// <summary>
    /// What <see cref="DfVmEngine.RunTestsAsync"/> runs (Invoke-DfVmTest's parameters and what it needs of the
    /// project and the module), as plain values: the PowerShell layer fills it, the core reads no config file.
    /// </summary>
    public sealed class TestRunOptions
    {
        /// <summary>The suite to run (-Suite).</summary>
        public string Suite { get; set; }

        /// <summary>The config's suites, by name.</summary>
        public IReadOnlyDictionary<string, DfVmSuite> Suites { get; set; }

        /// <summary>-Run: a go test -run regex that replaces the suite's; null keeps it.</summary>
        public string Run { get; set; }

        /// <summary>-Package: package patterns that replace the suite's; null keeps them.</summary>
        public IReadOnlyList<string> Packages { get; set; }

        /// <summary>-Timeout; null keeps go's default or the suite's.</summary>
        public TimeSpan? Timeout { get; set; }

        /// <summary>-Elevate: doas around every part even when its suite does not say Elevate.</summary>
        public bool Elevate { get; set; }

        /// <summary>The project folder on this machine (watched by -Watch; where a host build runs go).</summary>
        public string ProjectRoot { get; set; }

        /// <summary>The project folder in the guest.</summary>
        public string GuestProjectPath { get; set; }

        /// <summary>
        /// The project's sync (from <see cref="ProjectRoot"/> to <see cref="GuestProjectPath"/>, its excludes, .git or
        /// not), used by <see cref="SyncFirst"/> and by each -Watch round; -Watch ignores what it leaves out.
        /// </summary>
        public SyncOptions Sync { get; set; }

        /// <summary>-Sync: the project is synced into the guest before the run.</summary>
        public bool SyncFirst { get; set; }

        /// <summary>-BuildOn ("Guest", "Host" or null for Guest): the user's choice, never the project's config (<see cref="GoExec.BuildPlace"/>).</summary>
        public string BuildOn { get; set; }

        /// <summary>The path of dfvm-go-exec.sh shipped with the module (a host build's exec wrapper).</summary>
        public string GoExecWrapper { get; set; }

        /// <summary>-NoLeakCheck: no record of mounts and processes around each test binary.</summary>
        public bool NoLeakCheck { get; set; }

        /// <summary>-CleanLeaks: after each test binary, undo what it left.</summary>
        public bool CleanLeaks { get; set; }

        /// <summary>-FailOnLeak: a package that leaked is Failed.</summary>
        public bool FailOnLeak { get; set; }

        /// <summary>The config's LeakCheck key (false: the check runs only when -CleanLeaks or -FailOnLeak asks for it).</summary>
        public bool ConfigLeakCheck { get; set; } = true;

        /// <summary>The config's FailOnLeak key.</summary>
        public bool ConfigFailOnLeak { get; set; }

        /// <summary>-Watch: after the first run, run the affected packages again on each save, until cancelled.</summary>
        public bool Watch { get; set; }
    }
}
