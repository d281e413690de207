using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Ssh;

namespace DfVm.Core.Sync
{
    /// <summary>
    /// Copies files and folders between the host and the guest as one tar stream over SSH, keeping
    /// modes and times. Host to guest: the sync's PaxTarWriter/TarSender into the guest's tar.
    /// Guest to host: the guest's tar (bsdtar on DragonFly), base64-armoured with POSIX
    /// `uuencode -m` because guest commands hand back text lines, into the host's tar.
    /// </summary>
    public sealed class GuestCopier
    {
        public const string GuestPathNotFound = nameof(GuestPathNotFound);
        public const string HostPathNotFound = nameof(HostPathNotFound);
        public const string CopyFailed = nameof(CopyFailed);
        private const string NameMarker = "\u001eDFVM-ITEM ";
        private const string NoMatchMarker = "\u001eDFVM-NOMATCH";
        private readonly IGuestShell _shell;
        private readonly string _vm;

        public GuestCopier(IGuestShell shell, string vmName)
        {
            _shell = shell;
            _vm = vmName;
        }

        /// <summary>
        /// Copies what <paramref name="guestPath"/> names (an absolute guest path whose last part may
        /// hold sh wildcards; folders recursively) into the host folder <paramref name="hostFolder"/>
        /// (made when missing). Returns the host paths of the top-level items copied.
        /// </summary>
        public async Task<IReadOnlyList<string>> FromGuestAsync(string guestPath, string hostFolder, IProgress<SyncProgress> progress, CancellationToken ct)
        {
            string trimmed = guestPath.Length > 1 ? guestPath.TrimEnd('/') : guestPath;
            int slash = trimmed.LastIndexOf('/');
            string dir = slash <= 0 ? "/" : trimmed.Substring(0, slash);
            string last = trimmed.Substring(slash + 1);
            bool glob = last.IndexOfAny(new[] { '*', '?', '[' }) >= 0;
            if (dir.IndexOfAny(new[] { '*', '?', '[' }) >= 0 || last.Length == 0 || last.Contains('\'') && glob)
            {
                throw new DfVmException(GuestPathNotFound, DfVmErrorKind.InvalidArgument,
                    $"'{guestPath}': only the last part of a guest path may hold wildcards.", guestPath);
            }
            // The names first (one per line, marked), then the archive as base64 lines.
            string names = glob ? last : Quote(last);
            string script = "cd " + Quote(dir) + " 2>/dev/null || { echo '" + NoMatchMarker + "' >&2; exit 4; }; "
                + "set -- " + names + "; [ -e \"$1\" ] || [ -h \"$1\" ] || { echo '" + NoMatchMarker + "' >&2; exit 4; }; "
                + "for n in \"$@\"; do printf '" + NameMarker + "%s\\n' \"$n\"; done; "
                + "tar -cf - -- \"$@\" | uuencode -m -";

            var items = new List<string>();
            bool noMatch = false;
            bool inArmour = false;
            long bytes = 0;
            var errors = new List<string>();
            Process tar = null; // started (and the host folder made) only when the guest has sent its archive
            Stream sink = null;
            Task<string> tarErr = null;
            try
            {
                GuestCommandOutcome outcome;
                try
                {
                    outcome = await _shell.RunAsync(script, null, line =>
                    {
                        if (!inArmour)
                        {
                            if (line.StartsWith(NameMarker, StringComparison.Ordinal)) items.Add(Path.Combine(hostFolder, line.Substring(NameMarker.Length)));
                            else if (line.StartsWith("begin-base64", StringComparison.Ordinal))
                            {
                                inArmour = true;
                                Directory.CreateDirectory(hostFolder);
                                tar = Process.Start(new ProcessStartInfo("tar", "-xpf - -C " + QuoteArg(hostFolder))
                                {
                                    UseShellExecute = false,
                                    RedirectStandardInput = true,
                                    RedirectStandardError = true,
                                });
                                tarErr = tar.StandardError.ReadToEndAsync();
                                sink = tar.StandardInput.BaseStream;
                            }
                            return;
                        }
                        if (line == "====") { inArmour = false; return; }
                        byte[] chunk = Convert.FromBase64String(line);
                        sink.Write(chunk, 0, chunk.Length);
                        long before = bytes;
                        bytes += chunk.Length;
                        if (before >> 20 != bytes >> 20) progress?.Report(new SyncProgress("Receiving", 0, 0, bytes, 0, guestPath)); // each MiB
                    }, line =>
                    {
                        if (line == NoMatchMarker) noMatch = true;
                        else lock (errors) errors.Add(line);
                    }, ct).ConfigureAwait(false);
                }
                finally
                {
                    try { sink?.Close(); } catch (IOException) { /* tar ended early: its stderr says why */ }
                }
                if (noMatch)
                {
                    throw new DfVmException(GuestPathNotFound, DfVmErrorKind.NotFound, $"Nothing in VM '{_vm}' matches '{guestPath}'.", guestPath);
                }
                string hostErr = "";
                if (tar != null)
                {
                    tar.WaitForExit();
                    hostErr = (await tarErr.ConfigureAwait(false)).Trim();
                }
                if (outcome.ExitCode != 0 || tar == null || tar.ExitCode != 0)
                {
                    throw new DfVmException(CopyFailed, DfVmErrorKind.InvalidOperation,
                        $"Copying '{guestPath}' from VM '{_vm}' failed: {string.Join(" ", errors.Concat(new[] { hostErr }).Where(s => s.Length > 0))}", guestPath);
                }
            }
            finally
            {
                if (tar != null && !tar.HasExited)
                {
                    try { tar.Kill(); } catch (InvalidOperationException) { /* ended meanwhile */ }
                    tar.WaitForExit();
                }
                tar?.Dispose();
            }
            return items;
        }

