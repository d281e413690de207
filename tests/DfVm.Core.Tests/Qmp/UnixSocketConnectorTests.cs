using System;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Qemu;
using Xunit;

namespace DfVm.Core.Tests.Qmp
{
    public sealed class UnixSocketConnectorTests
    {
        [Fact]
        public async Task Connects_to_a_listening_socket()
        {
            using var dir = new TempSocketDir();
            string path = dir.File("s.sock");
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(1);

            Assert.True(UnixSocketConnector.IsSupported);
            using Socket socket = await UnixSocketConnector.ConnectAsync(path, TimeSpan.FromSeconds(2), CancellationToken.None);
            Assert.True(socket.Connected);
            Assert.Equal(AddressFamily.Unix, socket.AddressFamily);
        }

        [Fact]
        public async Task A_missing_socket_file_throws_SocketException()
        {
            using var dir = new TempSocketDir();
            await Assert.ThrowsAsync<SocketException>(() =>
                UnixSocketConnector.ConnectAsync(dir.File("missing.sock"), TimeSpan.FromSeconds(2), CancellationToken.None));
        }

        [Fact]
        public async Task A_socket_file_nobody_listens_on_is_refused()
        {
            using var dir = new TempSocketDir();
            string path = dir.File("stale.sock");
            // Bound but not listening: what a socket file left behind by an exited QEMU looks like to connect().
            // (.NET unlinks the file when the binding socket is disposed, so it stays open here.)
            using var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            stale.Bind(new UnixDomainSocketEndPoint(path));

            var ex = await Assert.ThrowsAsync<SocketException>(() =>
                UnixSocketConnector.ConnectAsync(path, TimeSpan.FromSeconds(2), CancellationToken.None));
            Assert.Equal(SocketError.ConnectionRefused, ex.SocketErrorCode);
        }

        [Fact]
        public void A_path_too_long_for_sun_path_is_a_clear_argument_error()
        {
            string path = "/tmp/" + new string('x', 200) + "/qmp.sock";
            var ex = Assert.Throws<ArgumentException>(() => UnixSocketConnector.CreateEndPoint(path));
            Assert.Contains("108 bytes", ex.Message);
            Assert.Throws<ArgumentException>(() => UnixSocketConnector.CreateEndPoint(""));
        }

        [Fact]
        public async Task A_cancelled_token_cancels_the_connect()
        {
            using var dir = new TempSocketDir();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                UnixSocketConnector.ConnectAsync(dir.File("x.sock"), TimeSpan.FromSeconds(2), new CancellationToken(true)));
        }
    }
}
