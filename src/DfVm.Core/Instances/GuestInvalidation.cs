using System;
using System.IO;
using DfVm.Core.Ssh;

namespace DfVm.Core.Instances
{
    /// <summary>
    /// What the host believes about a guest, and the two ways that belief ends. The parts that change a
    /// guest (a boot, a stop, a restore, a reinstall, a removal) or lose their way to it (QEMU killed, a
    /// login retried, a guest stopped on a full disk) get this in their constructor and say which.
    /// </summary>
    public interface IGuestInvalidation
    {
        /// <summary>The guest changed under the host's view: its warm connection closes and its sync manifest is forgotten.</summary>
        void GuestChanged(VmPaths paths);

        /// <summary>Only the way to the guest went (its QEMU ended, a login is retried): the connection closes, the manifest stays.</summary>
        void ConnectionGone(VmPaths paths);
    }

    /// <summary>The engine's <see cref="IGuestInvalidation"/>, over its connection pool.</summary>
    public sealed class GuestInvalidation : IGuestInvalidation
    {
        private readonly GuestConnectionPool _connections;

        public GuestInvalidation(GuestConnectionPool connections)
        {
            _connections = connections ?? throw new ArgumentNullException(nameof(connections));
        }

        public void GuestChanged(VmPaths paths)
        {
            ConnectionGone(paths);
            if (File.Exists(paths.SyncManifest)) File.Delete(paths.SyncManifest);
        }

        public void ConnectionGone(VmPaths paths) => _connections.Drop(paths.PrivateKey);
    }
}
