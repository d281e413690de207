namespace DfVm.Core.Testing
{
    /// <summary>
    /// One line of `go test -json` (test2json's TestEvent, plus cmd/go's BuildEvent since Go 1.24).
    /// Only the fields DfVm reads; every other field is ignored.
    /// </summary>
    internal sealed class GoTestEvent
    {
        /// <summary>RFC 3339 time, kept as text and parsed only when needed; null for cached results.</summary>
        public string Time;
        public string Action;
        public string Package;
        public string Test;
        public double? Elapsed;
        public string Output;

        /// <summary>Go 1.24+: on a package's fail event, the ImportPath whose build failed.</summary>
        public string FailedBuild;

        /// <summary>Go 1.24+: set on build-output / build-fail events, which have no Package.</summary>
        public string ImportPath;

        /// <summary>Go 1.25+: on output events, "frame", "error" or "error-continue".</summary>
        public string OutputType;
    }
}
