using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;

namespace DfVm.Core.Ssh
{
    /// <summary>
    /// One warm, authenticated connection per VM for the life of the process (the pwsh session),
    /// so the second and later cmdlets pay no handshake. A connection found dropped is replaced by
    /// a new one (the one reconnect). Dropped on stop, restore and removal.
    /// </summary>
    public static class GuestConnectionPool
    {
        private static readonly ConcurrentDictionary<string, GuestConnection> Connections =
            new ConcurrentDictionary<string, GuestConnection>(StringComparer.Ordinal);
        private static readonly SemaphoreSlim Gate = new SemaphoreSlim(1, 1);

        public static async Task<GuestConnection> GetAsync(GuestEndpoint endpoint, TimeSpan timeout, CancellationToken ct, Action<string> log = null)
        {
            await Gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                if (Connections.TryGetValue(endpoint.PrivateKeyPath, out var existing))
                {
                    if (existing.IsConnected && existing.Endpoint.Key == endpoint.Key)
                    {
                        log?.Invoke($"SSH reuse warm connection to VM '{endpoint.VmName}'");
                        existing.UseLog(log);
                        return existing;
                    }
                    Connections.TryRemove(endpoint.PrivateKeyPath, out _);
                    existing.Dispose();
                }
                var connection = await GuestConnection.OpenAsync(endpoint, timeout, ct, log).ConfigureAwait(false);
                Connections[endpoint.PrivateKeyPath] = connection;
                return connection;
            }
            finally
            {
                Gate.Release();
            }
        }

        /// <summary>Forgets (and closes) the VM's warm connection: the guest changed under it.</summary>
        public static void Drop(string privateKeyPath)
        {
            if (Connections.TryRemove(privateKeyPath, out var connection)) connection.Dispose();
        }
    }
}
