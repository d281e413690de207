using System;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using DfVm.Core.Install;
using DfVm.Core.Instances;
using DfVm.Core.Qemu;
using Xunit;

namespace DfVm.Core.Tests.Install
{
    /// <summary>
    /// The -Vnc install console is a unix socket only its owner can open (issue 10 item 12), made by
    /// a real QEMU with the arguments the interactive installer passes.
    /// </summary>
    public sealed class VncSocketTests : IDisposable
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), "dfvm-vnc-" + Guid.NewGuid().ToString("N").Substring(0, 8));

        public VncSocketTests() => Directory.CreateDirectory(_root);

        public void Dispose()
        {
            try { Directory.Delete(_root, true); } catch (IOException) { }
        }

        [Fact]
        public void QEMU_serves_VNC_on_a_0600_socket_in_a_0700_folder_and_no_TCP_port()
        {
            var paths = new VmPaths(_root, "dfly");
            Directory.CreateDirectory(paths.Directory);
            string socket = InteractiveInstaller.PrepareVncSocket(paths);
            Assert.Equal(Path.Combine(paths.Directory, "vnc", "vnc.sock"), socket);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(socket)));

            var args = InteractiveInstaller.VncArgs(socket);
            Assert.DoesNotContain(args, a => a.Contains("127.0.0.1") || a.Contains("0.0.0.0"));
            var psi = new ProcessStartInfo(QemuTools.SystemEmulator) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "-machine", "none", "-nodefaults", "-display", "none", "-S" }) psi.ArgumentList.Add(a);
            psi.ArgumentList.Add("-vnc");
            psi.ArgumentList.Add(args[args.Count - 1]); // "unix:<socket>" (no VGA card with -machine none)
            using (var qemu = Process.Start(psi))
            {
                try
                {
                    var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
                    while (!File.Exists(socket) && DateTime.UtcNow < deadline && !qemu.HasExited) Thread.Sleep(50);
                    Assert.True(File.Exists(socket), "QEMU made the VNC socket: " + (qemu.HasExited ? qemu.StandardError.ReadToEnd() : "still running"));

                    InteractiveInstaller.SecureVncSocket(socket);
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));

                    // The owner reaches a VNC server there (RFB greeting).
                    using (var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
                    {
                        s.Connect(UnixSocketConnector.CreateEndPoint(socket));
                        s.ReceiveTimeout = 10000;
                        var buffer = new byte[12];
                        int n = 0;
                        while (n < buffer.Length) n += s.Receive(buffer, n, buffer.Length - n, SocketFlags.None);
                        Assert.StartsWith("RFB ", System.Text.Encoding.ASCII.GetString(buffer));
                    }
                }
                finally
                {
                    if (!qemu.HasExited) qemu.Kill(); // the QEMU this test started, by its handle
                    qemu.WaitForExit(10000);
                }
            }

            // The killed QEMU left its socket behind: the next install replaces it.
            Assert.True(File.Exists(socket));
            Assert.Equal(socket, InteractiveInstaller.PrepareVncSocket(paths));
            Assert.False(File.Exists(socket));
        }
    }
}
