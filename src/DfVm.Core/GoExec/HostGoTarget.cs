using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Ssh;
using DfVm.Core.Util;

namespace DfVm.Core.GoExec
{
    /// <summary>
    /// What a host build needs to know before it starts: Go on this machine's PATH, the guest's
    /// GOOS/GOARCH (asked from the guest), and the project's packages that need cgo (which a
    /// CGO_ENABLED=0 cross build cannot compile).
    /// </summary>
    public static class HostGoTarget
    {
        private static readonly TimeSpan ListTimeout = TimeSpan.FromMinutes(3);

        /// <summary>The go program on <paramref name="pathVariable"/> (a PATH value), or null.</summary>
        public static string FindGo(string pathVariable)
        {
            foreach (string dir in (pathVariable ?? "").Split(Path.PathSeparator))
            {
                if (dir.Length == 0)
                {
                    continue;
                }

                string candidate = Path.Combine(dir, "go");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            return null;
        }

        // what go builds for: a guest answer outside these lists is refused, never handed to go
        private static readonly HashSet<string> KnownGoos = new HashSet<string>(StringComparer.Ordinal)
        {
            "aix", "android", "darwin", "dragonfly", "freebsd", "illumos", "ios", "linux", "netbsd", "openbsd", "plan9", "solaris", "windows",
        };

        private static readonly HashSet<string> KnownGoarch = new HashSet<string>(StringComparer.Ordinal)
        {
            "386", "amd64", "arm", "arm64", "loong64", "mips", "mips64", "mips64le", "mipsle", "ppc64", "ppc64le", "riscv64", "s390x",
        };

        private static readonly TimeSpan UnameTimeout = TimeSpan.FromSeconds(60);

        /// <summary>
        /// `uname -s` / `uname -m` of a guest as GOOS and GOARCH (DragonFly x86_64: dragonfly, amd64). The guest
        /// is not trusted: anything but a known GOOS and GOARCH is <see cref="ErrorIds.GoExecGuestTargetInvalid"/>.
        /// </summary>
        public static Tuple<string, string> FromUname(string system, string machine)
        {
            string os = (system ?? "").Trim().ToLowerInvariant();
            string arch;
            switch ((machine ?? "").Trim().ToLowerInvariant())
            {
                case "x86_64":
                case "amd64":
                    arch = "amd64";
                    break;
                case "aarch64":
                case "arm64":
                    arch = "arm64";
                    break;
                case "i386":
                case "i486":
                case "i586":
                case "i686":
                    arch = "386";
                    break;
                default:
                    arch = (machine ?? "").Trim().ToLowerInvariant();
                    break;
            }

            if (!KnownGoos.Contains(os) || !KnownGoarch.Contains(arch))
            {
                throw new GoExecException(ErrorIds.GoExecGuestTargetInvalid, DfVmErrorKind.InvalidData,
                    $"BuildOn Host: the guest's uname says system '{Printable(system)}', machine '{Printable(machine)}', which is no GOOS/GOARCH Go builds for; nothing was built. Build in the guest (-BuildOn Guest), or check the guest's uname.");
            }

            return Tuple.Create(os, arch);
        }

        /// <summary>Asks the guest once: `uname -s; uname -m` (bounded in time and size).</summary>
        public static async Task<Tuple<string, string>> AskGuestAsync(IGuestShell shell, CancellationToken ct)
        {
            CapturedCommand outcome;
            using (var cts = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                cts.CancelAfter(UnameTimeout);
                try
                {
                    outcome = await shell.CaptureAsync("uname -s; uname -m", null, null, null, cts.Token, limit: 4096).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new GoExecException(ErrorIds.GoExecGuestTargetInvalid, DfVmErrorKind.InvalidData,
                        $"BuildOn Host: the guest's uname did not answer within {UnameTimeout.TotalSeconds:0} s; nothing was built.");
                }
            }

            var lines = outcome.Output.Lines();
            if (outcome.ExitCode != 0 || lines.Length != 2 || outcome.Output.DroppedChars > 0)
            {
                throw new GoExecException(ErrorIds.GoExecGuestTargetInvalid, DfVmErrorKind.InvalidData,
                    $"BuildOn Host: the guest's 'uname -s; uname -m' exited {outcome.ExitCode} with {lines.Length} line(s) instead of 2; nothing was built.");
            }

            return FromUname(lines[0], lines[1]);
        }

        private static string Printable(string s)
        {
            s = s ?? "";
            s = s.Length > 40 ? s.Substring(0, 40) + "..." : s;
            var b = new System.Text.StringBuilder();
            foreach (char c in s)
            {
                b.Append(c < 0x20 || c == 0x7f ? '?' : c);
            }

            return b.ToString();
        }

        /// <summary>
        /// The project's own packages (and their non-standard dependencies) with cgo files for the
        /// target, from `go list -deps -test` run in <paramref name="directory"/>. Empty when there is
        /// no Go module there (nothing can be checked; the build says so itself).
        /// </summary>
        public static async Task<IReadOnlyList<string>> CgoPackagesAsync(string go, string directory, string goos, string goarch, CancellationToken ct)
        {
            var args = new[] { "list", "-e", "-deps", "-test", "-f", "{{if and .CgoFiles (not .Standard)}}{{.ImportPath}}{{end}}", "./..." };
            var psi = ProcessRunner.StartInfo(go, args);
            psi.WorkingDirectory = directory;
            psi.Environment["GOOS"] = goos;
            psi.Environment["GOARCH"] = goarch;
            psi.Environment["CGO_ENABLED"] = "1";
            var outcome = await RunAsync(psi, ct).ConfigureAwait(false);
            return outcome.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).Distinct().ToList();
        }

        private static async Task<string> RunAsync(System.Diagnostics.ProcessStartInfo psi, CancellationToken ct)
        {
            using (var p = new System.Diagnostics.Process { StartInfo = psi })
            {
                p.Start();
                p.StandardInput.Close();
                var stdout = p.StandardOutput.ReadToEndAsync();
                var stderr = p.StandardError.ReadToEndAsync();
                using (var cts = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    cts.CancelAfter(ListTimeout);
                    using (cts.Token.Register(() => { try { p.Kill(); } catch (InvalidOperationException) { } }))
                    {
                        string text = await stdout.ConfigureAwait(false);
                        await stderr.ConfigureAwait(false);
                        p.WaitForExit();
                        ct.ThrowIfCancellationRequested();
                        return text;
                    }
                }
            }
        }
    }
}
