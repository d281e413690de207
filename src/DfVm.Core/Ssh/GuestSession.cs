using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace DfVm.Core.Ssh
{
    /// <summary>
    /// The SSH session under a VM's warm connection: one authenticated SSH.NET client, with the host key
    /// checked against the pin. <see cref="GuestConnectionPool"/> owns it and closes it (a dropped
    /// connection, <see cref="GuestConnectionPool.Drop"/>, the engine's end); every caller reaches it
    /// through a <see cref="GuestConnection"/> of its own, so the session itself logs only its connect.
    /// </summary>
    internal sealed class GuestSession : IDisposable
    {
        private readonly object _gate = new object();
        private volatile SshClient _client;

        private GuestSession(GuestEndpoint endpoint)
        {
            Endpoint = endpoint;
        }

        public GuestEndpoint Endpoint { get; }

        /// <summary>
        /// "algorithm SHA256:..." when this session pinned the guest's host key (first contact: nothing
        /// was pinned before), else null.
        /// </summary>
        public string PinnedAtFirstContact { get; private set; }

        /// <summary>The connected client, or null once the session is closed.</summary>
        public SshClient Client => _client;

        public bool IsConnected
        {
            get
            {
                var client = _client;
                return client != null && client.IsConnected;
            }
        }

        /// <summary>Logs in; <paramref name="log"/> (may be null) gets the "SSH connect" line.</summary>
        public static async Task<GuestSession> OpenAsync(GuestEndpoint endpoint, TimeSpan timeout, CancellationToken ct, Action<string> log)
        {
            var session = new GuestSession(endpoint);
            await session.ConnectAsync(timeout, ct, log ?? (_ => { })).ConfigureAwait(false);
            return session;
        }

        private async Task ConnectAsync(TimeSpan timeout, CancellationToken ct, Action<string> log)
        {
            var pin = new HostKeyPin(Endpoint.KnownHostsPath, Endpoint.VmName);
            PrivateKeyFile key;
            using (var keyStream = File.OpenRead(Endpoint.PrivateKeyPath)) key = new PrivateKeyFile(keyStream);
            var info = new ConnectionInfo(Endpoint.Host, Endpoint.Port, Endpoint.User,
                new PrivateKeyAuthenticationMethod(Endpoint.User, key))
            {
                Timeout = timeout,
            };
            PreferCiphers(info, "chacha20-poly1305@openssh.com", "aes128-gcm@openssh.com");
            var client = new SshClient(info) { KeepAliveInterval = TimeSpan.FromSeconds(15) };
            HostKeyMismatchException mismatch = null;
            client.HostKeyReceived += (s, e) =>
            {
                try
                {
                    e.CanTrust = pin.CheckOrPin(e.HostKeyName, e.HostKey, out bool pinnedNow);
                    if (pinnedNow) PinnedAtFirstContact = e.HostKeyName + " " + HostKeyPin.Fingerprint(e.HostKey);
                }
                catch (HostKeyMismatchException m)
                {
                    mismatch = m;
                    e.CanTrust = false;
                }
            };

            log($"SSH connect {Endpoint.User}@{Endpoint.Host}:{Endpoint.Port} (VM '{Endpoint.VmName}')");
            try
            {
                using (var cts = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    cts.CancelAfter(timeout);
                    await client.ConnectAsync(cts.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (!(e is OperationCanceledException) || !ct.IsCancellationRequested)
            {
                client.Dispose();
                if (mismatch != null) throw mismatch;
                if (e is SshAuthenticationException)
                {
                    throw new DfVmException(ErrorIds.SshAuthenticationFailed, DfVmErrorKind.Security,
                        $"The guest of VM '{Endpoint.VmName}' refused the VM's key ({Endpoint.PrivateKeyPath}) for {Endpoint.User}: {e.Message}. " +
                        "The guest's authorized_keys must hold the VM's public key (Install-DfVm puts it there; for a hand-installed guest run Invoke-DfVmProvision or copy id_ed25519.pub into /root/.ssh/authorized_keys).",
                        Endpoint.VmName, e);
                }
                throw new GuestConnectionLostException($"Could not open SSH to VM '{Endpoint.VmName}' on 127.0.0.1:{Endpoint.Port}: {e.Message}", e);
            }
            // The connect timeout bounds the handshake only. SSH.NET also applies ConnectionInfo.Timeout
            // to every later wait, including the wait for the guest to take more of a stdin stream:
            // a busy guest (a 200 MB file flushed to disk under TCG) may pause that long, and the sync
            // failed with "Session operation has timed out". Cancellation still ends a stalled command.
            client.ConnectionInfo.Timeout = OperationTimeout;
            lock (_gate) _client = client;
        }

        /// <summary>How long a channel may wait on the guest (window space, a channel to open) once connected.</summary>
        public static readonly TimeSpan OperationTimeout = TimeSpan.FromMinutes(5);

        /// <summary>
        /// Puts AEAD ciphers first (one pass over the data instead of a cipher and a MAC): the
        /// guest's sshd decrypts every byte a sync sends. Measured on the TCG test guest, 50 MB in
        /// 1,000 files: chacha20-poly1305 11.6 s, aes128-gcm 13.4 s, aes128-ctr+hmac 13.1 s.
        /// </summary>
        private static void PreferCiphers(ConnectionInfo info, params string[] preferred)
        {
            var all = new System.Collections.Generic.List<System.Collections.Generic.KeyValuePair<string, CipherInfo>>(info.Encryptions);
            info.Encryptions.Clear();
            foreach (var name in preferred)
            {
                foreach (var pair in all)
                {
                    if (pair.Key == name.Trim()) info.Encryptions.Add(pair);
                }
            }
            foreach (var pair in all)
            {
                if (!info.Encryptions.ContainsKey(pair.Key)) info.Encryptions.Add(pair);
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _client?.Dispose();
                _client = null;
            }
        }
    }
}
