using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Ssh;

namespace DfVm.Core.Tests.Testing
{
    /// <summary>
    /// An <see cref="IGuestShell"/> that runs the sh text on this machine with /bin/sh -c: the runner's
    /// real work (real go, real pipes, real exit codes) without a VM. Cancelling kills the process tree.
    /// </summary>
    internal sealed class GuestTestLocalShell : IGuestShell
    {
        private readonly string _home;

        public GuestTestLocalShell(string home)
        {
            _home = home;
        }

        public int Commands { get; private set; }

        public string LastCommand { get; private set; }

        public async Task<GuestCommandOutcome> RunAsync(string shCommand, Func<Stream, CancellationToken, Task> writeStdin, Action<string> onStdoutLine, Action<string> onStderrLine, CancellationToken cancellationToken)
        {
            Commands++;
            LastCommand = shCommand;
            var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(shCommand);
            psi.Environment["HOME"] = _home;
            psi.Environment["GOCACHE"] = Path.Combine(_home, "gocache");
            psi.Environment["GOPATH"] = Path.Combine(_home, "gopath");
            psi.Environment["GOPROXY"] = "off";
            psi.Environment["GOTOOLCHAIN"] = "local";
            psi.Environment["GOTELEMETRY"] = "off";
            var watch = Stopwatch.StartNew();
            using (var process = Process.Start(psi))
            {
                process.StandardInput.Close();
                Task stdout = Pump(process.StandardOutput, onStdoutLine);
                Task stderr = Pump(process.StandardError, onStderrLine);
                try
                {
                    await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit();
                    throw;
                }

                await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
                return new GuestCommandOutcome(process.ExitCode, watch.Elapsed);
            }
        }

        private static Task Pump(StreamReader reader, Action<string> onLine) => Task.Run(async () =>
        {
            string line;
            while ((line = await reader.ReadLineAsync().ConfigureAwait(false)) != null)
            {
                onLine?.Invoke(line);
            }
        });
    }
}
