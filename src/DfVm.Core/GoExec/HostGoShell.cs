using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Ssh;
using DfVm.Core.Testing;
using DfVm.Core.Util;

namespace DfVm.Core.GoExec
{
    /// <summary>
    /// Runs a suite part's `go test` on this machine instead of in the guest, for Invoke-DfVmTest
    /// -BuildOn Host. Never the suite's sh text: the part must read as a <see cref="HostGoCommand"/>
    /// (else <see cref="ErrorIds.HostBuildRefused"/>), and go is started directly with those
    /// arguments, `-exec &lt;wrapper&gt;` added, and an environment that says the guest's GOOS/GOARCH with
    /// CGO_ENABLED=0 and which project and VM the wrapper uses. So go compiles here and every test
    /// binary runs as root in the guest. Output lines are bounded like a guest command's
    /// (<see cref="OutputLimits"/>). Cancelling interrupts the whole process tree (each wrapper then ends
    /// its test binary in the guest), then kills what is left.
    /// </summary>
    public sealed class HostGoShell : IGuestShell
    {
        private static readonly Regex GoTest = new Regex(@"(^|[\s;&|()])go\s+test(?=\s|$)", RegexOptions.CultureInvariant);
        private static readonly TimeSpan InterruptGrace = TimeSpan.FromSeconds(5);

        private readonly string _go;
        private readonly string _wrapper;
        private readonly string _projectRoot;
        private readonly IReadOnlyDictionary<string, string> _environment;

        /// <param name="go">The go program on this machine.</param>
        /// <param name="wrapper">The exec wrapper (the module's goexec/dfvm-go-exec).</param>
        /// <param name="projectRoot">The project folder on this machine (go runs there, or in a folder below it).</param>
        /// <param name="environment">Set for the host go test: GOOS, GOARCH, CGO_ENABLED, DFVM_*.</param>
        public HostGoShell(string go, string wrapper, string projectRoot, IReadOnlyDictionary<string, string> environment)
        {
            _go = go ?? throw new ArgumentNullException(nameof(go));
            _wrapper = wrapper ?? throw new ArgumentNullException(nameof(wrapper));
            _projectRoot = projectRoot ?? throw new ArgumentNullException(nameof(projectRoot));
            _environment = environment ?? new Dictionary<string, string>();
        }

        /// <summary>True when <paramref name="shText"/> runs a `go test`.</summary>
        public static bool HasGoTest(string shText) => shText != null && GoTest.IsMatch(shText);

        /// <summary>Runs the `go test` that <paramref name="shCommand"/> (a suite part for the host project) says.</summary>
        public Task<GuestCommandOutcome> RunAsync(
            string shCommand,
            Func<Stream, CancellationToken, Task> writeStdin,
            Action<string> onStdoutLine,
            Action<string> onStderrLine,
            CancellationToken cancellationToken)
        {
            HostGoCommand command = HostGoCommand.TryParse(shCommand, _projectRoot, out string reason);
            if (command == null)
            {
                throw new GoExecException(ErrorIds.HostBuildRefused, DfVmErrorKind.InvalidArgument,
                    $"A host build runs only a plain 'go test' on this machine, and this command is not one ({reason}): {shCommand}");
            }

            var args = new List<string> { "test", "-exec", _wrapper };
            args.AddRange(command.Arguments.Skip(1));
            string directory = command.Directory.Length == 0 ? _projectRoot : Path.Combine(_projectRoot, command.Directory);
            var environment = new Dictionary<string, string>(_environment.ToDictionary(p => p.Key, p => p.Value), StringComparer.Ordinal);
            foreach (var pair in command.Environment)
            {
                environment[pair.Key] = pair.Value;
            }

            return RunGoAsync(args, directory, environment, writeStdin, onStdoutLine, command.StderrToStdout ? onStdoutLine : onStderrLine, cancellationToken);
        }

        /// <summary>`go list` of the project's packages for -Watch (<see cref="AffectedPackages.ListArguments"/>), in the project folder, lines bounded.</summary>
        public Task<GuestCommandOutcome> ListPackagesAsync(Action<string> onLine, CancellationToken cancellationToken) =>
            RunGoAsync(AffectedPackages.ListArguments, _projectRoot, _environment, null, onLine, null, cancellationToken);

