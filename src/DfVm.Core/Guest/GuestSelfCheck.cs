using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Install;
using DfVm.Core.Instances;
using DfVm.Core.Ssh;
using DfVm.Core.Sync;

namespace DfVm.Core.Guest
{
    /// <summary>One check the self-check knows: its name, what DfVm uses it for, and how to fix it.</summary>
    public sealed class GuestCheckSpec
    {
        internal GuestCheckSpec(string name, string usedBy, string fix)
        {
            Name = name;
            UsedBy = usedBy;
            Fix = fix;
        }

        public string Name { get; }
        public string UsedBy { get; }
        public string Fix { get; }
    }

    /// <summary>
    /// Checks, on the running guest, every assumption DfVm makes there: each command it runs with
    /// the flags it uses, the doas rule, Go and its build cache, the file system types the suites
    /// mount, the serial console, free space and the clock. One guest round trip: selfcheck.sh goes
    /// on stdin to <c>/bin/sh -s</c> and prints one <c>DFVM-CHECK name ok|fail text</c> line per check.
    /// Every byte that comes back is untrusted: only names of <see cref="Checks"/> are read, each once,
    /// the text is bounded and stripped of control characters, and the limits (Go version, free space,
    /// clock skew) are applied here, not in the guest. The Fix texts are DfVm's own.
    /// </summary>
    public sealed class GuestSelfCheck
    {
        public const string ScriptName = "selfcheck.sh";
        private const string ResourceName = "DfVm.Core.Guest." + ScriptName;
        private const string Prefix = "DFVM-CHECK ";

        /// <summary>The oldest Go whose `go test -json` output DfVm's parser is tested against (tests/fixtures/gotest/recorded/go1.19-*).</summary>
        public static readonly Version MinimumGo = new Version(1, 19);

        /// <summary>The least free space in the file system of the guest project path (the build cache and test binaries go there too).</summary>
        public const long MinimumFreeKB = 1024 * 1024;

        /// <summary>The most the guest clock may differ from the host's.</summary>
        public static readonly TimeSpan MaxClockSkew = TimeSpan.FromSeconds(5);

        /// <summary>The most text kept of one check's Found.</summary>
        public const int MaxFoundChars = 300;

        /// <summary>Output lines looked at (a script that prints more is not this one).</summary>
        public const int MaxLines = 200;

        /// <summary>The long file name in the test archive: longer than ustar's 100 bytes, so it travels in a pax path record.</summary>
        internal static readonly string PaxName = "dfvm-selfcheck-" + new string('p', 100) + "-long-name.txt";

