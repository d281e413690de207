using System;
using System.IO;
using System.Text.RegularExpressions;
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
        private readonly QemuProcess _qemu;
        private readonly IGuestInvalidation _invalidation;

        /// <summary>Made by <see cref="DfVmEngine"/>.</summary>
        public VmFactory(VmStore store, QemuProcess qemu, IGuestInvalidation invalidation)
        {
            _store = store ?? throw new ArgumentNullException(nameof(store));
            _qemu = qemu ?? throw new ArgumentNullException(nameof(qemu));
            _invalidation = invalidation ?? throw new ArgumentNullException(nameof(invalidation));
        }

        private VmStore Store => _store;

        /// <summary>How long New-DfVm -Force and Remove-DfVm wait for another command on the VM (a sync, a restore) to finish.</summary>
        public static readonly TimeSpan LockWait = TimeSpan.FromSeconds(60);

        public async Task<VmPaths> CreateAsync(VmDefinition def, bool replace, IOperationReporter reporter, CancellationToken ct)
        {
            VmStore.ValidateName(def.Name);
            Directory.CreateDirectory(Store.Root);
            SweepTrash(reporter);
            var final = new VmPaths(Store.Root, def.Name);
            RefuseForeignFolder(final);
            // Replacing takes the old VM's lock for the whole create: no sync, start or restore
            // runs on it while it is replaced.
            using (File.Exists(final.Definition) ? VmLock.Acquire(final, LockWait, reporter, ct) : null)
            {
                if (File.Exists(final.Definition) && !replace)
                {
                    throw Exists(def.Name, final);
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
                var temp = new VmPaths(Store.Root, tempName);
                try
                {
                    Directory.CreateDirectory(temp.Directory);
                    Native.Chmod(temp.Directory, 0x1C0); // 0700: keys and sockets inside
                    Directory.CreateDirectory(temp.Snapshots);
                    SshKeyPair.EnsureExists(temp.PrivateKey, temp.PublicKey, "dfvm@" + def.Name);
                    if (!string.IsNullOrEmpty(def.BaseImage))
                    {
                        await QemuImg.CreateOverlayAsync(temp.Disk, def.BaseImage, ct, backingFormat: def.BaseImageFormat).ConfigureAwait(false);
                    }
                    else
                    {
                        await QemuImg.CreateAsync(temp.Disk, def.DiskSizeGB, ct).ConfigureAwait(false);
                    }
                    Store.SaveDefinition(temp, def);
                    reporter?.Verbose($"Prepared VM '{def.Name}' in {temp.Directory}.");

                    if (File.Exists(final.Definition))
                    {
                        await RemoveLockedAsync(final, reporter, ct).ConfigureAwait(false);
                    }
                    RefuseForeignFolder(final);
                    try
                    {
                        Directory.Move(temp.Directory, final.Directory);
                    }
                    catch (IOException) when (Directory.Exists(final.Directory))
                    {
                        throw Exists(def.Name, final); // another New-DfVm made it meanwhile
                    }
                    return final;
                }
                finally
                {
                    if (Directory.Exists(temp.Directory)) Directory.Delete(temp.Directory, true);
                }
            }
        }

        private static DfVmException Exists(string name, VmPaths final) =>
            new DfVmException(ErrorIds.VmExists, DfVmErrorKind.ResourceExists,
                $"VM '{name}' already exists in {final.Directory}. Use it as it is, remove it with Remove-DfVm, or replace it with New-DfVm -Force.", name);

        /// <summary>
        /// A folder of that name that holds no VM definition is not DfVm's to delete (another
        /// program's files, a half-copied VM): refuse, whatever -Force says.
        /// </summary>
        private static void RefuseForeignFolder(VmPaths final)
        {
            if (Directory.Exists(final.Directory) && !File.Exists(final.Definition))
            {
                throw new DfVmException(ErrorIds.VmExists, DfVmErrorKind.ResourceExists,
                    $"{final.Directory} exists but is not a DfVm VM (it has no instance.json), so DfVm leaves it alone even with -Force. Move it away or choose another name.",
                    final.Name);
            }
        }

        /// <summary>Stops the VM (at once) and deletes vm/&lt;name&gt;/, and nothing outside it.</summary>
        public async Task RemoveAsync(VmPaths paths, IOperationReporter reporter, CancellationToken ct)
        {
            SweepTrash(reporter);
            // The lock is held until the folder is gone: a start racing the remove cannot launch
            // a QEMU into a folder about to be deleted.
            using (VmLock.Acquire(paths, LockWait, reporter, ct))
            {
                await RemoveLockedAsync(paths, reporter, ct).ConfigureAwait(false);
            }
        }

        private async Task RemoveLockedAsync(VmPaths paths, IOperationReporter reporter, CancellationToken ct)
        {
            await _qemu.KillAsync(paths, reporter, ct).ConfigureAwait(false);
            _invalidation.GuestChanged(paths);
            // Rename first so a crash half-way leaves no VM that looks whole.
            string trash = Path.Combine(Store.Root, TrashPrefix + paths.Name + "-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            Directory.Move(paths.Directory, trash);
            DeleteTrash(trash);
        }

        private const string TrashPrefix = ".trash-";

        // Exactly the names RemoveLockedAsync makes: nothing else under vm/ is deleted.
        private static readonly Regex TrashName = new Regex(@"^\.trash-[A-Za-z0-9][A-Za-z0-9_-]{0,62}-[0-9a-f]{8}\z", RegexOptions.CultureInvariant);

        /// <summary>
        /// Finishes the deletes of removes that were killed half-way (their VM was already
        /// renamed out of sight, so nothing else would ever delete it).
        /// </summary>
        private void SweepTrash(IOperationReporter reporter)
        {
            if (!Directory.Exists(Store.Root)) return;
            foreach (string dir in Directory.GetDirectories(Store.Root, TrashPrefix + "*"))
            {
                if (!TrashName.IsMatch(Path.GetFileName(dir))) continue;
                reporter?.Verbose($"Finishing the removal of {dir} (a Remove-DfVm was interrupted).");
                try { DeleteTrash(dir); }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    reporter?.Verbose($"Could not delete {dir} yet: {e.Message}");
                }
            }
        }

        private static void DeleteTrash(string trash)
        {
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
