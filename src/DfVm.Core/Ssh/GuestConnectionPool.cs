using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;

namespace DfVm.Core.Ssh
{
    /// <summary>
    /// One warm, authenticated connection per VM, so the second and later commands pay no
    /// handshake. Owned by the <see cref="DfVmEngine"/> of a VM store (the PowerShell layer keeps
    /// one engine per store for the session). A connection found dropped is replaced by a new one
    /// (the one reconnect). Forgotten through <see cref="DfVmEngine.GuestChanged"/>.
    /// </summary>
    public sealed class GuestConnectionPool : IDisposable
    {
        private readonly ConcurrentDictionary<string, GuestConnection> _connections =
            new ConcurrentDictionary<string, GuestConnection>(StringComparer.Ordinal);
        private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);

        /// <summary>The VM's warm connection, or a new one when there is none or it dropped.</summary>
        public async Task<GuestConnection> GetAsync(GuestEndpoint endpoint, TimeSpan timeout, CancellationToken ct, Action<string> log = null)
        {
            await _gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                if (_connections.TryGetValue(endpoint.PrivateKeyPath, out var existing))
                {
                    if (existing.IsConnected && existing.Endpoint.Key == endpoint.Key)
                    {
                        log?.Invoke($"SSH reuse warm connection to VM '{endpoint.VmName}'");
                        existing.UseLog(log);
                        return existing;
                    }
                    _connections.TryRemove(endpoint.PrivateKeyPath, out _);
                    existing.Dispose();
                }
                var connection = await GuestConnection.OpenAsync(endpoint, timeout, ct, log).ConfigureAwait(false);
                _connections[endpoint.PrivateKeyPath] = connection;
                return connection;
            }
            finally
            {
                _gate.Release();
            }
        }

        /// <summary>Forgets (and closes) the warm connection made with this private key.</summary>
        internal void Drop(string privateKeyPath)
        {
            if (_connections.TryRemove(privateKeyPath, out var connection)) connection.Dispose();
        }

        public void Dispose()
        {
            foreach (var key in _connections.Keys) Drop(key);
        }
    }
}
