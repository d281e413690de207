using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Qemu;
using DfVm.Core.Ssh;
using DfVm.Core.Util;

namespace DfVm.Core.Instances
{
    /// <summary>
    /// Creates and removes VM folders. A new VM is built in a hidden temp folder and renamed
    /// into place, so a failure never leaves a half-made vm/&lt;name&gt;/.
    /// </summary>
    public sealed class VmFactory
    {
        private readonly VmStore _store;
        private readonly VmController _controller;

        public VmFactory(VmStore store)
        {
            _store = store;
            _controller = new VmController(store);
        }

        public async Task<VmPaths> CreateAsync(VmDefinition def, bool replace, IOperationReporter reporter, CancellationToken ct)
        {
            VmStore.ValidateName(def.Name);
            Directory.CreateDirectory(_store.Root);
            var final = new VmPaths(_store.Root, def.Name);
            if (File.Exists(final.Definition) && !replace)
            {
                throw new DfVmException(ErrorIds.VmExists, DfVmErrorKind.ResourceExists,
                    $"VM '{def.Name}' already exists in {final.Directory}. Use it as it is, remove it with Remove-DfVm, or replace it with New-DfVm -Force.", def.Name);
            }
            if (!string.IsNullOrEmpty(def.BaseImage))
            {
                def.BaseImage = Path.GetFullPath(def.BaseImage);
                if (!File.Exists(def.BaseImage))
                {
                    throw new DfVmException(ErrorIds.BaseImageNotFound, DfVmErrorKind.NotFound, $"Base image not found: {def.BaseImage}.", def.Name);
                }
            }

            string tempName = ".new-" + def.Name + "-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            var temp = new VmPaths(_store.Root, tempName);
            try
            {
                Directory.CreateDirectory(temp.Directory);
                Native.Chmod(temp.Directory, 0x1C0); // 0700: keys and sockets inside
                Directory.CreateDirectory(temp.Snapshots);
                SshKeyPair.EnsureExists(temp.PrivateKey, temp.PublicKey, "dfvm@" + def.Name);
                if (!string.IsNullOrEmpty(def.BaseImage))
                {
                    await QemuImg.CreateOverlayAsync(temp.Disk, def.BaseImage, ct).ConfigureAwait(false);
                }
                else
                {
                    await QemuImg.CreateAsync(temp.Disk, def.DiskSizeGB, ct).ConfigureAwait(false);
                }
                _store.SaveDefinition(temp, def);
                reporter?.Verbose($"Prepared VM '{def.Name}' in {temp.Directory}.");

                if (Directory.Exists(final.Directory))
                {
                    await RemoveAsync(final, reporter, ct).ConfigureAwait(false);
                }
                Directory.Move(temp.Directory, final.Directory);
                return final;
            }
            finally
            {
                if (Directory.Exists(temp.Directory)) Directory.Delete(temp.Directory, true);
            }
        }

        /// <summary>Stops the VM (at once) and deletes vm/&lt;name&gt;/, and nothing outside it.</summary>
        public async Task RemoveAsync(VmPaths paths, IOperationReporter reporter, CancellationToken ct)
        {
            using (VmLock.Acquire(paths, TimeSpan.FromSeconds(5), ct))
            {
                await _controller.KillAsync(paths, reporter, ct).ConfigureAwait(false);
            }
            GuestConnectionPool.Drop(paths.PrivateKey);
            // Rename first so a crash half-way leaves no VM that looks whole.
            string trash = Path.Combine(_store.Root, ".trash-" + paths.Name + "-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            Directory.Move(paths.Directory, trash);
            MakeWritable(trash);
            Directory.Delete(trash, true);
        }

        private static void MakeWritable(string dir)
        {
            // Snapshot bases are kept read-only on disk; deleting the folder needs write bits on folders only.
            foreach (var d in Directory.GetDirectories(dir, "*", SearchOption.AllDirectories)) Native.Chmod(d, 0x1C0);
            Native.Chmod(dir, 0x1C0);
        }
    }
}