        /// <summary>The checks, in the order they are reported.</summary>
        public static IReadOnlyList<GuestCheckSpec> Checks { get; } = Array.AsReadOnly(new[]
        {
            new GuestCheckSpec("clock", "test timestamps, go's build cache and file times after a sync (Restore-DfVmSnapshot sets the clock of a resumed guest)",
                "Set the guest's clock: as root `date -u YYYYMMDDhhmm.ss`, and keep it right with dntpd (dntpd_enable=\"YES\" in /etc/rc.conf). Restore-DfVmSnapshot sets it after a live restore."),
            new GuestCheckSpec("tar-extract", "Sync-DfVmProject and Copy-DfVmItem stream pax archives into `tar -xpf -` (/usr/bin/tar first)",
                "Use the base system's bsdtar as `tar` (/usr/bin/tar on DragonFly); a tar that cannot read pax headers loses long names and symlinks."),
            new GuestCheckSpec("tar-create", "Copy-DfVmItem -FromGuest runs `tar -cf - -- ./name`",
                "Use the base system's bsdtar as `tar` (/usr/bin/tar)."),
            new GuestCheckSpec("uuencode", "Copy-DfVmItem -FromGuest pipes the archive through `uuencode -m -`",
                "uuencode is in DragonFly's base system (/usr/bin/uuencode): put it back, or reinstall the base system."),
            new GuestCheckSpec("sha256", "Sync-DfVmProject -Verify hashes guest files with `sha256 -r` (or sha256sum where there is one)",
                "sha256 is in DragonFly's base system (/sbin/sha256): put it back; it must print `hash name` with -r."),
            new GuestCheckSpec("find", "the sync lists the guest with `find . -print0` and -prune; the go exec wrapper prunes its cache with -mindepth/-maxdepth/-mtime",
                "Use the base system's find(1) (/usr/bin/find)."),
            new GuestCheckSpec("od", "the sync listing travels as `od -A n -v -t x1`",
                "Use the base system's od(1) (/usr/bin/od)."),
            new GuestCheckSpec("gzip", "the go exec wrapper (-BuildOn Host) sends test binaries gzip'ed and runs `gzip -dc`",
                "gzip is in DragonFly's base system (/usr/bin/gzip): put it back."),
            new GuestCheckSpec("pgrep", "the go exec wrapper ends a test binary's process tree with `pgrep -P` when the host side goes away",
                "pgrep is in DragonFly's base system (/bin/pgrep): put it back. Without it a cancelled test binary leaves its processes running."),
            new GuestCheckSpec("ps", "ending a cancelled command or elevated run reads the process table with `ps -ax -o pid= -o ppid=`",
                "ps is in DragonFly's base system (/bin/ps): put it back. Without it a cancelled command leaves its processes running."),
            new GuestCheckSpec("doas", "elevated suites (Elevate) and the go exec wrapper run `doas -n` as the SSH user",
                "As root: `pkg install -y doas`, then add `permit nopass keepenv <user> as root` for the SSH user to /usr/local/etc/doas.conf (Invoke-DfVmProvision writes DfVm's rules)."),
            new GuestCheckSpec("go", "every suite runs `go test -json` in the guest",
                "As root: `pkg install -y go` (Go " + MinimumGo + " or later), with go on the SSH user's PATH (/usr/local/bin)."),
            new GuestCheckSpec("go-cache", "go test builds into `go env GOCACHE`; Install-DfVm warms it",
                "Make `go env GOCACHE` a folder the SSH user can write: fix its owner (chown -R <user> ~/.cache/go-build), or set it with `go env -w GOCACHE=/path`."),
            new GuestCheckSpec("vfs-nullfs", "root-only suites build worker chroots from read-only and read-write nullfs mounts",
                "Boot a kernel with `options NULLFS` (X86_64_GENERIC has it), or `kldload nullfs` as root."),
            new GuestCheckSpec("vfs-tmpfs", "root-only suites mount tmpfs for worker roots, /usr/local and /construction",
                "Boot a kernel with `options TMPFS` (X86_64_GENERIC has it), or `kldload tmpfs` as root."),
            new GuestCheckSpec("vfs-devfs", "root-only suites mount devfs on each worker's /dev",
                "devfs is part of every DragonFly kernel: a kernel without it is not a DragonFly DfVm can test on."),
            new GuestCheckSpec("vfs-procfs", "root-only suites mount procfs on each worker's /proc",
                "Boot a kernel with `options PROCFS` (X86_64_GENERIC has it), or `kldload procfs` as root."),
            new GuestCheckSpec("serial-console", "DfVm reads kernel panics and install progress from the serial port (the VM's serial log)",
                "Put console=\"comconsole\" in /boot/loader.conf (Install-DfVm -Unattended writes it) and restart the VM; a Linux guest needs console=ttyS0 on its kernel command line."),
            new GuestCheckSpec("disk-free", "the synced project, go's build cache and test binaries go into the guest project path's file system",
                "Free space in the guest (`go clean -cache`, old test output), or make the VM with a bigger disk (New-DfVm -DiskSizeGB)."),
            new GuestCheckSpec("uname", "-BuildOn Host builds for the GOOS/GOARCH `uname -s` / `uname -m` name",
                "uname must name the guest's real system and machine (DragonFly, x86_64)."),
        });

        private static readonly HashSet<string> KnownGoos = new HashSet<string>(StringComparer.Ordinal) { "dragonfly", "freebsd", "netbsd", "openbsd", "linux" };
        private static readonly HashSet<string> KnownGoarch = new HashSet<string>(StringComparer.Ordinal) { "amd64", "arm64", "386" };
        private static readonly Regex GoVersion = new Regex(@"\bgo(\d{1,3})\.(\d{1,4})(?:\.(\d{1,4}))?", RegexOptions.CultureInvariant);

        private readonly VmController _controller;

