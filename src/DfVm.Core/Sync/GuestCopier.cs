using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Ssh;

namespace DfVm.Core.Sync
{
    /// <summary>
    /// Copies files and folders between the host and the guest as one tar stream over SSH, keeping
    /// modes and times. Host to guest: the sync's PaxTarWriter/TarSender into the guest's tar.
    /// Guest to host: the guest's tar (bsdtar on DragonFly), base64-armoured with POSIX
    /// `uuencode -m` because guest commands hand back text lines, read here entry by entry
    /// (<see cref="GuestTarExtractor"/>): the host never runs tar on the guest's bytes.
    /// </summary>
    public sealed class GuestCopier
    {
        public const string GuestPathNotFound = nameof(GuestPathNotFound);
        public const string HostPathNotFound = nameof(HostPathNotFound);
        public const string CopyFailed = nameof(CopyFailed);
        /// <summary>-FromGuest without -Force: a file or symlink of the same name is on the host already (nothing was written).</summary>
        public const string DestinationExists = nameof(DestinationExists);
        /// <summary>-FromGuest: what the guest sent is not a valid list and archive (nothing was written).</summary>
        public const string GuestArchiveInvalid = nameof(GuestArchiveInvalid);
        /// <summary>-FromGuest: the warning id of an archive entry that was not copied (device node, link out of the tree, ...).</summary>
        public const string CopySkippedEntry = nameof(CopySkippedEntry);
        /// <summary>The name of the folder a copy from the guest unpacks into before it moves the items into place.</summary>
        public const string TempPrefix = ".dfvm-copy-";
        private const int MaxArmourLine = 1024;
        private const int MaxNamesBytes = 16 * 1024 * 1024;
        private const int MaxStrayLines = 100;
        private static readonly char[] Wildcards = { '*', '?', '[' };
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
        /// The guest is untrusted: its archive is read here, entry by entry (<see cref="GuestTarExtractor"/>),
        /// into a DfVm-named folder beside the items, and moved into place only when all of it arrived;
        /// what is not a plain file, folder or inside-pointing symlink is skipped and told to
        /// <paramref name="onSkipped"/>. Without <paramref name="force"/> an existing file or link is
        /// DestinationExists and nothing is written; with it, it is replaced (never a folder by a file).
        /// </summary>
        public async Task<IReadOnlyList<string>> FromGuestAsync(string guestPath, string hostFolder, bool force, IProgress<SyncProgress> progress, Action<string> onSkipped, CancellationToken ct)
        {
            string trimmed = guestPath.Length > 1 ? guestPath.TrimEnd('/') : guestPath;
            int slash = trimmed.LastIndexOf('/');
            string dir = slash <= 0 ? "/" : trimmed.Substring(0, slash);
            string last = trimmed.Substring(slash + 1);
            if (dir.IndexOfAny(Wildcards) >= 0 || last.Length == 0 || last == "." || last == ".." || guestPath.IndexOf('\0') >= 0)
            {
                throw new DfVmException(GuestPathNotFound, DfVmErrorKind.InvalidArgument,
                    $"'{GuestTarExtractor.Printable(guestPath)}': name a file or folder; only the last part of a guest path may hold wildcards.", guestPath);
            }
            string word = GlobWord(last, guestPath, out string pattern, out bool glob);
            Func<string, bool> asked = name => glob ? WildMatch.IsMatch(pattern, name, true) : name == last;

            string host = Path.GetFullPath(hostFolder);
            HostNodeKind destKind = HostFileOps.Kind(host);
            if (destKind == HostNodeKind.File || destKind == HostNodeKind.Symlink && !Directory.Exists(host))
            {
                throw new DfVmException(CopyFailed, DfVmErrorKind.InvalidArgument, $"The destination '{host}' is not a folder.", hostFolder);
            }
            // The items arrive in a DfVm-named folder on the destination's file system (inside it when it
            // exists, else in its nearest existing parent), so the last step is a rename and a copy cut
            // short leaves no half-written file under a real name.
            string anchor = Directory.Exists(host) ? host : NearestExisting(host);
            RemoveAbandoned(anchor);
            string temp = Path.Combine(anchor, TempPrefix + CurrentPid + "-" + Guid.NewGuid().ToString("N").Substring(0, 12));
            Directory.CreateDirectory(temp);
            try
            {
                var names = new List<string>();
                var received = await ReceiveAsync(dir, word, guestPath, asked, temp, names, progress, onSkipped, ct).ConfigureAwait(false);
                ct.ThrowIfCancellationRequested();
                var made = new HashSet<string>(received, StringComparer.Ordinal);
                var tops = names.Where(made.Contains).ToList();

                var conflicts = new List<string>();
                foreach (string name in tops) FindConflicts(Path.Combine(temp, name), Path.Combine(host, name), force, conflicts);
                if (conflicts.Count > 0)
                {
                    throw new DfVmException(DestinationExists, DfVmErrorKind.ResourceExists,
                        $"Copying '{guestPath}' from VM '{_vm}' would replace what is on this machine; nothing was copied: {string.Join("; ", conflicts.Take(10))}{(conflicts.Count > 10 ? $" (and {conflicts.Count - 10} more)" : "")}.", hostFolder);
                }
                Directory.CreateDirectory(host);
                foreach (string name in tops) MoveIntoPlace(Path.Combine(temp, name), Path.Combine(host, name));
                return tops.Select(n => Path.Combine(host, n)).ToList();
            }
            catch (IOException e)
            {
                throw new DfVmException(CopyFailed, DfVmErrorKind.InvalidOperation, $"Copying '{guestPath}' from VM '{_vm}' failed on this machine: {e.Message}", hostFolder, e);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new DfVmException(CopyFailed, DfVmErrorKind.InvalidOperation, $"Copying '{guestPath}' from VM '{_vm}' failed on this machine: {e.Message}", hostFolder, e);
            }
            finally
            {
                try { HostFileOps.Remove(temp); } catch (Exception) { /* best effort: DfVm-named, a later copy never reads it */ }
            }
        }

