using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using DfVm.Core.Qemu;
using DfVm.Core.Ssh;
using DfVm.Core.Util;

namespace DfVm.Core.Tests.Ssh
{
    /// <summary>
    /// A real OpenSSH server on 127.0.0.1, started for one test class from a temp folder (its own host key,
    /// config and authorized_keys, holding a key made by <see cref="SshKeyPair"/> as a VM's is): what a
    /// guest's sshd is to <see cref="GuestConnection"/>, without booting a VM. Logs in as the user the
    /// tests run as. Disposing ends the sshd this started (its pid), nothing else.
    /// </summary>
    internal sealed class LocalSshd : IDisposable
    {
        private const string Sshd = "/usr/sbin/sshd";
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "dfsshd-" + Guid.NewGuid().ToString("N").Substring(0, 8));
        private readonly Process _process;

        public LocalSshd()
        {
            Directory.CreateDirectory(_dir);
            Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "dfvm-test-host", "-f", Path.Combine(_dir, "host_ed25519"));
            string authorized = SshKeyPair.EnsureExists(PrivateKeyPath, PrivateKeyPath + ".pub", "dfvm@localsshd");
            File.WriteAllText(Path.Combine(_dir, "authorized_keys"), authorized + "\n");
            Port = PortProbe.PickFree();
            string config = Path.Combine(_dir, "sshd_config");
            File.WriteAllText(config, string.Join("\n",
                $"Port {Port}",
                "ListenAddress 127.0.0.1",
                $"HostKey {Path.Combine(_dir, "host_ed25519")}",
                $"PidFile {Path.Combine(_dir, "sshd.pid")}",
                $"AuthorizedKeysFile {Path.Combine(_dir, "authorized_keys")}",
                "StrictModes no",
                "UsePAM no",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                "MaxSessions 20",
                "LogLevel VERBOSE",
                ""));
            // As root, sshd wants its privilege separation folder (the Debian service makes it at start).
            if (Environment.UserName == "root") Directory.CreateDirectory("/run/sshd");
            var start = new ProcessStartInfo(Sshd) { UseShellExecute = false }; // -E: its log goes to a file, not here
            foreach (var arg in new[] { "-D", "-f", config, "-E", LogPath }) start.ArgumentList.Add(arg);
            _process = Process.Start(start);
            WaitForBanner(TimeSpan.FromSeconds(20));
        }

        public int Port { get; }

        public string PrivateKeyPath => Path.Combine(_dir, "id_ed25519");

        public string LogPath => Path.Combine(_dir, "sshd.log");

        /// <summary>A fresh endpoint each call, as the engine makes one per connect.</summary>
        public GuestEndpoint Endpoint() => new GuestEndpoint
        {
            VmName = "localsshd",
            Host = "127.0.0.1",
            Port = Port,
            User = Environment.UserName,
            PrivateKeyPath = PrivateKeyPath,
            KnownHostsPath = Path.Combine(_dir, "known_hosts"),
        };

        private void WaitForBanner(TimeSpan timeout)
        {
            var watch = Stopwatch.StartNew();
            while (true)
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"sshd exited ({_process.ExitCode}): {ReadLog()}");
                }
                try
                {
                    using (var client = new TcpClient())
                    {
                        client.Connect(IPAddress.Loopback, Port);
                        client.ReceiveTimeout = 2000;
                        var buffer = new byte[4];
                        int n = client.GetStream().Read(buffer, 0, 4);
                        if (n == 4 && Encoding.ASCII.GetString(buffer) == "SSH-") return;
                    }
                }
                catch (Exception e) when (e is SocketException || e is IOException) { }
                if (watch.Elapsed > timeout)
                {
                    throw new TimeoutException($"sshd on port {Port} showed no banner in {timeout}: {ReadLog()}");
                }
                Thread.Sleep(100);
            }
        }

        private string ReadLog() => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "(no log)";

        private static void Run(string program, params string[] args)
        {
            var outcome = ProcessRunner.RunAsync(program, args, TimeSpan.FromSeconds(30), CancellationToken.None).GetAwaiter().GetResult();
            if (outcome.ExitCode != 0) throw new InvalidOperationException($"{program} failed ({outcome.ExitCode}): {outcome.StdErr}");
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(10000);
                }
            }
            catch (InvalidOperationException) { }
            _process.Dispose();
            try { Directory.Delete(_dir, true); } catch (IOException) { }
        }
    }
}
