using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Ssh;

namespace DfVm.Core.Sync
{
    /// <summary>
    /// One-way sync host → guest, like rsync -a --delete: a stat-only scan against the
    /// manifest of what the guest holds, one deletion command, one tar stream. The manifest is
    /// written only after the guest confirms; before touching the guest a pessimistic copy
    /// (every path about to change marked unknown) replaces it, so any interruption is repaired
    /// by the next sync.
    /// </summary>
    public sealed class ProjectSyncer
    {
        private readonly IGuestShell _shell;

        public ProjectSyncer(IGuestShell shell)
        {
            _shell = shell ?? throw new ArgumentNullException(nameof(shell));
        }

        public async Task<SyncOutcome> SyncAsync(SyncOptions options, IProgress<SyncProgress> progress, CancellationToken ct)
        {
            if (options == null)
            {
                throw new ArgumentNullException(nameof(options));
            }
            if (string.IsNullOrEmpty(options.ManifestPath))
            {
                throw new ArgumentException("SyncOptions.ManifestPath is required.", nameof(options));
            }
            var clock = Stopwatch.StartNew();
            string destination = SyncDestination.Normalize(options.Destination);
            string source = string.IsNullOrEmpty(options.SourcePath) ? options.SourcePath : Path.GetFullPath(options.SourcePath);
            if (string.IsNullOrEmpty(source) || !Directory.Exists(source))
            {
                throw new SyncSourceNotFoundException(options.SourcePath ?? string.Empty);
            }

            var throttle = new ProgressThrottle(progress);
            var runner = new SyncCommandRunner(_shell);

            // 1. Scan (stat only).
            var filter = new ExclusionFilter(options.IncludeGit, options.ExtraExcludes ?? new string[0],
                HostOnlyDirectories(source, options.VmDirectory).ToList());
            HostTree tree = new HostTreeScanner(filter,
                    (t, rel) => throttle.Report("Scanning", t.Entries.Count, 0, t.FileBytes, 0, rel))
                .Scan(source, ct);
            throttle.Report("Scanning", tree.Entries.Count, tree.Entries.Count, tree.FileBytes, tree.FileBytes, null, force: true);

            // 2. Plan against the manifest, or against a listing of the guest.
            SyncManifest held = options.Full ? null : SyncManifest.Load(options.ManifestPath);
            if (held != null && !string.Equals(held.Destination, destination, StringComparison.Ordinal))
            {
                held = null;
            }
            Dictionary<string, ManifestEntry> heldByPath = held?.ToDictionary();
            Dictionary<string, SyncEntryType> guestListing = null;
            if (heldByPath == null)
            {
                var parser = new GuestListing.ListParser();
                await runner.RunParsedAsync("Listing the destination",
                    SyncShellCommands.List(destination, tree.ExcludedDirectories), null, parser.Add, ct).ConfigureAwait(false);
                guestListing = parser.Finish();
                if (guestListing == null)
                {
                    string err = string.Join("\n", runner.LastStderr);
                    throw new SyncFailedException("Listing the destination in the guest ended early (find failed part-way, or od is missing); nothing was changed" +
                        (err.Length > 0 ? ": " + err : "."), 0, err);
                }
            }
            SyncPlan plan = SyncPlan.Create(tree, heldByPath, guestListing, held?.Root);

            var problems = new List<string>(tree.Problems);
            var result = new DfVm.DfVmSyncResult
            {
                Source = source,
                Destination = destination,
                FilesScanned = tree.FileCount,
                WhatIf = options.WhatIf,
            };
            List<string> sendPaths = plan.Sends.Select(e => e.RelativePath).Where(NotRoot).ToList();
            TarSender sender = null;

            if (!options.WhatIf && !(plan.IsEmpty && held != null))
            {
                sender = await ApplyAsync(plan, held, destination, source, options.ManifestPath, tree, runner, throttle, ct)
                    .ConfigureAwait(false);
                problems.AddRange(sender.Problems);
                result.FilesSent = CountFiles(plan.Sends, new HashSet<string>(sender.Written, StringComparer.Ordinal));
                result.FilesDeleted = plan.Deletes.Count;
                result.BytesSent = sender.BytesWritten;
                sendPaths = sender.Written.Where(NotRoot).ToList();
            }
            else if (options.WhatIf)
            {
                result.FilesSent = CountFiles(plan.Sends, null);
                result.FilesDeleted = plan.Deletes.Count;
            }

            IReadOnlyList<SyncDrift> drift = new SyncDrift[0];
            if (options.Verify)
            {
                drift = await VerifyAsync(tree, destination, sender, runner, throttle, ct).ConfigureAwait(false);
                result.Verified = drift.Count == 0;
                result.Drift = drift.Select(d => d.Path).ToArray();
            }

            result.Duration = clock.Elapsed;
            return new SyncOutcome(result, sendPaths, plan.Deletes, options.WhatIf, problems, drift, runner.CommandsRun)
            {
                Compressed = sender?.Compressed ?? false,
                WireBytes = sender?.WireBytes ?? 0,
            };
        }

