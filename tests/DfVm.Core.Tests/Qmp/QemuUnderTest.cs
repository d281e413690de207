using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Qemu;

namespace DfVm.Core.Tests.Qmp
{
    /// <summary>
    /// A real qemu-system-x86_64 started paused (-S) with its QMP monitor on a temp unix socket.
    /// Started without a shell; on Dispose only this pid is killed and the temp dir removed.
    /// </summary>
    internal sealed class QemuUnderTest : IDisposable
    {
        public const string QemuPath = "/usr/bin/qemu-system-x86_64";

        private readonly TempSocketDir _dir = new TempSocketDir();
        private readonly Process _process;

        private QemuUnderTest(IEnumerable<string> machineArgs)
        {
            SocketPath = _dir.File("qmp.sock");
            var start = new ProcessStartInfo(QemuPath)
            {
                UseShellExecute = false,
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            foreach (string arg in machineArgs)
            {
                start.ArgumentList.Add(arg);
            }

            foreach (string arg in new[] { "-S", "-display", "none", "-nodefaults", "-qmp", $"unix:{SocketPath},server=on,wait=off" })
            {
                start.ArgumentList.Add(arg);
            }

            _process = Process.Start(start);
            _process.BeginOutputReadLine();
            _process.ErrorDataReceived += (_, e) => { if (e.Data != null) { lock (Stderr) { Stderr.Add(e.Data); } } };
            _process.BeginErrorReadLine();
        }

        public string SocketPath { get; }

        public List<string> Stderr { get; } = new List<string>();

        public string TempDir => _dir.Path;

        public Process Process => _process;

        /// <summary>-machine none: nothing to run, status "prelaunch".</summary>
        public static Task<QemuUnderTest> StartBareAsync() =>
            StartAsync(new[] { "-machine", "none" });

        /// <summary>A PC that can run (for cont/stop), 64 MiB, TCG.</summary>
        public static Task<QemuUnderTest> StartPcAsync(params string[] extraArgs)
        {
            var args = new List<string> { "-machine", "pc", "-accel", "tcg", "-m", "64" };
            args.AddRange(extraArgs);
            return StartAsync(args);
        }

        private static async Task<QemuUnderTest> StartAsync(IEnumerable<string> machineArgs)
        {
            var qemu = new QemuUnderTest(machineArgs);
            try
            {
                Stopwatch clock = Stopwatch.StartNew();
                while (!File.Exists(qemu.SocketPath))
                {
                    if (qemu._process.HasExited)
                    {
                        throw new InvalidOperationException("qemu exited: " + string.Join("\n", qemu.Stderr));
                    }

                    if (clock.Elapsed > TimeSpan.FromSeconds(10))
                    {
                        throw new TimeoutException("qemu did not create its QMP socket");
                    }

                    await Task.Delay(20);
                }

                return qemu;
            }
            catch
            {
                qemu.Dispose();
                throw;
            }
        }

        public async Task<QmpClient> ConnectAsync(Action<string> log = null)
        {
            // The socket file appears at bind(), a moment before listen(): under load a connect can
            // land in between and be refused. Retry that case only, for a bounded time.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    return await QmpClient.ConnectAsync(SocketPath, TimeSpan.FromSeconds(10), CancellationToken.None, log);
                }
                catch (QmpDisconnectedException e) when (e.InnerException is System.Net.Sockets.SocketException se
                    && se.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionRefused && clock.Elapsed < TimeSpan.FromSeconds(10))
                {
                    await Task.Delay(50);
                }
            }
        }

        /// <summary>SIGKILL to this qemu only (Process.Kill sends SIGKILL on Unix).</summary>
        public void KillHard()
        {
            _process.Kill();
        }

        /// <summary>SIGSTOP: QEMU stops reading its monitor, so calls stay pending.</summary>
        public void Freeze()
        {
            const int SIGSTOP = 19; // Linux
            if (kill(_process.Id, SIGSTOP) != 0)
            {
                throw new InvalidOperationException("kill(SIGSTOP) failed: " + Marshal.GetLastWin32Error());
            }
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill();
                }

                _process.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }

            _process.Dispose();
            _dir.Dispose();
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int kill(int pid, int sig);
    }
}
