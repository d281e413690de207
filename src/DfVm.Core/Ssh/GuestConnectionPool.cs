using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;

namespace DfVm.Core.Ssh
{
    /// <summary>
    /// One warm, authenticated SSH session per VM, so the second and later commands pay no
    /// handshake. Owned by the <see cref="DfVmEngine"/> of a VM store (the PowerShell layer keeps
    /// one engine per store for the session). Each <see cref="GetAsync"/> hands out a
    /// <see cref="GuestConnection"/> of its own over the shared session, with the caller's log: callers
    /// at once never write each other's lines. A session found dropped is replaced by a new one (the one
    /// reconnect). Forgotten through <see cref="DfVmEngine.GuestChanged"/> and <see cref="Drop"/>.
    /// </summary>
    public sealed class GuestConnectionPool : IDisposable
    {
        private readonly ConcurrentDictionary<string, GuestSession> _sessions =
            new ConcurrentDictionary<string, GuestSession>(StringComparer.Ordinal);
        private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);

        /// <summary>
        /// A handle on the VM's warm session, or on a new one when there is none or it dropped.
        /// <paramref name="log"/> (may be null) gets this caller's lines: the connect or reuse, and each
        /// command the handle runs ("guest $ ...").
        /// </summary>
        public async Task<GuestConnection> GetAsync(GuestEndpoint endpoint, TimeSpan timeout, CancellationToken ct, Action<string> log = null)
        {
            await _gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                if (_sessions.TryGetValue(endpoint.PrivateKeyPath, out var existing))
                {
                    if (existing.IsConnected && existing.Endpoint.Key == endpoint.Key)
                    {
                        log?.Invoke($"SSH reuse warm connection to VM '{endpoint.VmName}'");
                        return new GuestConnection(existing, log);
                    }
                    _sessions.TryRemove(endpoint.PrivateKeyPath, out _);
                    existing.Dispose();
                }
                var session = await GuestSession.OpenAsync(endpoint, timeout, ct, log).ConfigureAwait(false);
                _sessions[endpoint.PrivateKeyPath] = session;
                return new GuestConnection(session, log);
            }
            finally
            {
                _gate.Release();
            }
        }

        /// <summary>Forgets (and closes) the warm session made with this private key: every handle of it is closed.</summary>
        internal void Drop(string privateKeyPath)
        {
            if (_sessions.TryRemove(privateKeyPath, out var session)) session.Dispose();
        }

        public void Dispose()
        {
            foreach (var key in _sessions.Keys) Drop(key);
        }
    }
}
