using System;
using System.Collections.Generic;
using DfVm;
using DfVm.Core.Testing;
using Xunit;

namespace DfVm.Core.Tests.Testing
{
    /// <summary>How a suite's command is narrowed by -Run / -Package / -Timeout, wrapped in cd and doas, and how suites resolve.</summary>
    public class SuiteCommandLineTests
    {
        [Theory]
        [InlineData("go test -json ./...", "Foo|Bar", null, "go test -run 'Foo|Bar' -json ./...")]
        [InlineData("go test -json -run Integration ./...", "^TestX$", null, "go test -run '^TestX$' -json ./...")]
        [InlineData("go test -json -run=Integration ./...", "X", null, "go test -run 'X' -json ./...")]
        [InlineData("go test -json ./...", null, "./pass/", "go test -json ./pass/")]
        [InlineData("go test -json -run E2E .", null, "./a/...,./b", "go test -json -run E2E ./a/... ./b")]
        [InlineData("go test -json", null, "./x", "go test -json ./x")]
        [InlineData("GOFLAGS=-count=1 go test -json -tags 'a b' ./... 2>&1 | tee log", "A", "./p", "GOFLAGS=-count=1 go test -run 'A' -json -tags 'a b' ./p 2>&1 | tee log")]
        [InlineData("go vet ./... && go test -json ./... -args -v=1", null, "./q", "go vet ./... && go test -json ./q -args -v=1")]
        [InlineData("go test -json -p 1 ./...", null, "weird dir/...", "go test -json -p 1 'weird dir/...'")]
        [InlineData("go test -json ./...", "it's", null, "go test -run 'it'\\''s' -json ./...")]
        public void NarrowRewritesOnlyTheGoTestWords(string command, string run, string packages, string expected)
        {
            string[] list = packages?.Split(',');
            Assert.Equal(expected, SuiteCommandLine.Narrow(command, run, list, null));
        }

        [Fact]
        public void NarrowReplacesTheTimeoutAndLeavesAnUnnarrowedCommandAlone()
        {
            Assert.Equal("go test -timeout 90s -json ./...", SuiteCommandLine.Narrow("go test -timeout 5m -json ./...", null, null, TimeSpan.FromSeconds(89.5)));
            const string odd = "  go   test  -json\t./...  ;  echo done";
            Assert.Equal(odd, SuiteCommandLine.Narrow(odd, null, new string[0], null));
            Assert.Equal("  go test -json ./a  ;  echo done", SuiteCommandLine.Narrow(odd, null, new[] { "./a" }, null));
        }

        [Fact]
        public void NarrowingACommandWithoutGoTestIsSuiteInvalid()
        {
            var e = Assert.Throws<GuestTestException>(() => SuiteCommandLine.Narrow("make test", "X", null, null, "Make"));
            Assert.Equal(ErrorIds.SuiteInvalid, e.ErrorId);
            Assert.Contains("make test", e.Message);
        }

        [Fact]
        public void BuildChecksTheProjectDirAndUsesDoasOnlyForANonRootUser()
        {
            var part = new DfVmSuite { Name = "Phase4", Command = "go test -json ./internal/worker/...", Elevate = true };
            var asRoot = new GuestTestRequest { GuestProjectPath = "/root/my proj", SshUser = "root" };
            Assert.Equal("if ! cd '/root/my proj' 2>/dev/null; then printf '\\036DFVM-NOPROJECT\\n' >&2; exit 125; fi; go test -json ./internal/worker/...",
                SuiteCommandLine.Build(part, asRoot));

            var asUser = new GuestTestRequest { GuestProjectPath = "/home/u/p", SshUser = "dfuser", Run = "Root" };
            string text = SuiteCommandLine.Build(part, asUser);
            Assert.EndsWith("fi; doas -n /bin/sh -c 'printf '\\''\\036DFVM-ELEVATED-PID %s\\n'\\'' \"$$\" >&2; go test -run '\\''Root'\\'' -json ./internal/worker/...'", text);

            var plain = new DfVmSuite { Name = "Unit", Command = "go test -json ./..." };
            Assert.DoesNotContain("doas", SuiteCommandLine.Build(plain, asUser));
            Assert.Contains("doas -n", SuiteCommandLine.Build(plain, new GuestTestRequest { GuestProjectPath = "/p", SshUser = "dfuser", Elevate = true }));
        }

        [Fact]
        public void IncludeSuitesExpandInOrderEachPartOnce()
        {
            Dictionary<string, DfVmSuite> suites = DfVmConfig.DefaultSuites();
            suites["Nightly"] = new DfVmSuite { Name = "Nightly", Include = new[] { "all", "Unit", "Extra" } };
            suites["Extra"] = new DfVmSuite { Name = "Extra", Command = "go test -json ./extra/..." };
            Assert.Equal(new[] { "Unit", "Integration", "Phase4", "E2E", "Extra" }, Names(SuiteResolver.Resolve(suites, "nightly")));
            Assert.Equal(new[] { "Phase4" }, Names(SuiteResolver.Resolve(suites, "PHASE4")));
        }

        [Fact]
        public void UnknownAndCyclicSuitesAreTypedErrors()
        {
            Dictionary<string, DfVmSuite> suites = DfVmConfig.DefaultSuites();
            var missing = Assert.Throws<GuestTestException>(() => SuiteResolver.Resolve(suites, "Nope"));
            Assert.Equal(ErrorIds.SuiteNotFound, missing.ErrorId);
            Assert.Equal(DfVmErrorKind.NotFound, missing.Kind);
            Assert.Contains("All, E2E, Integration, Phase4, Unit", missing.Message);

            suites["A"] = new DfVmSuite { Name = "A", Include = new[] { "B" } };
            suites["B"] = new DfVmSuite { Name = "B", Include = new[] { "Unit", "A" } };
            var cycle = Assert.Throws<GuestTestException>(() => SuiteResolver.Resolve(suites, "A"));
            Assert.Equal(ErrorIds.SuiteInvalid, cycle.ErrorId);
            Assert.Contains("A -> B -> A", cycle.Message);
        }

        private static IEnumerable<string> Names(IEnumerable<DfVmSuite> suites)
        {
            foreach (DfVmSuite s in suites)
            {
                yield return s.Name;
            }
        }
    }
}
