using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Instances;
using DfVm.Core.Ssh;
using DfVm.Core.Testing;

namespace DfVm.Core.GoExec
{
    /// <summary>
    /// Where a suite's <c>go test</c> builds: in the guest (the default), or on this machine with the exec
    /// wrapper running each test binary as root in the VM (<c>-BuildOn Host</c>, the user's choice; never the
    /// project's config). A host build needs Go here, a plain <c>go test</c> command line in every part of the
    /// suite (<see cref="HostGoCommand"/>) and no package that needs cgo; else a warning says why and the build
    /// stays in the guest. A guest whose uname is no Go target stops it (<see cref="ErrorIds.GoExecGuestTargetInvalid"/>).
    /// </summary>
    public static class BuildPlace
    {
        /// <summary>
        /// The shell the suite's go test runs in: <paramref name="guest"/>, or a <see cref="HostGoShell"/>.
        /// For a host build <paramref name="request"/> is adjusted: the cd guard checks the host project, and
        /// there is no doas around go (the wrapper elevates each test binary).
        /// </summary>
        /// <param name="buildOn">"Host" or "Guest" (null: Guest): the user's -BuildOn, never the project's config.</param>
        /// <param name="wrapperSource">The path of <c>dfvm-go-exec.sh</c> shipped with the module.</param>
        public static async Task<IGuestShell> ChooseAsync(string buildOn, IGuestShell guest, VmPaths paths, string projectRoot, string guestPath,
            GuestTestRequest request, string wrapperSource, IOperationReporter reporter, CancellationToken ct)
        {
            if (!string.Equals(buildOn ?? "Guest", "Host", StringComparison.OrdinalIgnoreCase))
            {
                return guest;
            }

            string go = HostGoTarget.FindGo(Environment.GetEnvironmentVariable("PATH"));
            if (go == null)
            {
                reporter.Warning("BuildOn Host: no 'go' on this machine's PATH, so the tests are built in the guest (install Go here for host builds).");
                return guest;
            }

            // Only go runs here, with arguments DfVm has read (HostGoCommand): a part that is more than a plain
            // go test command line (its text comes from the project's config) builds in the guest, all of it.
            var hostRequest = new GuestTestRequest
            {
                Suite = request.Suite,
                Suites = request.Suites,
                GuestProjectPath = projectRoot,
                Run = request.Run,
                Packages = request.Packages,
                Timeout = request.Timeout,
                Elevate = request.Elevate,
                SshUser = "root",
                VmName = request.VmName,
            };
            var parts = SuiteResolver.Resolve(request.Suites, request.Suite);
            foreach (var part in parts)
            {
                if (HostGoCommand.TryParse(SuiteCommandLine.Build(part, hostRequest), projectRoot, out string why) == null)
                {
                    reporter.Warning($"BuildOn Host: suite '{part.Name}' is not a plain 'go test' command line ({why}): {part.Command}. Only go itself runs on this machine, so the tests are built in the guest.");
                    return guest;
                }
            }

            var target = await HostGoTarget.AskGuestAsync(guest, ct).ConfigureAwait(false);
            var cgo = await HostGoTarget.CgoPackagesAsync(go, projectRoot, target.Item1, target.Item2, ct).ConfigureAwait(false);
            if (cgo.Count > 0)
            {
                reporter.Warning($"BuildOn Host: {string.Join(", ", cgo)} need{(cgo.Count == 1 ? "s" : "")} cgo, which a CGO_ENABLED=0 build for {target.Item1}/{target.Item2} cannot compile, so the tests are built in the guest.");
                return guest;
            }

            reporter.Verbose($"BuildOn Host: go test runs here ({go}, GOOS={target.Item1} GOARCH={target.Item2} CGO_ENABLED=0); each test binary runs as root in VM '{paths.Name}' at {guestPath}.");
            request.GuestProjectPath = projectRoot;
            request.SshUser = "root";
            var environment = new Dictionary<string, string>
            {
                ["GOOS"] = target.Item1,
                ["GOARCH"] = target.Item2,
                ["CGO_ENABLED"] = "0",
                ["DFVM_PROJECT"] = projectRoot,
                ["DFVM_VM"] = paths.Name,
                ["DFVM_VM_DIR"] = paths.Directory,
                ["DFVM_GUEST_PATH"] = guestPath,
            };
            if (request.LeakCheck != null)
            {
                // the wrapper runs each binary inside leakcheck.sh's function (the script the run wrote in the guest)
                request.LeakCheck.ViaHostWrapper = true;
                foreach (var pair in LeakCheck.WrapperEnvironment(request.LeakCheck))
                {
                    environment[pair.Key] = pair.Value;
                }
            }

            return new HostGoShell(go, wrapperSource, projectRoot, environment);
        }
    }
}
