namespace DfVm.Core.Testing
{
    /// <summary>The Reason texts a <see cref="DfVm.DfVmTestResult"/> can carry. Stable: scripts filter on them.</summary>
    public static class GoTestReasons
    {
        public const string Panic = "panic";
        public const string Timeout = "timeout";
        public const string BuildFailed = "build failed";
        public const string SetupFailed = "setup failed";
        public const string ExitedWithoutEnding = "exited without ending: os.Exit or panic";
        public const string StreamEnded = "stream ended before the test finished";
        public const string Cached = "cached";
        public const string ChildFailed = "subtest failed";
        public const string GoTestFailed = "go test failed";
    }
}
