using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Qemu;
using DfVm.Core.Util;

namespace DfVm.Core.Snapshots
{
    /// <summary>File steps shared by the operations and by recovery. Each is one atomic change or idempotent.</summary>
    internal static class SnapshotFiles
    {
        public const int ReadOnly = 0x124;  // 0444
        public const int Writable = 0x1A4;  // 0644

        /// <summary>
        /// A new empty overlay at <paramref name="path"/> whose backing is <paramref name="backing"/>. The
        /// backing is not opened (-u): it may not have been renamed into place yet, or be in use by QEMU.
        /// </summary>
        public static Task CreateOverlayAsync(string path, string backing, ulong virtualSize, CancellationToken ct)
        {
            if (File.Exists(path)) File.Delete(path);
            return QemuImg.RunCheckedAsync(new[] { "create", "-q", "-f", "qcow2", "-u", "-b", backing, "-F", "qcow2", path, virtualSize.ToString() }, ct);
        }

        /// <summary>The commit point of a checkpoint: layer (and memory) read-only, then the metadata, atomically.</summary>
        public static void Commit(SnapshotPaths files, SnapshotRecord record)
        {
            Native.Chmod(files.Image(record.Name), ReadOnly);
            if (record.Live) Native.Chmod(files.State(record.Name), ReadOnly);
            Json.Write(files.Metadata(record.Name), record, ReadOnly);
        }

        public static void WriteJournal(SnapshotPaths files, SnapshotJournal journal) => Json.Write(files.Journal, journal);

        public static SnapshotJournal ReadJournal(SnapshotPaths files) => Json.Read<SnapshotJournal>(files.Journal);

        public static void DeleteIfExists(string path)
        {
            if (File.Exists(path)) File.Delete(path);
        }

        /// <summary>
        /// Restacks <paramref name="image"/> onto <paramref name="newBacking"/> (null: standalone) with qemu-img's
        /// safe rebase: the clusters that read differently through the new chain are copied in first, and the
        /// header changes last, so a crash half-way leaves the image reading the same through its old backing.
        /// </summary>
        public static async Task RebaseAsync(string image, string newBacking, bool keepReadOnly, CancellationToken ct)
        {
            if (keepReadOnly) Native.Chmod(image, Writable);
            try
            {
                // writethrough: every copied cluster and its L2 entry reach the disk before the header
                // names the new backing file. With the default writeback cache a kill at the wrong moment
                // left the header changed but copied clusters unreferenced (seen once in the kill test).
                var args = new List<string> { "rebase", "-q", "-t", "writethrough", "-f", "qcow2", "-b", newBacking ?? "" };
                if (newBacking != null) args.AddRange(new[] { "-F", "qcow2" });
                args.Add(image);
                for (int attempt = 1; ; attempt++)
                {
                    try
                    {
                        await QemuImg.RunCheckedAsync(args, ct).ConfigureAwait(false);
                        break;
                    }
                    catch (DfVmException e) when (attempt < 25 && e.Message.Contains("lock"))
                    {
                        // A qemu-img killed by a cancellation may not have exited yet: its image lock goes with it.
                        await Task.Delay(200, ct).ConfigureAwait(false);
                    }
                }
                // A rebase killed half-way (this one's earlier attempt, before recovery) leaves clusters it
                // had allocated but not yet referenced: leaks lose nothing, but every image should check clean.
                await RepairLeaksAsync(image, ct).ConfigureAwait(false);
            }
            finally
            {
                if (keepReadOnly) Native.Chmod(image, ReadOnly);
            }
        }

        /// <summary>qemu-img check -r leaks: frees clusters that nothing references (exit 0 once clean).</summary>
        public static Task RepairLeaksAsync(string image, CancellationToken ct) =>
            QemuImg.RunCheckedAsync(new[] { "check", "-q", "-r", "leaks", "-f", "qcow2", image }, ct);

        /// <summary>Temporary files of this layer left by a crash, when no journal claims them.</summary>
        public static void RemoveStrays(SnapshotPaths files, IOperationReporter reporter)
        {
            var strays = new List<string>();
            if (File.Exists(files.DiskTemp)) strays.Add(files.DiskTemp);
            if (Directory.Exists(files.Directory))
            {
                strays.AddRange(Directory.GetFiles(files.Directory, "*.vmstate.tmp"));
                strays.AddRange(Directory.GetFiles(files.Directory, "*.json.tmp-*"));
            }
            foreach (var stray in strays)
            {
                reporter?.Verbose($"Removing {stray}, left by an interrupted snapshot operation.");
                File.Delete(stray);
            }
        }
    }
}
