using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Ssh;
using DfVm.Core.Util;

namespace DfVm.Core.GoExec
{
    /// <summary>
    /// Runs a suite's sh text on this machine instead of in the guest, for Invoke-DfVmTest -BuildOn
    /// Host: the first `go test` of the text gets `-exec &lt;wrapper&gt;`, and the environment says
    /// the guest's GOOS/GOARCH with CGO_ENABLED=0 and which project and VM the wrapper uses. So go
    /// compiles here and every test binary runs as root in the guest. Cancelling interrupts the
    /// whole process tree (each wrapper then ends its test binary in the guest), then kills what is left.
    /// </summary>
    public sealed class HostGoShell : IGuestShell
    {
        private static readonly Regex GoTest = new Regex(@"(^|[\s;&|()])go\s+test(?=\s|$)", RegexOptions.CultureInvariant);
        private static readonly TimeSpan InterruptGrace = TimeSpan.FromSeconds(5);

        private readonly string _wrapper;
        private readonly IReadOnlyDictionary<string, string> _environment;

        /// <param name="wrapper">The exec wrapper (the module's goexec/dfvm-go-exec).</param>
        /// <param name="environment">Set for the host go test: GOOS, GOARCH, CGO_ENABLED, DFVM_*.</param>
        public HostGoShell(string wrapper, IReadOnlyDictionary<string, string> environment)
        {
            _wrapper = wrapper ?? throw new ArgumentNullException(nameof(wrapper));
            _environment = environment ?? new Dictionary<string, string>();
        }

        /// <summary>True when <paramref name="shText"/> runs a `go test` this shell can redirect.</summary>
        public static bool HasGoTest(string shText) => shText != null && GoTest.IsMatch(shText);

        /// <summary>The text with `-exec 'wrapper'` added right after its first `go test`.</summary>
        public static string AddExec(string shText, string wrapper)
        {
            Match m = GoTest.Match(shText);
            if (!m.Success)
            {
                throw new ArgumentException("The command runs no 'go test'.", nameof(shText));
            }

            int at = m.Index + m.Length;
            return shText.Substring(0, at) + " -exec " + GuestCommandLine.SingleQuote(wrapper) + shText.Substring(at);
        }

        public async Task<GuestCommandOutcome> RunAsync(
            string shCommand,
            Func<Stream, CancellationToken, Task> writeStdin,
            Action<string> onStdoutLine,
            Action<string> onStderrLine,
            CancellationToken cancellationToken)
        {
            var watch = Stopwatch.StartNew();
            string text = HasGoTest(shCommand) ? AddExec(shCommand, _wrapper) : shCommand;
            ProcessStartInfo psi = ProcessRunner.StartInfo("/bin/sh", new[] { "-c", text });
            foreach (var pair in _environment)
            {
                psi.Environment[pair.Key] = pair.Value;
            }

            using (var process = new Process { StartInfo = psi, EnableRaisingEvents = true })
            {
                var stdoutDone = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                var stderrDone = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                process.OutputDataReceived += (s, e) =>
                {
                    if (e.Data == null)
                    {
                        stdoutDone.TrySetResult(true);
                    }
                    else
                    {
                        onStdoutLine?.Invoke(e.Data);
                    }
                };
                process.ErrorDataReceived += (s, e) =>
                {
                    if (e.Data == null)
                    {
                        stderrDone.TrySetResult(true);
                    }
                    else
                    {
                        onStderrLine?.Invoke(e.Data);
                    }
                };
                var exited = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                process.Exited += (s, e) => exited.TrySetResult(true);
                process.Start();
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                if (writeStdin != null)
                {
                    await writeStdin(process.StandardInput.BaseStream, cancellationToken).ConfigureAwait(false);
                }

                process.StandardInput.Close();
                int pid = process.Id;
                using (cancellationToken.Register(() => exited.TrySetCanceled()))
                {
                    try
                    {
                        await exited.Task.ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        await EndTreeAsync(process, pid).ConfigureAwait(false);
                        throw;
                    }
                }

                await Task.WhenAll(stdoutDone.Task, stderrDone.Task).ConfigureAwait(false);
                process.WaitForExit();
                return new GuestCommandOutcome(process.ExitCode, watch.Elapsed);
            }
        }

        /// <summary>SIGINT to the shell and every descendant (as Ctrl+C in a terminal would), then SIGKILL after a grace.</summary>
        private static async Task EndTreeAsync(Process process, int pid)
        {
            const int SigInt = 2;
            const int SigKill = 9;
            foreach (int p in Tree(pid))
            {
                Native.Kill(p, SigInt);
            }

            var deadline = DateTime.UtcNow + InterruptGrace;
            while (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(50).ConfigureAwait(false);
            }

            foreach (int p in Tree(pid))
            {
                Native.Kill(p, SigKill);
            }
        }

        /// <summary><paramref name="root"/> and its descendants, parents first (from /proc).</summary>
        private static List<int> Tree(int root)
        {
            var children = new Dictionary<int, List<int>>();
            foreach (string dir in Directory.GetDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
                {
                    continue;
                }

                try
                {
                    string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    string[] f = stat.Substring(stat.LastIndexOf(')') + 2).Split(' ');
                    int ppid = int.Parse(f[1], CultureInfo.InvariantCulture);
                    if (!children.TryGetValue(ppid, out List<int> list))
                    {
                        children[ppid] = list = new List<int>();
                    }

                    list.Add(pid);
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is FormatException || e is ArgumentOutOfRangeException)
                {
                    // gone meanwhile
                }
            }

            var result = new List<int> { root };
            for (int i = 0; i < result.Count; i++)
            {
                if (children.TryGetValue(result[i], out List<int> list))
                {
                    result.AddRange(list);
                }
            }

            return result;
        }
    }
}