        /// <summary>Copies host files and folders (recursively) into the guest folder <paramref name="guestFolder"/> (made when missing).</summary>
        public async Task ToGuestAsync(IReadOnlyList<string> hostPaths, string guestFolder, IProgress<SyncProgress> progress, CancellationToken ct)
        {
            var entries = new List<HostEntry>();
            foreach (string item in hostPaths)
            {
                FileSystemInfo info = Directory.Exists(item) ? new DirectoryInfo(item) : (FileSystemInfo)new FileInfo(item);
                info.Refresh();
                // A missing path reads as every attribute set (-1); a dangling symlink is there and copied as a link.
                bool present = info.Exists || ((int)info.Attributes != -1 && UnixFileMetadata.IsSymlink(info));
                if (!present)
                {
                    throw new DfVmException(HostPathNotFound, DfVmErrorKind.NotFound, $"Cannot find '{item}' on this machine.", item);
                }
                Add(entries, info, info.Name);
            }
            var sender = new TarSender(entries, new ProgressThrottle(progress));
            var outcome = await _shell.CaptureAsync("mkdir -p " + Quote(guestFolder) + " && tar -xpf - -C " + Quote(guestFolder),
                sender.WriteAsync, null, null, ct).ConfigureAwait(false);
            var errors = outcome.Error.Lines();
            if (outcome.ExitCode != 0 || sender.StreamError != null || sender.Problems.Count > 0)
            {
                throw new DfVmException(CopyFailed, DfVmErrorKind.InvalidOperation,
                    $"Copying to {_vm}:{guestFolder} failed: {string.Join(" ", errors.Concat(sender.Problems).Concat(sender.StreamError == null ? new string[0] : new[] { sender.StreamError.Message }))}", guestFolder);
            }
        }

        private static void Add(List<HostEntry> entries, FileSystemInfo info, string rel)
        {
            long mtime = info.LastWriteTimeUtc.Ticks;
            if (UnixFileMetadata.IsSymlink(info))
            {
                entries.Add(new HostEntry(rel, info.FullName, SyncEntryType.Symlink, 0, mtime, 0x1FF, UnixFileMetadata.GetLinkTarget(info) ?? string.Empty));
            }
            else if (info is DirectoryInfo dir)
            {
                entries.Add(new HostEntry(rel, info.FullName, SyncEntryType.Directory, 0, mtime, UnixFileMetadata.GetMode(info, true), null));
                foreach (var child in dir.GetFileSystemInfos().OrderBy(c => c.Name, StringComparer.Ordinal))
                {
                    Add(entries, child, rel + "/" + child.Name);
                }
            }
            else
            {
                entries.Add(new HostEntry(rel, info.FullName, SyncEntryType.File, ((FileInfo)info).Length, mtime, UnixFileMetadata.GetMode(info, false), null));
            }
        }

        private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

        private static string QuoteArg(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
    }
}
