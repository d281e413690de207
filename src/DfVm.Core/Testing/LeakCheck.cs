using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Ssh;

namespace DfVm.Core.Testing
{
    /// <summary>How a run checks for leaks (Invoke-DfVmTest; -NoLeakCheck leaves it null).</summary>
    public sealed class LeakCheckOptions
    {
        /// <summary>A fresh marker: 16 random hex digits that start the run's records (a test cannot guess it).</summary>
        public string Marker { get; set; } = LeakCheck.NewMarker();

        /// <summary>"-p" where the guest's `mount -p` works (DragonFly), "" where it does not (a Linux guest).</summary>
        public string MountFlag { get; set; } = "-p";

        /// <summary>-CleanLeaks: the guest unmounts what a binary left (deepest first, with retries) and ends its orphans.</summary>
        public bool Clean { get; set; }

        /// <summary>-FailOnLeak: a package that leaked is Failed (Reason "leaked").</summary>
        public bool FailOnLeak { get; set; }

        /// <summary>The host build: the exec wrapper runs the check (dfvm-go-exec.sh), not an -exec in the suite's text.</summary>
        public bool ViaHostWrapper { get; set; }
    }

    /// <summary>
    /// The leak check around each test binary (issue 23): the guest side is <c>leakcheck.sh</c>; this class makes
    /// its command text, reads the difference of a <see cref="LeakRecord"/>, and removes a run's guest files.
    /// </summary>
    public static class LeakCheck
    {
        /// <summary>Where the run's files live in the guest (script, lock, last record): /var/tmp, not /tmp, which a test may mount over.</summary>
        public const string GuestFolder = "/var/tmp";

        /// <summary>The text of leakcheck.sh.</summary>
        public static string Script()
        {
            using (Stream s = typeof(LeakCheck).Assembly.GetManifestResourceStream("DfVm.Core.Testing.leakcheck.sh"))
            using (var r = new StreamReader(s))
            {
                return r.ReadToEnd();
            }
        }