        public GuestSelfCheck(VmController controller)
        {
            _controller = controller ?? throw new ArgumentNullException(nameof(controller));
        }

        /// <summary>The shipped script (without the prefix that writes the test archive).</summary>
        public static string ScriptBody()
        {
            using (var stream = typeof(GuestSelfCheck).Assembly.GetManifestResourceStream(ResourceName))
            {
                if (stream == null) throw new InvalidOperationException("The module was built without " + ResourceName + ".");
                using (var reader = new StreamReader(stream, new UTF8Encoding(false)))
                    return reader.ReadToEnd().Replace("\r\n", "\n");
            }
        }

        /// <summary>The sh command line: the script on stdin, the guest project path as $1.</summary>
        public static string CommandFor(string guestProjectPath)
        {
            string p = string.IsNullOrEmpty(guestProjectPath) ? "/" : guestProjectPath;
            if (p[0] != '/' || p.IndexOf('\n') >= 0 || p.IndexOf('\r') >= 0 || p.IndexOf('\0') >= 0)
                throw new DfVmException(InstallErrorIds.InvalidGuestPath, DfVmErrorKind.InvalidArgument,
                    $"'{guestProjectPath}' is not an absolute guest path (one line, starting with /).");
            return "/bin/sh -s -- " + GuestCommandLine.SingleQuote(p);
        }

        /// <summary>The whole text sent: the prefix (pax_name, write_pax) and the shipped script.</summary>
        public static string Script() => ArchivePrefix(out _) + ScriptBody();

        /// <summary>The script as -Verbose shows it: the archive's printf lines summed up in one comment.</summary>
        public static string ScriptForDisplay()
        {
            ArchivePrefix(out int archiveBytes);
            return "pax_name='" + PaxName + "'\n"
                + "write_pax() { ... }  # printf of the " + archiveBytes + "-byte pax archive DfVm's tar writer makes (a folder, a file with that long name, a symlink) into \"$1\"\n"
                + ScriptBody();
        }

        private static string ArchivePrefix(out int archiveBytes)
        {
            byte[] archive = TestArchive();
            archiveBytes = archive.Length;
            var sb = new StringBuilder();
            sb.Append("pax_name='").Append(PaxName).Append("'\n");
            sb.Append("write_pax() {\n    : >\"$1\" || return 1\n");
            for (int i = 0; i < archive.Length; i += 256)
            {
                sb.Append("    printf '");
                for (int j = i; j < Math.Min(archive.Length, i + 256); j++)
                {
                    byte b = archive[j];
                    bool plain = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '.' || b == '-' || b == '_' || b == ' ';
                    if (plain) sb.Append((char)b);
                    else sb.Append('\\').Append(Convert.ToString(b, 8).PadLeft(3, '0'));
                }
                sb.Append("' >>\"$1\" || return 1\n");
            }
            sb.Append("}\n");
            return sb.ToString();
        }

        /// <summary>A pax archive as the sync sends it: dfvm-pax/, dfvm-pax/&lt;long name&gt; ("dfvm pax check"), dfvm-pax/link → that file.</summary>
        internal static byte[] TestArchive()
        {
            long mtime = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc).Ticks;
            byte[] content = Encoding.ASCII.GetBytes("dfvm pax check\n");
            using (var ms = new MemoryStream())
            {
                var w = new PaxTarWriter(ms, 4096);
                w.WriteDirectoryAsync(new HostEntry("dfvm-pax", "", SyncEntryType.Directory, 0, mtime, 0x1ED, null), CancellationToken.None).GetAwaiter().GetResult();
                using (var src = new MemoryStream(content))
                    w.WriteFileAsync(new HostEntry("dfvm-pax/" + PaxName, "", SyncEntryType.File, content.Length, mtime, 0x1A4, null), src, null, CancellationToken.None).GetAwaiter().GetResult();
                w.WriteSymlinkAsync(new HostEntry("dfvm-pax/link", "", SyncEntryType.Symlink, 0, mtime, 0x1FF, PaxName), CancellationToken.None).GetAwaiter().GetResult();
                w.FinishAsync(CancellationToken.None).GetAwaiter().GetResult();
                return ms.ToArray();
            }
        }