        private async Task<GuestCommandOutcome> RunGoAsync(IEnumerable<string> args, string directory, IReadOnlyDictionary<string, string> environment,
            Func<Stream, CancellationToken, Task> writeStdin, Action<string> onStdoutLine, Action<string> onStderrLine, CancellationToken cancellationToken)
        {
            var watch = Stopwatch.StartNew();
            ProcessStartInfo psi = ProcessRunner.StartInfo(_go, args);
            psi.WorkingDirectory = directory;
            foreach (var pair in environment)
            {
                psi.Environment[pair.Key] = pair.Value;
            }

            using (var process = new Process { StartInfo = psi, EnableRaisingEvents = true })
            {
                var exited = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                process.Exited += (s, e) => exited.TrySetResult(true);
                process.Start();
                // both streams read as they come, each line cut at OutputLimits.MaxLineChars (a test binary
                // in the guest may print a line of any length, and go hands it on). The two readers hand on one
                // line at a time: with 2>&1 both call onStdoutLine, and a caller's handler need not be thread-safe
                // (the order of a stdout and a stderr line written close together is the order they are read in).
                var gate = new object();
                Action<string> Serialized(Action<string> handler) => handler == null ? null : (Action<string>)(line => { lock (gate) handler(line); });
                var stdout = Task.Run(() => OutputLimits.PumpBoundedLinesAsync(process.StandardOutput.BaseStream, Serialized(onStdoutLine)));
                var stderr = Task.Run(() => OutputLimits.PumpBoundedLinesAsync(process.StandardError.BaseStream, Serialized(onStderrLine)));
                if (process.HasExited)
                {
                    exited.TrySetResult(true);
                }

                int pid = process.Id;
                try
                {
                    if (writeStdin != null)
                    {
                        await writeStdin(process.StandardInput.BaseStream, cancellationToken).ConfigureAwait(false);
                    }

                    process.StandardInput.Close();
                    using (cancellationToken.Register(() => exited.TrySetCanceled()))
                    {
                        await exited.Task.ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException)
                {
                    await EndTreeAsync(process, pid).ConfigureAwait(false);
                    throw;
                }

                int cut = (await stdout.ConfigureAwait(false)) + (await stderr.ConfigureAwait(false));
                process.WaitForExit();
                return new GuestCommandOutcome(process.ExitCode, watch.Elapsed) { LinesCut = cut };
            }
        }

        /// <summary>SIGINT to go and every descendant (as Ctrl+C in a terminal would), then SIGKILL after a grace.</summary>
        private static async Task EndTreeAsync(Process process, int pid)
        {
            const int SigInt = 2;
            const int SigKill = 9;
            List<int> tree = Tree(pid);
            foreach (int p in tree)
            {
                Native.Kill(p, SigInt);
            }

            var deadline = DateTime.UtcNow + InterruptGrace;
            while (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }

            // the tree as it is now, and what was seen before (a wrapper whose parent has gone is no longer below go)
            foreach (int p in Tree(pid).Concat(tree.Skip(1)).Distinct())
            {
                Native.Kill(p, SigKill);
            }
        }

        /// <summary><paramref name="root"/> and its descendants, parents first: from /proc, or from `ps` where there is no /proc (macOS).</summary>
        /// <paramref name="usePs"/> walks with `ps` even where /proc exists (the tests of the path macOS takes).
        internal static List<int> Tree(int root, bool usePs = false)
        {
            var children = new Dictionary<int, List<int>>();
            foreach (var pair in usePs || !Directory.Exists("/proc/self") ? ParentsFromPs() : ParentsFromProc())
            {
                if (!children.TryGetValue(pair.Value, out List<int> list))
                {
                    children[pair.Value] = list = new List<int>();
                }

                list.Add(pair.Key);
            }

            var result = new List<int> { root };
            for (int i = 0; i < result.Count; i++)
            {
                if (children.TryGetValue(result[i], out List<int> list))
                {
                    result.AddRange(list.Where(c => !result.Contains(c)));
                }
            }

            return result;
        }

        /// <summary>pid → parent pid of every process, from /proc/&lt;pid&gt;/stat.</summary>
        private static IEnumerable<KeyValuePair<int, int>> ParentsFromProc()
        {
            foreach (string dir in Directory.GetDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
                {
                    continue;
                }

                int ppid;
                try
                {
                    string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    string[] f = stat.Substring(stat.LastIndexOf(')') + 2).Split(' ');
                    ppid = int.Parse(f[1], CultureInfo.InvariantCulture);
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is FormatException || e is ArgumentOutOfRangeException)
                {
                    continue; // gone meanwhile
                }

                yield return new KeyValuePair<int, int>(pid, ppid);
            }
        }

        /// <summary>pid → parent pid of every process, from `ps -A -o pid= -o ppid=` (Linux, the BSDs and macOS alike).</summary>
        private static IEnumerable<KeyValuePair<int, int>> ParentsFromPs()
        {
            var result = new List<KeyValuePair<int, int>>();
            ProcessStartInfo psi = ProcessRunner.StartInfo("ps", new[] { "-A", "-o", "pid=", "-o", "ppid=" });
            try
            {
                using (var p = Process.Start(psi))
                {
                    p.StandardInput.Close();
                    var err = p.StandardError.ReadToEndAsync();
                    string line;
                    while ((line = p.StandardOutput.ReadLine()) != null)
                    {
                        string[] f = line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
                        if (f.Length == 2
                            && int.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                            && int.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out int ppid))
                        {
                            result.Add(new KeyValuePair<int, int>(pid, ppid));
                        }
                    }

                    err.Wait();
                    p.WaitForExit();
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // no ps: only the root is known, and it still gets its signals
            }

            return result;
        }
    }
}