        public static string NewMarker()
        {
            var bytes = new byte[8];
            using (var rng = RandomNumberGenerator.Create())
            {
                rng.GetBytes(bytes);
            }

            return string.Concat(bytes.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
        }

        /// <summary>
        /// The name of this leakcheck.sh text: 16 hex digits of its SHA-256. The guest path holds it, not the run's
        /// marker, so the guest build's <c>-exec</c> is the same text from run to run: go test keys a cached result
        /// on its -exec command (cmd/go/internal/test/test.go: "execcmd %q"), and a path that changed each run
        /// would make every result a miss.
        /// </summary>
        public static string ScriptId()
        {
            using (var sha = SHA256.Create())
            {
                byte[] hash = sha.ComputeHash(System.Text.Encoding.UTF8.GetBytes(Script()));
                return string.Concat(hash.Take(8).Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
            }
        }

        /// <summary>
        /// The guest path of leakcheck.sh (the guest build's -exec, the host build's wrapper sources it): one per
        /// text of the script, kept between runs (each run writes it again, under another name first, then renames
        /// it: a run that reads it meanwhile reads a whole file).
        /// </summary>
        public static string ScriptPath() => GuestFolder + "/.dfvm-leakcheck-" + ScriptId() + ".sh";

        /// <summary>
        /// The guest build's part text with the check: its settings exported and <c>-exec '/bin/sh script'</c>
        /// added to the part's go test (<see cref="PrepareAsync"/> wrote the script). Null when the part's go
        /// test has its own -exec.
        /// </summary>
        public static string WrapGuestCommand(string command, LeakCheckOptions o)
        {
            string exec = SuiteCommandLine.AddExec(command, "/bin/sh " + ScriptPath());
            if (exec == null)
            {
                return null;
            }

            return "DFVM_LEAK=" + o.Marker + " DFVM_LEAK_MOUNT=" + SuiteCommandLine.Quote(o.MountFlag) + " DFVM_LEAK_CLEAN=" + (o.Clean ? "1" : "0")
                + " && export DFVM_LEAK DFVM_LEAK_MOUNT DFVM_LEAK_CLEAN && " + exec;
        }

        /// <summary>The settings the host build's exec wrapper reads (it sources the script <see cref="PrepareAsync"/> wrote).</summary>
        public static IDictionary<string, string> WrapperEnvironment(LeakCheckOptions o) => new Dictionary<string, string>
        {
            ["DFVM_LEAK"] = o.Marker,
            ["DFVM_LEAK_MOUNT"] = o.MountFlag,
            ["DFVM_LEAK_CLEAN"] = o.Clean ? "1" : "0",
            ["DFVM_LEAK_SCRIPT"] = ScriptId(),
        };

        /// <summary>
        /// One round trip per run: writes leakcheck.sh to <see cref="ScriptPath"/> (sent on stdin: csh, root's login
        /// shell, refuses a command word that long) and asks whether the guest's `mount -p` works (DragonFly) or
        /// only `mount` does (a Linux guest), which sets <see cref="LeakCheckOptions.MountFlag"/>.
        /// </summary>
        public static async Task PrepareAsync(IGuestShell shell, LeakCheckOptions o, CancellationToken ct)
        {
            byte[] script = System.Text.Encoding.UTF8.GetBytes(Script());
            string part = GuestFolder + "/.dfvm-leak-" + o.Marker + ".part";
            string command = "umask 022; cat >" + part + " && mv -f " + part + " " + ScriptPath() + " && if mount -p >/dev/null 2>&1; then echo p; else echo plain; fi";
            var outcome = await shell.CaptureAsync(command, async (stdin, token) =>
            {
                await stdin.WriteAsync(script, 0, script.Length, token).ConfigureAwait(false);
            }, null, null, ct).ConfigureAwait(false);
            string answer = string.Concat(outcome.Output.Lines()).Trim();
            if (outcome.ExitCode != 0 || (answer != "p" && answer != "plain"))
            {
                throw new GuestTestException(ErrorIds.LeakCheckUnavailable, DfVmErrorKind.ResourceUnavailable,
                    $"The leak check could not be set up in the guest ({ScriptPath()}: exit {outcome.ExitCode}, {string.Concat(outcome.Error.Lines()).Trim()}). Run with -NoLeakCheck to test without it.");
            }

            o.MountFlag = answer == "p" ? "-p" : "";
        }

        /// <summary>Removes the run's guest files (lock turns, last record, a script not renamed into place); best effort. The script stays for the next run.</summary>
        public static async Task RemoveGuestFilesAsync(IGuestShell shell, LeakCheckOptions o, bool elevate)
        {
            // the marker is hex (LeakCheckOptions), so the pattern matches only this run's files: .part, .last, .turn, .lock.N
            string rm = "rm -f " + GuestFolder + "/.dfvm-leak-" + o.Marker + ".*";
            try
            {
                using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
                {
                    await shell.RunAsync(elevate ? "doas -n /bin/sh -c " + SuiteCommandLine.Quote(rm) : rm, null, null, null, cts.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is OperationCanceledException || e is GuestConnectionLostException || e is IOException)
            {
                // files of a marker no later run uses: harmless if left
            }
        }

        /// <summary>
        /// What the binary changed and did not undo. Mounts: entries (type, source, mount point) after and not
        /// before are left, before and not after are removed (a multiset: a second mount on one point counts).
        /// Processes: left are those new after the binary that are not zombies and whose line of new ancestors
        /// ends at init (pid 1): orphans, as a test's background process becomes when the test binary exits;
        /// what other sessions start meanwhile (an SSH command, go compiling the next package) has a parent
        /// that was there before and is not counted. Ended are the processes with parent init (daemons and
        /// orphans) before and gone after.
        /// </summary>
        public static DfVmLeak Compare(LeakSnapshot before, LeakSnapshot after, int? cleanFailures)
        {
            string Key(DfVmMount m) => m.Type + "\n" + m.Source + "\n" + m.MountPoint;
            var left = Difference(after.Mounts, before.Mounts, Key);
            var removed = Difference(before.Mounts, after.Mounts, Key);

            var old = new HashSet<int>(before.Processes.Select(p => p.ProcessId));
            var now = new Dictionary<int, DfVmProcess>();
            foreach (DfVmProcess p in after.Processes)
            {
                now[p.ProcessId] = p;
            }

            var leftProcesses = new List<DfVmProcess>();
            foreach (DfVmProcess p in after.Processes)
            {
                if (old.Contains(p.ProcessId) || p.State.StartsWith("Z", StringComparison.Ordinal))
                {
                    continue;
                }

                int q = p.ProcessId;
                for (int hops = 0; hops < 64; hops++)
                {
                    int parent = now.TryGetValue(q, out DfVmProcess x) ? x.ParentProcessId : -1;
                    if (parent == 1)
                    {
                        leftProcesses.Add(p);
                        break;
                    }

                    if (parent <= 1 || old.Contains(parent) || !now.ContainsKey(parent))
                    {
                        break;
                    }

                    q = parent;
                }
            }

            // ended: gone, or a zombie init has not reaped yet (a process killed just before the after-record)
            var ended = before.Processes
                .Where(p => p.ParentProcessId == 1 && !p.State.StartsWith("Z", StringComparison.Ordinal)
                    && (!now.TryGetValue(p.ProcessId, out DfVmProcess a) || a.State.StartsWith("Z", StringComparison.Ordinal)))
                .ToArray();
            return new DfVmLeak(left, removed, leftProcesses.ToArray(), ended, cleanFailures);
        }

        private static DfVmMount[] Difference(List<DfVmMount> a, List<DfVmMount> b, Func<DfVmMount, string> key)
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (DfVmMount m in b)
            {
                counts[key(m)] = counts.TryGetValue(key(m), out int n) ? n + 1 : 1;
            }

            var result = new List<DfVmMount>();
            foreach (DfVmMount m in a)
            {
                if (counts.TryGetValue(key(m), out int n) && n > 0)
                {
                    counts[key(m)] = n - 1;
                    continue;
                }

                result.Add(m);
            }

            return result.ToArray();
        }
    }
}