        /// <summary>Runs every check in one round trip and returns one row per check, in <see cref="Checks"/> order.</summary>
        public async Task<IReadOnlyList<DfVmGuestCheck>> RunAsync(VmPaths paths, string guestProjectPath, IOperationReporter reporter, CancellationToken ct)
        {
            string command = CommandFor(guestProjectPath);
            byte[] script = new UTF8Encoding(false).GetBytes(Script());
            reporter?.Verbose($"Checking VM '{paths.Name}': guest $ {command} <<'EOF'\n{ScriptForDisplay()}EOF");
            for (int attempt = 1; ; attempt++)
            {
                var reader = new Reader();
                try
                {
                    var result = await _controller.InvokeCommandAsync(paths, command, line => reader.Feed(line, DateTime.UtcNow), reporter, ct, null,
                        async (stdin, token) =>
                        {
                            await stdin.WriteAsync(script, 0, script.Length, token).ConfigureAwait(false);
                            await stdin.FlushAsync(token).ConfigureAwait(false);
                        }).ConfigureAwait(false);
                    return reader.Rows(paths.Name, result.ExitCode, result.Error);
                }
                catch (InvalidOperationException e) when (attempt < 3 && !ct.IsCancellationRequested)
                {
                    // SSH.NET refused the stdin stream: nothing ran (as in ProvisionRunner); the checks change nothing.
                    reporter?.Verbose($"The self-check script could not be sent ({e.Message}); trying again.");
                    await Task.Delay(500, ct).ConfigureAwait(false);
                }
            }
        }

        /// <summary>The error for failed rows: names each failed check and what was found.</summary>
        public static DfVmException Failure(string vmName, IReadOnlyList<DfVmGuestCheck> rows, string context = null)
        {
            var failed = rows.Where(r => !r.Passed).ToList();
            var sb = new StringBuilder();
            sb.Append($"VM '{vmName}' failed {failed.Count} of {rows.Count} guest self-check(s): {string.Join(", ", failed.Select(r => r.Name))}.");
            foreach (var r in failed) sb.Append($"\n  {r.Name}: {r.Found}. Fix: {r.Fix}");
            if (!string.IsNullOrEmpty(context)) sb.Append('\n').Append(context);
            return new DfVmException(GuestCheckErrorIds.GuestSelfCheckFailed, DfVmErrorKind.InvalidOperation, sb.ToString(), vmName);
        }

        /// <summary>Keeps printable text only (no control characters, no terminal escapes), one line, bounded.</summary>
        internal static string Clean(string text)
        {
            var sb = new StringBuilder(Math.Min(text?.Length ?? 0, MaxFoundChars));
            foreach (char c in text ?? "")
            {
                if (sb.Length >= MaxFoundChars) break;
                if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == '\u2028' || c == '\u2029' || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069') || char.IsSurrogate(c)) sb.Append(' ');
                else sb.Append(c);
            }
            return sb.ToString().Trim();
        }

        /// <summary>Reads the script's lines as they arrive (the clock line is timed on arrival) and makes the rows.</summary>
        internal sealed class Reader
        {
            private readonly Dictionary<string, (bool ok, string text, DateTime at)> _seen = new Dictionary<string, (bool, string, DateTime)>(StringComparer.Ordinal);
            private int _lines;

            public void Feed(string line, DateTime arrivedUtc)
            {
                lock (_seen)
                {
                    if (++_lines > MaxLines || line == null || !line.StartsWith(Prefix, StringComparison.Ordinal)) return;
                    string rest = line.Length > 2000 ? line.Substring(Prefix.Length, 2000 - Prefix.Length) : line.Substring(Prefix.Length);
                    int sp = rest.IndexOf(' ');
                    if (sp <= 0) return;
                    string name = rest.Substring(0, sp);
                    if (!Checks.Any(c => c.Name == name) || _seen.ContainsKey(name)) return; // a fixed list; first answer only
                    rest = rest.Substring(sp + 1);
                    sp = rest.IndexOf(' ');
                    string status = sp < 0 ? rest : rest.Substring(0, sp);
                    string text = sp < 0 ? "" : rest.Substring(sp + 1);
                    if (status != "ok" && status != "fail") _seen[name] = (false, "unreadable answer: " + Clean(rest), arrivedUtc);
                    else _seen[name] = (status == "ok", Clean(text), arrivedUtc);
                }
            }