        // The destination folder's own header is sent, but it is not an entry to list as sent or to count.
        private static bool NotRoot(string path) => path != HostTree.RootPath;

        /// <summary>The VM directory relative to the source, when it lies inside it (else nothing to leave out).</summary>
        private static IEnumerable<string> HostOnlyDirectories(string sourcePath, string vmDirectory)
        {
            if (string.IsNullOrEmpty(vmDirectory))
            {
                yield break;
            }
            // Real paths: a project reached through a symlink, or a VM directory spelled another way,
            // must still find the VM directory inside the source.
            string source = DfVm.Core.Util.HostPath.Real(sourcePath).TrimEnd('/');
            string real = DfVm.Core.Util.HostPath.Real(vmDirectory).TrimEnd('/');
            if (DfVm.Core.Util.HostPath.IsSameOrInside(source, real))
            {
                throw new SyncPathUnsupportedException(source,
                    $"{source} is inside the VM directory {real} (VM keys and disks): DfVm never sends it to a guest. Sync the project folder instead.");
            }
            if (DfVm.Core.Util.HostPath.IsSameOrInside(real, source))
            {
                yield return real.Substring(source.Length).TrimStart('/');
            }
        }

        // Files and symlinks; directory headers sent to restore metadata are not counted.
        private static int CountFiles(List<HostEntry> sends, HashSet<string> written)
        {
            return sends.Count(e => e.Type != SyncEntryType.Directory && (written == null || written.Contains(e.RelativePath)));
        }

        private static async Task<TarSender> ApplyAsync(SyncPlan plan, SyncManifest held, string destination, string source,
            string manifestPath, HostTree tree, SyncCommandRunner runner, ProgressThrottle throttle, CancellationToken ct)
        {
            // Write-ahead: until the guest confirms, everything this sync touches is unknown.
            if (held != null)
            {
                MarkUnknown(held, plan).Save(manifestPath);
            }
            else
            {
                SyncManifest.Delete(manifestPath);
            }

            if (plan.Deletes.Count > 0 || plan.ClearIfNotDirectory.Count > 0)
            {
                throttle.Report("Deleting", 0, plan.Deletes.Count, 0, 0, plan.Deletes.FirstOrDefault(), force: true);
                await runner.RunAsync("Deleting in the destination", SyncShellCommands.Delete(destination),
                    SyncCommandRunner.Bytes(SyncShellCommands.DeleteInput(plan.Deletes, plan.ClearIfNotDirectory)), ct)
                    .ConfigureAwait(false);
                throttle.Report("Deleting", plan.Deletes.Count, plan.Deletes.Count, 0, 0, null, force: true);
            }

            bool compress = plan.Sends.Count > 0 && StreamCompression.Worthwhile(plan.Sends, ct);
            var sender = new TarSender(plan.Sends, throttle, compress);
            if (plan.Sends.Count > 0)
            {
                try
                {
                    await runner.RunAsync("Extracting the tar stream", SyncShellCommands.Extract(destination, compress), sender.WriteAsync, ct)
                        .ConfigureAwait(false);
                }
                catch (SyncFailedException ex) when (sender.StreamError != null)
                {
                    throw new SyncFailedException(ex.Message + " (sending stopped: " + sender.StreamError.Message + ")",
                        ex.ExitCode, ex.GuestStderr, sender.StreamError);
                }
                if (!sender.Completed)
                {
                    throw new SyncFailedException(
                        "Sending the tar stream failed: " + (sender.StreamError?.Message ?? "the stream was not finished") + ".",
                        0, string.Empty, sender.StreamError);
                }
            }

            BuildManifest(tree, held, plan, sender, destination, source).Save(manifestPath);
            return sender;
        }

