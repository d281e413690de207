using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace DfVm.Core.Util
{
    public sealed class ProcessOutcome
    {
        public int ExitCode { get; set; }
        public string StdOut { get; set; }
        public string StdErr { get; set; }
    }

    /// <summary>Runs a program with an argv list (never a shell string) and captures its output.</summary>
    public static class ProcessRunner
    {
        public static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> args)
        {
            var psi = new ProcessStartInfo(fileName)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                CreateNoWindow = true,
            };
            // ProcessStartInfo.ArgumentList exists on every runtime the module runs on (.NET 8+),
            // but not in netstandard2.0's surface: reach it by reflection so no argument is re-parsed.
            var list = (Collection<string>)typeof(ProcessStartInfo).GetProperty("ArgumentList").GetValue(psi);
            foreach (var a in args) list.Add(a);
            return psi;
        }

        public static async Task<ProcessOutcome> RunAsync(string fileName, IEnumerable<string> args, TimeSpan timeout, CancellationToken ct)
        {
            var psi = StartInfo(fileName, args);
            using (var p = new Process { StartInfo = psi })
            {
                var stdout = new StringBuilder();
                var stderr = new StringBuilder();
                p.OutputDataReceived += (s, e) => { if (e.Data != null) lock (stdout) stdout.AppendLine(e.Data); };
                p.ErrorDataReceived += (s, e) => { if (e.Data != null) lock (stderr) stderr.AppendLine(e.Data); };
                p.Start();
                p.StandardInput.Close();
                p.BeginOutputReadLine();
                p.BeginErrorReadLine();
                using (var cts = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    cts.CancelAfter(timeout);
                    var exited = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    p.EnableRaisingEvents = true;
                    p.Exited += (s, e) => exited.TrySetResult(true);
                    if (p.HasExited) exited.TrySetResult(true);
                    using (cts.Token.Register(() => exited.TrySetCanceled()))
                    {
                        try
                        {
                            await exited.Task.ConfigureAwait(false);
                        }
                        catch (OperationCanceledException)
                        {
                            try { p.Kill(); } catch (InvalidOperationException) { }
                            ct.ThrowIfCancellationRequested();
                            throw new TimeoutException($"{fileName} did not finish within {timeout.TotalSeconds:0} s.");
                        }
                    }
                }
                p.WaitForExit(); // flushes the async readers
                return new ProcessOutcome { ExitCode = p.ExitCode, StdOut = stdout.ToString(), StdErr = stderr.ToString() };
            }
        }
    }
}