            public IReadOnlyList<DfVmGuestCheck> Rows(string vmName, int exitCode, string error)
            {
                var rows = new List<DfVmGuestCheck>();
                lock (_seen)
                {
                    foreach (var spec in Checks)
                    {
                        var row = new DfVmGuestCheck { VmName = vmName, Name = spec.Name, Fix = spec.Fix, UsedBy = spec.UsedBy };
                        if (!_seen.TryGetValue(spec.Name, out var answer))
                        {
                            string err = Clean((error ?? "").Split('\n').LastOrDefault(l => l.Trim().Length > 0) ?? "");
                            row.Passed = false;
                            row.Found = $"no answer: the check script ended before it (exit {exitCode}{(err.Length > 0 ? ": " + err : "")})";
                        }
                        else
                        {
                            row.Passed = answer.ok;
                            row.Found = answer.text;
                            if (answer.ok) Judge(row, answer.text, answer.at);
                        }
                        rows.Add(row);
                    }
                }
                return rows;
            }
        }

        /// <summary>The limits, applied on the host to what the guest printed.</summary>
        private static void Judge(DfVmGuestCheck row, string text, DateTime arrivedUtc)
        {
            switch (row.Name)
            {
                case "clock":
                    if (text.Length == 0 || text.Length > 12 || !text.All(c => c >= '0' && c <= '9'))
                    {
                        Fail(row, $"`date -u +%s` printed '{text}', not a number of seconds");
                        return;
                    }
                    var guest = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(long.Parse(text, CultureInfo.InvariantCulture));
                    double skew = (guest - arrivedUtc).TotalSeconds;
                    // date prints whole seconds, and the line takes a moment to arrive: up to a second behind is exact.
                    double off = skew > 0 ? skew : Math.Min(0, skew + 1);
                    string what = $"guest {guest:yyyy-MM-dd HH:mm:ss}Z, host {arrivedUtc:yyyy-MM-dd HH:mm:ss}Z: {(Math.Abs(off) < 0.5 ? "in step" : $"{Math.Abs(off):0} s {(off > 0 ? "ahead" : "behind")}")}";
                    row.Found = what;
                    if (Math.Abs(off) > MaxClockSkew.TotalSeconds) Fail(row, what + $" (more than {MaxClockSkew.TotalSeconds:0} s)");
                    return;
                case "go":
                    var m = GoVersion.Match(text);
                    if (!m.Success)
                    {
                        Fail(row, $"no Go version in '{text}'");
                        return;
                    }
                    var v = new Version(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
                    if (v < MinimumGo) Fail(row, $"older than Go {MinimumGo}: {text}");
                    return;
                case "disk-free":
                    int sp = text.IndexOf(' ');
                    string kb = sp < 0 ? text : text.Substring(0, sp);
                    string where = sp < 0 ? "" : text.Substring(sp + 1);
                    if (kb.Length == 0 || kb.Length > 15 || !kb.All(c => c >= '0' && c <= '9'))
                    {
                        Fail(row, $"df -k printed no free space: '{text}'");
                        return;
                    }
                    long free = long.Parse(kb, CultureInfo.InvariantCulture);
                    row.Found = $"{Size(free)} free in the file system of {where}";
                    if (free < MinimumFreeKB) Fail(row, row.Found + $" (less than {Size(MinimumFreeKB)})");
                    return;
                case "uname":
                    var parts = text.Split(' ');
                    var target = parts.Length >= 2 ? GoExec.HostGoTarget.FromUname(parts[0], parts[1]) : null;
                    if (target == null || !KnownGoos.Contains(target.Item1) || !KnownGoarch.Contains(target.Item2))
                        Fail(row, $"uname -s -m -r: '{text}' names no Go target DfVm builds for");
                    else row.Found = $"{text} (GOOS={target.Item1} GOARCH={target.Item2})";
                    return;
            }
        }

        private static void Fail(DfVmGuestCheck row, string found)
        {
            row.Passed = false;
            row.Found = Clean(found);
        }

        private static string Size(long kb) =>
            kb >= 1024 * 1024 ? (kb / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " GiB" : (kb / 1024).ToString(CultureInfo.InvariantCulture) + " MiB";
    }
}
