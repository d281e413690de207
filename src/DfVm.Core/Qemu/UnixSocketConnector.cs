using System;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Threading;
using System.Threading.Tasks;

namespace DfVm.Core.Qemu
{
    /// <summary>
    /// Connects a stream <see cref="Socket"/> to a unix-domain socket path. netstandard2.0 has no
    /// UnixDomainSocketEndPoint, so the runtime's type (present on .NET Core 2.1+, i.e. PowerShell 7)
    /// is created by reflection.
    /// </summary>
    public static class UnixSocketConnector
    {
        private const string EndPointTypeName = "System.Net.Sockets.UnixDomainSocketEndPoint";

        private static readonly Lazy<ConstructorInfo> EndPointConstructor =
            new Lazy<ConstructorInfo>(FindEndPointConstructor, LazyThreadSafetyMode.PublicationOnly);

        /// <summary>True when this runtime can create unix-domain socket endpoints.</summary>
        public static bool IsSupported => EndPointConstructor.Value != null;

        /// <summary>
        /// Creates the runtime's UnixDomainSocketEndPoint for <paramref name="path"/>.
        /// Throws <see cref="PlatformNotSupportedException"/> when the runtime has none, and
        /// <see cref="ArgumentException"/> for an empty or too long path (sun_path holds 107 bytes on Linux).
        /// </summary>
        public static EndPoint CreateEndPoint(string path)
        {
            if (string.IsNullOrEmpty(path))
            {
                throw new ArgumentException("A unix socket path is required.", nameof(path));
            }

            ConstructorInfo ctor = EndPointConstructor.Value;
            if (ctor == null)
            {
                throw new PlatformNotSupportedException(
                    "This .NET runtime has no " + EndPointTypeName +
                    ": unix-domain sockets need .NET Core 2.1 or later (PowerShell 7+).");
            }

            try
            {
                return (EndPoint)ctor.Invoke(new object[] { path });
            }
            catch (TargetInvocationException ex) when (ex.InnerException is ArgumentException)
            {
                throw new ArgumentException(
                    $"Unix socket path '{path}' cannot be used: {ex.InnerException.Message} " +
                    "(the path must be shorter than 108 bytes; use a shorter directory).",
                    nameof(path), ex.InnerException);
            }
        }

        /// <summary>
        /// Connects to the unix socket at <paramref name="path"/>. Throws <see cref="SocketException"/>
        /// when the connect is refused or the file is missing, <see cref="TimeoutException"/> when it
        /// does not complete within <paramref name="timeout"/>, <see cref="OperationCanceledException"/>
        /// on cancellation. The caller owns the returned socket.
        /// </summary>
        public static async Task<Socket> ConnectAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
        {
            EndPoint endPoint = CreateEndPoint(path);
            cancellationToken.ThrowIfCancellationRequested();

            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                Task connect = socket.ConnectAsync(endPoint);
                using (var delayCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    Task delay = Task.Delay(timeout, delayCts.Token);
                    Task first = await Task.WhenAny(connect, delay).ConfigureAwait(false);
                    delayCts.Cancel();
                    if (first != connect)
                    {
                        // Closing the socket aborts the connect; observe its fault so it is not unobserved.
                        _ = connect.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
                        cancellationToken.ThrowIfCancellationRequested();
                        throw new TimeoutException(
                            $"Connecting to unix socket '{path}' did not complete within {timeout.TotalSeconds:0.###} s.");
                    }
                }

                await connect.ConfigureAwait(false);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        private static ConstructorInfo FindEndPointConstructor()
        {
            Type type = typeof(Socket).Assembly.GetType(EndPointTypeName, throwOnError: false)
                        ?? Type.GetType(EndPointTypeName + ", System.Net.Sockets", throwOnError: false);
            return type?.GetConstructor(new[] { typeof(string) });
        }
    }
}