        private static SyncManifest MarkUnknown(SyncManifest held, SyncPlan plan)
        {
            var touched = new HashSet<string>(plan.Deletes, StringComparer.Ordinal);
            foreach (HostEntry e in plan.Sends)
            {
                touched.Add(e.RelativePath);
            }
            var copy = new SyncManifest { Source = held.Source, Destination = held.Destination };
            copy.Root = plan.Sends.Any(e => e.RelativePath == HostTree.RootPath) ? null : held.Root;
            foreach (ManifestEntry e in held.Entries)
            {
                if (!touched.Contains(e.Path))
                {
                    copy.Entries.Add(e);
                }
            }
            foreach (string path in touched)
            {
                copy.Entries.Add(ManifestEntry.UnknownAt(path));
            }
            return copy;
        }

        private static SyncManifest BuildManifest(HostTree tree, SyncManifest held, SyncPlan plan, TarSender sender,
            string destination, string source)
        {
            Dictionary<string, ManifestEntry> before = held?.ToDictionary();
            var sent = new HashSet<string>(sender.Written, StringComparer.Ordinal);
            var manifest = new SyncManifest { Source = source, Destination = destination };
            manifest.Root = sent.Contains(HostTree.RootPath) ? ManifestEntry.From(tree.RootEntry, null) : held?.Root;
            foreach (HostEntry e in tree.Entries)
            {
                if (sent.Contains(e.RelativePath))
                {
                    if (e.Type == SyncEntryType.File)
                    {
                        TarFileWritten w = sender.Files[e.RelativePath];
                        manifest.Entries.Add(w.Stable ? ManifestEntry.From(e, w.Sha256) : ManifestEntry.UnknownAt(e.RelativePath));
                    }
                    else
                    {
                        manifest.Entries.Add(ManifestEntry.From(e, null));
                    }
                }
                else if (sender.Skipped.Contains(e.RelativePath))
                {
                    manifest.Entries.Add(ManifestEntry.UnknownAt(e.RelativePath));
                }
                else if (before != null && before.TryGetValue(e.RelativePath, out ManifestEntry m))
                {
                    manifest.Entries.Add(m);
                }
                else
                {
                    manifest.Entries.Add(ManifestEntry.UnknownAt(e.RelativePath));
                }
            }
            return manifest;
        }

        private static async Task<IReadOnlyList<SyncDrift>> VerifyAsync(HostTree tree, string destination, TarSender sender,
            SyncCommandRunner runner, ProgressThrottle throttle, CancellationToken ct)
        {
            var parser = new GuestListing.HashParser();
            await runner.RunParsedAsync("Hashing the destination",
                SyncShellCommands.Hash(destination, tree.ExcludedDirectories), null, parser.Add, ct).ConfigureAwait(false);
            Dictionary<string, string> guest = parser.Result;

            var drift = new List<SyncDrift>();
            int done = 0;
            long bytes = 0;
            foreach (HostEntry e in tree.Entries)
            {
                if (e.Type != SyncEntryType.File)
                {
                    if (guest.ContainsKey(e.RelativePath))
                    {
                        drift.Add(new SyncDrift(e.RelativePath, SyncDriftKind.Differs)); // a file where the host has a dir or link
                    }
                    continue;
                }
                ct.ThrowIfCancellationRequested();
                throttle.Report("Verifying", done, tree.FileCount, bytes, tree.FileBytes, e.RelativePath);
                string hostHash = null;
                if (sender != null && sender.Files.TryGetValue(e.RelativePath, out TarFileWritten w) && w.Stable)
                {
                    hostHash = w.Sha256;
                }
                hostHash = hostHash ?? HashFile(e.FullPath);
                done++;
                bytes += e.Size;
                if (!guest.TryGetValue(e.RelativePath, out string guestHash))
                {
                    drift.Add(new SyncDrift(e.RelativePath, SyncDriftKind.Missing));
                }
                else if (!string.Equals(guestHash, hostHash, StringComparison.Ordinal))
                {
                    drift.Add(new SyncDrift(e.RelativePath, SyncDriftKind.Differs));
                }
            }
            foreach (string path in guest.Keys)
            {
                if (!tree.ByPath.ContainsKey(path) && !tree.Filter.IsExcludedPath(path, false))
                {
                    drift.Add(new SyncDrift(path, SyncDriftKind.Extra));
                }
            }
            throttle.Report("Verifying", done, tree.FileCount, bytes, tree.FileBytes, null, force: true);
            drift.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
            return drift;
        }

        private static string HashFile(string path)
        {
            try
            {
                using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16))
                using (SHA256 sha = SHA256.Create())
                {
                    return PaxTarWriter.ToHex(sha.ComputeHash(fs));
                }
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                return "unreadable";
            }
        }
    }
}