        /// <summary>
        /// Runs the guest side and unpacks into <paramref name="temp"/>: first the matched names (NUL-separated,
        /// base64), then the archive (base64). Every line is checked; a bad one, or what the extractor refuses,
        /// cancels the guest command at once (nothing more is read or buffered). Returns the top-level names made.
        /// </summary>
        private async Task<IReadOnlyList<string>> ReceiveAsync(string dir, string word, string guestPath, Func<string, bool> asked, string temp,
            List<string> names, IProgress<SyncProgress> progress, Action<string> onSkipped, CancellationToken ct)
        {
            // $1.. are the matches; bsdtar gets "./name" (a name starting with '@' or '-C' is a name, not an
            // option: bsdtar reads both even after "--"); its exit status is kept through the pipe (fd 4).
            string script = "cd " + Quote(dir) + " 2>/dev/null || { echo '" + NoMatchMarker + "' >&2; exit 4; }; "
                + "set -- " + word + "; [ -e \"$1\" ] || [ -h \"$1\" ] || { echo '" + NoMatchMarker + "' >&2; exit 4; }; "
                + "for n in \"$@\"; do printf '%s\\0' \"$n\"; done | uuencode -m names; "
                + "c=$#; for n in \"$@\"; do set -- \"$@\" \"./$n\"; done; shift $c; "
                // tar is looked up on PATH by the script itself and run by its path: a shell that prefers its own
                // applet for a bare name (busybox ash) then runs the same tar as DragonFly's sh would.
                + "t=tar; o=$IFS; IFS=:; for d in $PATH; do if [ -x \"$d/tar\" ] && [ ! -d \"$d/tar\" ]; then t=\"$d/tar\"; break; fi; done; IFS=$o; "
                + "exec 3>&1; s=$( { { \"$t\" -cf - -- \"$@\"; echo $? >&4; } | uuencode -m - >&3; } 4>&1 ); "
                + "[ \"$s\" = 0 ] || { echo \"tar exited with $s\" >&2; exit 5; }";

            var extractor = new GuestTarExtractor(temp, asked,
                (name, why) =>
                {
                    onSkipped?.Invoke($"'{GuestTarExtractor.Printable(name)}' was not copied: {why}.");
                },
                () => FreeBytes(temp), Reserve(temp));
            var namesBytes = new MemoryStream();
            int block = 0; // 0 before the names, 1 names, 2 between, 3 archive, 4 after
            int stray = 0;
            bool noMatch = false;
            long bytes = 0;
            var errors = new List<string>();
            Exception failure = null;
            using (extractor)
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                void Fail(Exception e)
                {
                    if (failure != null) return;
                    failure = e;
                    try { linked.Cancel(); } catch (ObjectDisposedException) { }
                }

                void OnLine(string line)
                {
                    if (block == 1 || block == 3)
                    {
                        if (line == "====")
                        {
                            if (block == 1) AcceptNames(namesBytes, names, asked, guestPath);
                            block++;
                            return;
                        }
                        if (line.Length > MaxArmourLine) throw Invalid($"a line of {line.Length} characters in its base64 armour");
                        byte[] chunk;
                        try { chunk = Convert.FromBase64String(line); }
                        catch (FormatException) { throw Invalid("a line that is not base64 in its armour"); }
                        if (block == 1)
                        {
                            if (namesBytes.Length + chunk.Length > MaxNamesBytes) throw Invalid($"more than {MaxNamesBytes} bytes of names");
                            namesBytes.Write(chunk, 0, chunk.Length);
                            return;
                        }
                        extractor.Feed(chunk, 0, chunk.Length);
                        long before = bytes;
                        bytes += chunk.Length;
                        if (before >> 20 != bytes >> 20) progress?.Report(new SyncProgress("Receiving", 0, 0, bytes, 0, guestPath)); // each MiB
                        return;
                    }
                    if (block == 0 && line.StartsWith("begin-base64 ", StringComparison.Ordinal) && line.EndsWith(" names", StringComparison.Ordinal)) { block = 1; return; }
                    if (block == 2 && line.StartsWith("begin-base64 ", StringComparison.Ordinal) && line.EndsWith(" -", StringComparison.Ordinal)) { block = 3; return; }
                    if (++stray > MaxStrayLines) throw Invalid($"more than {MaxStrayLines} lines outside its archive");
                }

                GuestCommandOutcome outcome = null;
                try
                {
                    outcome = await _shell.RunAsync(script, null, line =>
                    {
                        if (failure != null) return;
                        try { OnLine(line); }
                        catch (Exception e) { Fail(e); }
                    }, line =>
                    {
                        if (line == NoMatchMarker) { noMatch = true; return; }
                        lock (errors)
                        {
                            if (errors.Count < 20) errors.Add(GuestTarExtractor.Printable(line.Length > 500 ? line.Substring(0, 500) + "..." : line));
                        }
                    }, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (failure != null && !ct.IsCancellationRequested)
                {
                    // The guest command was ended because of what it sent: say what.
                }
                if (failure != null)
                {
                    if (failure is DfVmException) throw failure;
                    if (failure is IOException || failure is UnauthorizedAccessException)
                    {
                        throw new DfVmException(CopyFailed, DfVmErrorKind.InvalidOperation, $"Copying '{guestPath}' from VM '{_vm}' failed on this machine: {failure.Message}", guestPath, failure);
                    }
                    throw new DfVmException(CopyFailed, DfVmErrorKind.InvalidOperation, $"Copying '{guestPath}' from VM '{_vm}' failed: {failure.Message}", guestPath, failure);
                }
                if (noMatch)
                {
                    throw new DfVmException(GuestPathNotFound, DfVmErrorKind.NotFound, $"Nothing in VM '{_vm}' matches '{GuestTarExtractor.Printable(guestPath)}'.", guestPath);
                }
                if (outcome.ExitCode != 0)
                {
                    throw new DfVmException(CopyFailed, DfVmErrorKind.InvalidOperation,
                        $"Copying '{guestPath}' from VM '{_vm}' failed (exit {outcome.ExitCode}); nothing was copied: {string.Join(" ", errors)}", guestPath);
                }
                if (block != 4) throw Invalid(block < 2 ? "no list of the items" : "no archive");
                extractor.Finish();
                return extractor.TopLevel.ToList();
            }
        }

        private static void AcceptNames(MemoryStream bytes, List<string> names, Func<string, bool> asked, string guestPath)
        {
            var strict = new UTF8Encoding(false, true);
            byte[] all = bytes.ToArray();
            int start = 0;
            for (int i = 0; i < all.Length; i++)
            {
                if (all[i] != 0) continue;
                string name;
                try { name = strict.GetString(all, start, i - start); }
                catch (DecoderFallbackException) { throw Invalid("a name that is not UTF-8"); }
                start = i + 1;
                if (name.Length == 0 || name == "." || name == ".." || name.IndexOf('/') >= 0 || !asked(name))
                {
                    throw Invalid($"the item '{GuestTarExtractor.Printable(name)}', which '{GuestTarExtractor.Printable(guestPath)}' does not name");
                }
                if (!names.Contains(name)) names.Add(name);
            }
            if (start != all.Length || names.Count == 0) throw Invalid("a list of items that is cut short");
        }

        /// <summary>
        /// The last part of a guest path as one sh word: every character quoted except the wildcards
        /// '*', '?' and a bracket expression of plain characters; <paramref name="pattern"/> is the same
        /// pattern for <see cref="WildMatch"/> (each name the guest lists is checked against it here).
        /// </summary>
        internal static string GlobWord(string last, string guestPath, out string pattern, out bool glob)
        {
            var word = new StringBuilder();
            var pat = new StringBuilder();
            var literal = new StringBuilder();
            glob = false;
            void Flush()
            {
                if (literal.Length > 0) word.Append(Quote(literal.ToString()));
                literal.Clear();
            }
            for (int i = 0; i < last.Length; i++)
            {
                char c = last[i];
                if (c == '*' || c == '?')
                {
                    Flush();
                    word.Append(c);
                    pat.Append(c);
                    glob = true;
                    continue;
                }
                if (c == '[')
                {
                    int close = last.IndexOf(']', i + 2);
                    if (close > i)
                    {
                        string inner = last.Substring(i + 1, close - i - 1);
                        bool negated = inner[0] == '!' || inner[0] == '^';
                        string set = negated ? inner.Substring(1) : inner;
                        if (set.Length == 0 || set.Any(ch => !(char.IsLetterOrDigit(ch) && ch < 128 || "._:+,=@%~-".IndexOf(ch) >= 0)))
                        {
                            throw new DfVmException(GuestPathNotFound, DfVmErrorKind.InvalidArgument,
                                $"'{GuestTarExtractor.Printable(guestPath)}': a bracket wildcard may hold only letters, digits and . _ : + , = @ % ~ - (and a leading ! or ^).", guestPath);
                        }
                        Flush();
                        word.Append('[').Append(negated ? "!" : "").Append(set).Append(']');
                        pat.Append('[').Append(negated ? "!" : "").Append(set).Append(']');
                        glob = true;
                        i = close;
                        continue;
                    }
                }
                literal.Append(c);
                if (c == '\\' || c == '[' || c == '*' || c == '?') pat.Append('\\');
                pat.Append(c);
            }
            Flush();
            pattern = pat.ToString();
            return word.ToString();
        }

        private static void FindConflicts(string from, string to, bool force, List<string> conflicts)
        {
            HostNodeKind there = HostFileOps.Kind(to);
            if (there == HostNodeKind.Missing) return;
            bool folder = HostFileOps.Kind(from) == HostNodeKind.Directory;
            if (there == HostNodeKind.Directory)
            {
                if (!folder)
                {
                    conflicts.Add($"'{GuestTarExtractor.Printable(to)}' is a folder and a file cannot replace it");
                    return;
                }
                foreach (string child in Directory.EnumerateFileSystemEntries(from))
                {
                    FindConflicts(child, Path.Combine(to, Path.GetFileName(child)), force, conflicts);
                }
                return;
            }
            if (!force) conflicts.Add($"'{GuestTarExtractor.Printable(to)}' exists (-Force replaces it)");
        }

        /// <summary>
        /// Moves what was received into place by rename: a folder into a missing name, or merged into an
        /// existing folder (never into a symlink: with -Force the link itself is replaced); a file or symlink
        /// replaces a file or symlink at once (rename(2) never follows the link it replaces).
        /// </summary>
        private static void MoveIntoPlace(string from, string to)
        {
            HostNodeKind there = HostFileOps.Kind(to);
            bool folder = HostFileOps.Kind(from) == HostNodeKind.Directory;
            if (there == HostNodeKind.Directory && folder)
            {
                foreach (string child in Directory.EnumerateFileSystemEntries(from).ToList())
                {
                    MoveIntoPlace(child, Path.Combine(to, Path.GetFileName(child)));
                }
                var info = new DirectoryInfo(from);
                HostFileOps.Chmod(to, UnixFileMetadata.GetMode(info, true) & 0x1FF);
                Directory.SetLastWriteTimeUtc(to, info.LastWriteTimeUtc);
                Directory.Delete(from);
                return;
            }
            if (folder && there != HostNodeKind.Missing) File.Delete(to); // a file or symlink where the folder goes (-Force)
            HostFileOps.Rename(from, to);
        }

        private static readonly int CurrentPid = System.Diagnostics.Process.GetCurrentProcess().Id;

        /// <summary>
        /// Removes the folders a copy killed before it could clean up (kill -9) left in <paramref name="folder"/>:
        /// DfVm-named, with the pid of a process that is gone. A running copy's folder is left alone.
        /// </summary>
        private static void RemoveAbandoned(string folder)
        {
            try
            {
                foreach (string d in Directory.EnumerateDirectories(folder, TempPrefix + "*"))
                {
                    string rest = Path.GetFileName(d).Substring(TempPrefix.Length);
                    int dash = rest.IndexOf('-');
                    if (dash <= 0 || !int.TryParse(rest.Substring(0, dash), out int pid) || HostFileOps.Kind(d) != HostNodeKind.Directory) continue;
                    bool alive;
                    try { using (System.Diagnostics.Process.GetProcessById(pid)) alive = true; }
                    catch (ArgumentException) { alive = false; }
                    if (!alive) HostFileOps.Remove(d);
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException) { /* best effort */ }
        }

        private static string NearestExisting(string path)
        {
            string p = Path.GetDirectoryName(path);
            while (p != null && !Directory.Exists(p)) p = Path.GetDirectoryName(p);
            return p ?? Path.GetPathRoot(path);
        }

        private static long FreeBytes(string folder)
        {
            try { return new DriveInfo(folder).AvailableFreeSpace; }
            catch (Exception e) when (e is IOException || e is ArgumentException || e is UnauthorizedAccessException) { return long.MaxValue; }
        }

        /// <summary>What must stay free on the host while a guest's archive is written: 1% of the file system, at most 256 MiB.</summary>
        private static long Reserve(string folder)
        {
            try { return Math.Min(256L * 1024 * 1024, new DriveInfo(folder).TotalSize / 100); }
            catch (Exception e) when (e is IOException || e is ArgumentException || e is UnauthorizedAccessException) { return 0; }
        }

        private static DfVmException Invalid(string what) =>
            new DfVmException(GuestArchiveInvalid, DfVmErrorKind.InvalidData, $"The guest sent {what}. Nothing was copied.", null);

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

        private static string Quote(string s) => GuestCommandLine.SingleQuote(s);
    }
}
