using System;
using System.Collections.Generic;

namespace DfVm.Core.Testing
{
    /// <summary>What to run in the guest: a suite of the config, narrowed by -Run / -Package / -Timeout.</summary>
    public sealed class GuestTestRequest
    {
        /// <summary>The suite to run (a Command suite, or an Include suite whose parts run in order).</summary>
        public string Suite { get; set; }

        /// <summary>The config's suites, by name (case-insensitive).</summary>
        public IReadOnlyDictionary<string, DfVmSuite> Suites { get; set; }

        /// <summary>The project directory in the guest; every suite command runs there.</summary>
        public string GuestProjectPath { get; set; }

        /// <summary>A go test -run regex that replaces the suite's own -run; null keeps the suite's.</summary>
        public string Run { get; set; }

        /// <summary>Package patterns that replace the suite's (./... by default); null or empty keeps the suite's.</summary>
        public IReadOnlyList<string> Packages { get; set; }

        /// <summary>Passed to go test as -timeout (per test binary); null keeps go's default (10m) or the suite's.</summary>
        public TimeSpan? Timeout { get; set; }

        /// <summary>Run every part through doas even when its suite does not say Elevate.</summary>
        public bool Elevate { get; set; }

        /// <summary>The SSH login user; doas is used only when it is not root.</summary>
        public string SshUser { get; set; } = "root";

        /// <summary>The leak check around each test binary; null: none (-NoLeakCheck).</summary>
        public LeakCheckOptions LeakCheck { get; set; }

        /// <summary>The VM the suite runs in (named in errors).</summary>
        public string VmName { get; set; }

        /// <summary>A copy to narrow (a -Watch round's packages); the leak check options are shared, not copied.</summary>
        public GuestTestRequest Copy() => (GuestTestRequest)MemberwiseClone();
    }
}
