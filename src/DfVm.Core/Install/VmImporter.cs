using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Guest;
using DfVm.Core.Images;
using DfVm.Core.Instances;
using DfVm.Core.Qemu;
using DfVm.Core.Ssh;
using DfVm.Core.Util;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace DfVm.Core.Install
{
    /// <summary>What Import-DfVm is asked to do.</summary>
    public sealed class ImportOptions
    {
        /// <summary>The user's disk image (qcow2 or raw).</summary>
        public string ImagePath { get; set; }
        /// <summary>Copy the image into the VM (qemu-img convert) instead of using it as the read-only base.</summary>
        public bool Copy { get; set; }
        /// <summary>The new VM: name, memory, CPUs, port, accelerator, disk interface, direct boot (test guest).</summary>
        public VmDefinition Definition { get; set; }
        /// <summary>The user who logs in (root).</summary>
        public string User { get; set; } = "root";
        /// <summary>The user's password for the one first login (kept in memory only), or null.</summary>
        public string Password { get; set; }
        /// <summary>The user's own private key for the one first login, or null.</summary>
        public string KeyFile { get; set; }
        public TimeSpan BootTimeout { get; set; } = TimeSpan.FromMinutes(5);
        /// <summary>Make sshd key-only (password logins off): locks out a user who logs in by password. Only when asked.</summary>
        public bool DisablePasswordLogin { get; set; }
        public IReadOnlyList<string> ProjectDirectories { get; set; }
        /// <summary>The snapshot taken at the end (null: none).</summary>
        public string SnapshotName { get; set; } = "clean";
        /// <summary>The user's clean copy of the image (the Makefile workflow's dfly-vm-clean.qcow2): adopted first and kept as the 'clean' snapshot.</summary>
        public string CleanImagePath { get; set; }
    }

    /// <summary>
    /// Makes a DfVm VM from a disk the user already has: the image becomes the read-only base of
    /// the VM's disk (a qcow2 overlay; or a copy), the guest is booted, logged in to once with the
    /// user's password or key, given the VM's own ed25519 key, its host key pinned; then brought to
    /// what DfVm needs (adopt.sh, provision.sh: each change listed), checked, and snapshotted
    /// (<c>clean</c>). Any failure removes the VM it made; the image is never written.
    /// </summary>
    public sealed class VmImporter
    {
        public const string AdoptScriptName = "adopt.sh";
        private const string Marker = "DFVM-IMPORT: ";
        private const string ProvisionPrefix = "DFVM-PROVISION: ";
        private readonly DfVmEngine _engine;

        public VmImporter(DfVmEngine engine)
        {
            _engine = engine ?? throw new ArgumentNullException(nameof(engine));
        }

        private VmController Controller => _engine.Controller;

        public async Task<DfVmImportResult> ImportAsync(ImportOptions options, IOperationReporter reporter, CancellationToken ct)
        {
            if (options?.Definition == null) throw new ArgumentNullException(nameof(options));
            reporter = reporter ?? NullReporter.Instance;
            var watch = Stopwatch.StartNew();
            var def = options.Definition;
            VmStore.ValidateName(def.Name);
            string image = Path.GetFullPath(options.ImagePath ?? "");
            if (!File.Exists(image))
            {
                throw new DfVmException(ErrorIds.BaseImageNotFound, DfVmErrorKind.NotFound, $"Disk image not found: {image}.", def.Name);
            }
            if (_engine.Store.Exists(def.Name))
            {
                throw new DfVmException(ErrorIds.VmExists, DfVmErrorKind.ResourceExists,
                    $"VM '{def.Name}' already exists. Choose another name (-Name) or remove it with Remove-DfVm.", def.Name);
            }
            var info = await InspectAsync(image, def.Name, ct).ConfigureAwait(false);
            reporter.Verbose($"{image}: {info.Item1}, {info.Item2 / (1024.0 * 1024 * 1024):0.#} GiB virtual.");
            string cleanImage = null;
            Tuple<string, long> cleanInfo = null;
            if (!string.IsNullOrEmpty(options.CleanImagePath))
            {
                cleanImage = Path.GetFullPath(options.CleanImagePath);
                if (!File.Exists(cleanImage))
                {
                    throw new DfVmException(ErrorIds.BaseImageNotFound, DfVmErrorKind.NotFound, $"Clean disk image not found: {cleanImage}.", def.Name);
                }
                if (string.Equals(cleanImage, image, StringComparison.Ordinal))
                {
                    throw new DfVmException(ErrorIds.CleanImageInvalid, DfVmErrorKind.InvalidArgument,
                        $"-CleanImage names the image itself ({image}); give the clean copy (the Makefile workflow's vm/dfly-vm-clean.qcow2), or leave -CleanImage out.", def.Name);
                }
                cleanInfo = await InspectAsync(cleanImage, def.Name, ct).ConfigureAwait(false);
                reporter.Verbose($"{cleanImage} (the clean copy): {cleanInfo.Item1}, {cleanInfo.Item2 / (1024.0 * 1024 * 1024):0.#} GiB virtual.");
            }

            def.SshUser = options.User ?? "root";
            def.DiskSizeGB = (int)Math.Max(1, (Math.Max(info.Item2, cleanInfo?.Item2 ?? 0) + (1L << 30) - 1) >> 30);
            if (def.Boot != null) def.Boot.AuthKeyArgument = false; // the disk's own authorized_keys, nothing from the command line
            // With a clean copy the VM is first made on it (the 'clean' snapshot), then moved onto the image.
            UseBase(def, options.Copy, cleanImage ?? image, (cleanInfo ?? info).Item1);

            var result = new DfVmImportResult { Name = def.Name, Image = image, ImageFormat = info.Item1, Copied = options.Copy, CleanImage = cleanImage };
            var changes = new List<string>();
            var kept = new List<string>();
            var warnings = new List<string>();
            var paths = await _engine.Factory.CreateAsync(def, false, reporter, ct).ConfigureAwait(false);
            try
            {
                if (cleanImage != null)
                {
                    // 1. The clean copy, brought to what DfVm needs and snapshotted as 'clean'.
                    await PlaceDiskAsync(paths, cleanImage, cleanInfo.Item1, options.Copy, reporter, ct).ConfigureAwait(false);
                    var clean = await AdoptDiskAsync(def, paths, options, true, "clean copy: ", changes, kept, warnings, reporter, ct).ConfigureAwait(false);
                    result.HostKeyFingerprint = clean.Fingerprint;
                    result.GuestOs = clean.GuestOs;
                    result.Snapshot = await TakeCleanSnapshotAsync(def, paths, options, clean, warnings, reporter, ct).ConfigureAwait(false);
                    await Controller.StopAsync(paths, false, TimeSpan.FromMinutes(2), reporter, ct).ConfigureAwait(false);

                    // 2. The image itself becomes the VM's disk; its host key must be the one pinned above
                    //    (a copy of the same VM), else HostKeyMismatch: the snapshot would not be that VM.
                    File.Delete(paths.Disk);
                    UseBase(def, options.Copy, image, info.Item1);
                    _engine.Store.SaveDefinition(paths, def);
                    await PlaceDiskAsync(paths, image, info.Item1, options.Copy, reporter, ct).ConfigureAwait(false);
                    var work = await AdoptDiskAsync(def, paths, options, false, "", changes, kept, warnings, reporter, ct).ConfigureAwait(false);
                    result.Checks = work.Checks.ToArray();
                }
                else
                {
                    await PlaceDiskAsync(paths, image, info.Item1, options.Copy, reporter, ct).ConfigureAwait(false);
                    var adopted = await AdoptDiskAsync(def, paths, options, true, "", changes, kept, warnings, reporter, ct).ConfigureAwait(false);
                    result.HostKeyFingerprint = adopted.Fingerprint;
                    result.GuestOs = adopted.GuestOs;
                    result.Checks = adopted.Checks.ToArray();
                    result.Snapshot = await TakeCleanSnapshotAsync(def, paths, options, adopted, warnings, reporter, ct).ConfigureAwait(false);
                }
            }
            catch (Exception e)
            {
                // Nothing half-made stays: the VM folder goes (the user's image was never written).
                reporter.Verbose($"Import of VM '{def.Name}' failed ({e.GetType().Name}): removing {paths.Directory}.");
                try { await _engine.Factory.RemoveAsync(paths, reporter, CancellationToken.None).ConfigureAwait(false); }
                catch (Exception cleanup) when (cleanup is IOException || cleanup is UnauthorizedAccessException || cleanup is DfVmException)
                {
                    reporter.Warning($"Could not remove the half-imported VM {paths.Directory}: {cleanup.Message}. Remove it with Remove-DfVm -Name {def.Name}.");
                }
                throw;
            }
            result.Changes = changes.ToArray();
            result.Kept = kept.ToArray();
            result.Warnings = warnings.ToArray();
            result.Duration = watch.Elapsed;
            result.Vm = await Controller.GetAsync(paths, ct, reporter).ConfigureAwait(false);
            return result;
        }

        private static void Note(List<string> changes, IEnumerable<string> made, IOperationReporter reporter)
        {
            foreach (var c in made)
            {
                changes.Add(c);
                reporter.Verbose("Changed: " + c);
            }
        }

        private static void UseBase(VmDefinition def, bool copy, string image, string format)
        {
            def.BaseImage = copy ? null : image;
            def.BaseImageFormat = copy || format == "qcow2" ? null : format;
        }

        private sealed class AdoptedDisk
        {
            public string Fingerprint;
            public string GuestOs;
            public bool ChecksPassed;
            public List<string> Checks;
        }

        /// <summary>
        /// Boots the VM's disk as the user left it, logs in once with what the user gave (pinning the
        /// host key when <paramref name="pinAnew"/>, else checking it against the pin), installs the
        /// VM's key, then adopt.sh, provision.sh and the self-check. Changes go to
        /// <paramref name="changes"/> with <paramref name="label"/> in front.
        /// </summary>
        private async Task<AdoptedDisk> AdoptDiskAsync(VmDefinition def, VmPaths paths, ImportOptions options, bool pinAnew, string label,
            List<string> changes, List<string> kept, List<string> warnings, IOperationReporter reporter, CancellationToken ct)
        {
            // 1. Boot, with the VM's key nowhere: the disk as the user left it.
            await Controller.StartAsync(paths, new StartOptions { NoWait = true, Timeout = options.BootTimeout }, reporter, ct).ConfigureAwait(false);
            int port = _engine.Store.LoadState(paths)?.SshPort ?? def.SshPort;
            await WaitForBannerAsync(def, paths, port, options.BootTimeout, reporter, ct).ConfigureAwait(false);

            // 2. First contact: the user's password or key, once; the host key pinned; the VM's key installed.
            string publicKey = File.ReadAllText(paths.PublicKey).Trim();
            var first = await FirstContactAsync(def, paths, port, options, publicKey, pinAnew, reporter, ct).ConfigureAwait(false);
            Note(changes, first.Changes.Select(c => label + c), reporter);
            kept.AddRange(first.Kept.Select(k => label + k));
            if (pinAnew && !string.Equals(first.GuestOs, "DragonFly", StringComparison.Ordinal))
            {
                warnings.Add($"The guest of VM '{def.Name}' is {(string.IsNullOrEmpty(first.GuestOs) ? "an unknown system" : first.GuestOs)}, not DragonFly: DfVm is made for DragonFly, so test results may not say what they would there.");
                reporter.Warning(warnings[warnings.Count - 1]);
            }
            if (first.GuestOs != null && first.GuestOs != "DragonFly") def.GuestOs = first.GuestOs.ToLowerInvariant();
            _engine.Store.SaveDefinition(paths, def);

            // 3. From here on only the VM's own key.
            await OwnKeyLoginAsync(def, paths, port, options.BootTimeout, reporter, ct).ConfigureAwait(false);
            reporter.Verbose($"VM '{def.Name}' answers with its own key ({paths.PrivateKey}).");

            // 4. What DfVm needs: adopt.sh (Go, sshd only when asked), then provision.sh (doas, project folders).
            var made = new List<string>();
            var keptHere = new List<string>();
            await RunAdoptAsync(paths, options, made, keptHere, reporter, ct).ConfigureAwait(false);
            kept.AddRange(keptHere.Select(k => label + k));
            var provision = await _engine.Provisioner.RunAsync(paths, options.ProjectDirectories, line => reporter.Verbose("[provision] " + line), reporter, ct).ConfigureAwait(false);
            if (!provision.Result.Succeeded) throw ProvisionRunner.Failure(provision);
            made.AddRange(provision.Changes.Select(c => "provision.sh: " + c));
            Note(changes, made.Select(c => label + c), reporter);

            // 5. The self-check.
            var check = await SelfCheckAsync(paths, options.ProjectDirectories, reporter, ct).ConfigureAwait(false);
            return new AdoptedDisk { Fingerprint = first.Fingerprint, GuestOs = first.GuestOs, ChecksPassed = check.Item1, Checks = check.Item2 };
        }

        /// <summary>The 'clean' snapshot, taken live, when every check passed; else a warning and no snapshot.</summary>
        private async Task<string> TakeCleanSnapshotAsync(VmDefinition def, VmPaths paths, ImportOptions options, AdoptedDisk adopted, List<string> warnings, IOperationReporter reporter, CancellationToken ct)
        {
            if (!adopted.ChecksPassed)
            {
                warnings.Add($"The guest of VM '{def.Name}' lacks what DfVm needs: {string.Join("; ", adopted.Checks.Where(l => !l.StartsWith("ok ", StringComparison.Ordinal)))}. No '{options.SnapshotName}' snapshot was taken; fix the guest (Invoke-DfVmCommand), then Checkpoint-DfVm.");
                reporter.Warning(warnings[warnings.Count - 1]);
                return null;
            }
            if (string.IsNullOrEmpty(options.SnapshotName)) return null;
            await _engine.Snapshots.CheckpointAsync(paths, options.SnapshotName, reporter, ct).ConfigureAwait(false);
            reporter.Verbose($"Took snapshot '{options.SnapshotName}' of VM '{def.Name}'.");
            return options.SnapshotName;
        }

        /// <summary>The VM's disk: an overlay of the image (only read), or with -Copy a copy of it.</summary>
        private static async Task PlaceDiskAsync(VmPaths paths, string image, string format, bool copy, IOperationReporter reporter, CancellationToken ct)
        {
            if (copy)
            {
                await CopyImageAsync(image, format, paths, reporter, ct).ConfigureAwait(false);
                return;
            }
            if (!File.Exists(paths.Disk))
            {
                await QemuImg.CreateOverlayAsync(paths.Disk, image, ct, backingFormat: format == "qcow2" ? null : format).ConfigureAwait(false);
            }
            reporter.Verbose($"The VM's disk {paths.Disk} is an overlay of {image}; the image is only read.");
        }

        // ---------- the image ----------

        /// <summary>
        /// (format, virtual size) from qemu-img info, opened as a writer would (no -U): a QEMU that has
        /// the image open for writing (a running VM) holds its lock, and that is ImageInUse.
        /// </summary>
        private static async Task<Tuple<string, long>> InspectAsync(string image, string name, CancellationToken ct)
        {
            var outcome = await ProcessRunner.RunAsync(QemuTools.Img, new[] { "info", "--output=json", image }, TimeSpan.FromMinutes(1), ct).ConfigureAwait(false);
            if (outcome.ExitCode != 0)
            {
                string err = (outcome.StdErr ?? "").Trim();
                if (err.IndexOf("lock", StringComparison.OrdinalIgnoreCase) >= 0)
                {
                    throw new DfVmException(ErrorIds.ImageInUse, DfVmErrorKind.ResourceUnavailable,
                        $"{image} is in use by a running VM (qemu-img: {err}). Shut that VM down first: a disk being written cannot be the base of another.", name);
                }
                throw new DfVmException(ErrorIds.ImageFormatNotSupported, DfVmErrorKind.InvalidData,
                    $"qemu-img cannot read {image}: {err}", name);
            }
            string format;
            long size;
            try
            {
                using (var doc = JsonDocument.Parse(outcome.StdOut))
                {
                    format = doc.RootElement.GetProperty("format").GetString();
                    size = doc.RootElement.GetProperty("virtual-size").GetInt64();
                }
            }
            catch (Exception e) when (e is JsonException || e is KeyNotFoundException || e is InvalidOperationException || e is FormatException)
            {
                throw new DfVmException(ErrorIds.ImageFormatNotSupported, DfVmErrorKind.InvalidData, $"qemu-img info of {image} said nothing DfVm can read: {e.Message}", name);
            }
            if (format != "qcow2" && format != "raw")
            {
                throw new DfVmException(ErrorIds.ImageFormatNotSupported, DfVmErrorKind.InvalidData,
                    $"{image} is a {format} image; Import-DfVm takes qcow2 or raw. Convert it first: qemu-img convert -O qcow2 '{image}' disk.qcow2", name);
            }
            return Tuple.Create(format, size);
        }

        private static async Task CopyImageAsync(string image, string format, VmPaths paths, IOperationReporter reporter, CancellationToken ct)
        {
            string temp = paths.Disk + ".import";
            reporter.Verbose($"Copying {image} into {paths.Disk} (qemu-img convert; the image is only read).");
            var outcome = await ProcessRunner.RunAsync(QemuTools.Img, new[] { "convert", "-f", format, "-O", "qcow2", image, temp }, TimeSpan.FromHours(2), ct).ConfigureAwait(false);
            if (outcome.ExitCode != 0)
            {
                AtomicFile.TryDelete(temp);
                throw new DfVmException(ErrorIds.QemuImgFailed, DfVmErrorKind.InvalidOperation, $"Copying {image} failed (qemu-img convert exit {outcome.ExitCode}): {outcome.StdErr.Trim()}", paths.Name);
            }
            File.Delete(paths.Disk);
            File.Move(temp, paths.Disk);
        }

        // ---------- boot ----------

        private async Task WaitForBannerAsync(VmDefinition def, VmPaths paths, int port, TimeSpan timeout, IOperationReporter reporter, CancellationToken ct)
        {
            var watch = Stopwatch.StartNew();
            int attempts = 0;
            var progress = new OperationProgress { ActivityId = ProgressActivities.Import, Activity = $"Importing VM '{def.Name}'" };
            try
            {
                while (true)
                {
                    ct.ThrowIfCancellationRequested();
                    if (Controller.RunningPid(paths) == null)
                    {
                        throw new DfVmException(ErrorIds.ImportBootTimeout, DfVmErrorKind.InvalidOperation,
                            $"QEMU of VM '{def.Name}' ended before the image offered SSH. Last serial lines:\n{Tail(paths)}", def.Name);
                    }
                    if (watch.Elapsed > timeout)
                    {
                        throw new DfVmException(ErrorIds.ImportBootTimeout, DfVmErrorKind.Timeout,
                            $"The image of VM '{def.Name}' did not boot to SSH on 127.0.0.1:{port} within {timeout.TotalSeconds:0} s (does it start sshd, and on a disk interface it knows? -DiskInterface). Last serial lines:\n{Tail(paths)}", def.Name);
                    }
                    progress.Status = $"booting the image, waiting for SSH ({watch.Elapsed.TotalSeconds:0} s)";
                    reporter.Progress(progress);
                    if (await GuestReadiness.BannerAsync(port, ct, readTimeoutMs: GuestReadiness.BannerWaitMs(++attempts)).ConfigureAwait(false))
                    {
                        reporter.Verbose($"VM '{def.Name}' offers SSH after {watch.Elapsed.TotalSeconds:0.0} s.");
                        return;
                    }
                    await Task.Delay(200, ct).ConfigureAwait(false);
                }
            }
            finally
            {
                progress.Completed = true;
                reporter.Progress(progress);
            }
        }

        private static string Tail(VmPaths paths)
        {
            string tail = SerialLog.Tail(paths.SerialLog);
            return string.IsNullOrEmpty(tail) ? "(the serial log is empty)" : tail;
        }

        /// <summary>
        /// The first login with the VM's own key, on the warm connection every later command uses. sshd is
        /// known to answer (the first contact just logged in), so no banner wait: a connection error is
        /// tried again until the timeout (a loaded host); a refused key is at once SshAuthenticationFailed.
        /// </summary>
        private async Task OwnKeyLoginAsync(VmDefinition def, VmPaths paths, int port, TimeSpan timeout, IOperationReporter reporter, CancellationToken ct)
        {
            var endpoint = GuestReadiness.Endpoint(def, paths, port);
            var watch = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    await _engine.Connections.GetAsync(endpoint, TimeSpan.FromSeconds(60), ct, reporter.Verbose).ConfigureAwait(false);
                    break;
                }
                catch (GuestConnectionLostException e) when (watch.Elapsed < timeout && !ct.IsCancellationRequested)
                {
                    reporter.Verbose($"Login with the VM's key not through yet ({e.Message}); trying again.");
                    await Task.Delay(1000, ct).ConfigureAwait(false);
                }
            }
            var state = _engine.Store.LoadState(paths);
            if (state != null) { state.Ready = true; _engine.Store.SaveState(paths, state); }
        }

        // ---------- first contact ----------

        private sealed class FirstContact
        {
            public string Fingerprint;
            public string GuestOs;
            public List<string> Changes = new List<string>();
            public List<string> Kept = new List<string>();
        }

        /// <summary>
        /// The one login with what the user gave. The host key is pinned here (first contact, shown
        /// with its fingerprint); the VM's public key goes into the user's authorized_keys (appended,
        /// never replacing the user's keys).
        /// </summary>
        private async Task<FirstContact> FirstContactAsync(VmDefinition def, VmPaths paths, int port, ImportOptions options, string publicKey, bool pinAnew, IOperationReporter reporter, CancellationToken ct)
        {
            var methods = new List<AuthenticationMethod>();
            var hows = new List<string>();
            if (!string.IsNullOrEmpty(options.KeyFile))
            {
                PrivateKeyFile key;
                try
                {
                    using (var stream = File.OpenRead(options.KeyFile)) key = new PrivateKeyFile(stream);
                }
                catch (Exception e) when (e is SshException || e is IOException || e is UnauthorizedAccessException || e is ArgumentException)
                {
                    throw new DfVmException(ErrorIds.GuestLoginFailed, DfVmErrorKind.Security,
                        $"Cannot use the key file {options.KeyFile} for the first login: {e.Message} (an unencrypted OpenSSH, RSA or ECDSA private key is needed).", def.Name, e);
                }
                methods.Add(new PrivateKeyAuthenticationMethod(def.SshUser, key));
                hows.Add("the key " + options.KeyFile);
            }
            if (options.Password != null)
            {
                string password = options.Password;
                methods.Add(new PasswordAuthenticationMethod(def.SshUser, password));
                var kbd = new KeyboardInteractiveAuthenticationMethod(def.SshUser);
                kbd.AuthenticationPrompt += (s, e) =>
                {
                    foreach (var prompt in e.Prompts)
                    {
                        if (prompt.Request.IndexOf("assword", StringComparison.OrdinalIgnoreCase) >= 0) prompt.Response = password;
                    }
                };
                methods.Add(kbd);
                hows.Add("a password");
            }
            if (methods.Count == 0)
            {
                throw new DfVmException(ErrorIds.GuestLoginFailed, DfVmErrorKind.InvalidArgument,
                    "The first login needs the guest's password (-Credential) or a private key the guest accepts (-KeyFile).", def.Name);
            }

            string how = string.Join(" or ", hows);
            var pin = new HostKeyPin(paths.KnownHosts, def.Name);
            if (pinAnew) pin.Forget();
            var contact = new FirstContact();
            var deadline = Stopwatch.StartNew();
            SshClient client = null;
            while (client == null)
            {
                var info = new ConnectionInfo("127.0.0.1", port, def.SshUser, methods.ToArray()) { Timeout = TimeSpan.FromSeconds(30) };
                var attempt = new SshClient(info);
                string fingerprint = null;
                attempt.HostKeyReceived += (s, e) =>
                {
                    e.CanTrust = pin.CheckOrPin(e.HostKeyName, e.HostKey);
                    fingerprint = e.HostKeyName + " " + HostKeyPin.Fingerprint(e.HostKey);
                };
                try
                {
                    reporter.Verbose($"SSH first login {def.SshUser}@127.0.0.1:{port} with {how} (VM '{def.Name}').");
                    await attempt.ConnectAsync(ct).ConfigureAwait(false);
                    client = attempt;
                    contact.Fingerprint = fingerprint;
                }
                catch (SshAuthenticationException e)
                {
                    attempt.Dispose();
                    if (pinAnew) pin.Forget();
                    throw new DfVmException(ErrorIds.GuestLoginFailed, DfVmErrorKind.Security,
                        $"The guest refused {def.SshUser}'s login with {how}: {e.Message}. Check the password (-Credential) or key (-KeyFile), and that the guest's sshd allows that login (PermitRootLogin, PasswordAuthentication).", def.Name, e);
                }
                catch (HostKeyMismatchException) { attempt.Dispose(); throw; }
                catch (Exception e) when ((e is SshException || e is IOException || e is System.Net.Sockets.SocketException) && !ct.IsCancellationRequested)
                {
                    attempt.Dispose();
                    if (deadline.Elapsed > options.BootTimeout)
                    {
                        throw new DfVmException(ErrorIds.ImportBootTimeout, DfVmErrorKind.Timeout,
                            $"VM '{def.Name}' offered SSH but no login completed within {options.BootTimeout.TotalSeconds:0} s: {e.Message}. Last serial lines:\n{Tail(paths)}", def.Name, e);
                    }
                    reporter.Verbose($"SSH first login not through yet ({e.Message}); trying again.");
                    await Task.Delay(1000, ct).ConfigureAwait(false);
                }
            }

            using (client)
            {
                reporter.Verbose(GuestReadiness.FirstContactMessage(def.Name, contact.Fingerprint, paths.KnownHosts));
                string script = InstallKeyScript(publicKey);
                var lines = new List<string>();
                int exit;
                using (var command = client.CreateCommand(GuestCommandLine.Build(script), new UTF8Encoding(false)))
                {
                    command.CommandTimeout = TimeSpan.FromMinutes(2);
                    await Task.Run(() => command.Execute(), ct).ConfigureAwait(false);
                    lines.AddRange((command.Result ?? "").Split('\n').Select(l => l.TrimEnd('\r')));
                    exit = command.ExitStatus ?? -1;
                    if (exit != 0)
                    {
                        throw new DfVmException(ErrorIds.ProvisionFailed, DfVmErrorKind.InvalidOperation,
                            $"Installing the VM's key in the guest of VM '{def.Name}' failed (exit {exit}): {command.Error}", def.Name);
                    }
                }
                foreach (var line in lines)
                {
                    if (!line.StartsWith(Marker, StringComparison.Ordinal)) continue;
                    string rest = line.Substring(Marker.Length);
                    if (rest.StartsWith("changed ", StringComparison.Ordinal)) contact.Changes.Add(Clean(rest.Substring(8)));
                    else if (rest.StartsWith("kept ", StringComparison.Ordinal)) contact.Kept.Add(Clean(rest.Substring(5)));
                    else if (rest.StartsWith("os ", StringComparison.Ordinal)) contact.GuestOs = Clean(rest.Substring(3));
                }
            }
            return contact;
        }

        /// <summary>Guest text shown on the host: printable ASCII only, bounded.</summary>
        private static string Clean(string s)
        {
            var sb = new StringBuilder();
            foreach (char c in s.Trim())
            {
                if (sb.Length >= 300) break;
                sb.Append(c >= ' ' && c < 127 ? c : '?');
            }
            return sb.ToString();
        }

        /// <summary>POSIX sh run at first contact: appends the VM's key to the login user's authorized_keys when absent.</summary>
        public static string InstallKeyScript(string publicKey)
        {
            if (publicKey.IndexOf('\n') >= 0 || publicKey.IndexOf('\'') >= 0) throw new ArgumentException("one key line expected", nameof(publicKey));
            return string.Join("\n", new[]
            {
                "umask 077",
                "k='" + publicKey + "'",
                "d=\"$HOME/.ssh\"; f=\"$d/authorized_keys\"",
                "if [ -f \"$f\" ] && grep -qxF \"$k\" \"$f\"; then",
                "  echo \"DFVM-IMPORT: kept $f: already holds the VM's key\"",
                "else",
                "  if [ ! -d \"$d\" ]; then mkdir -p \"$d\" && chmod 0700 \"$d\" || exit 1; echo \"DFVM-IMPORT: changed created $d (0700)\"; fi",
                "  if [ -s \"$f\" ] && [ -n \"$(tail -c 1 \"$f\")\" ]; then echo >>\"$f\" || exit 1; fi",
                "  printf '%s\\n' \"$k\" >>\"$f\" && chmod 0600 \"$f\" || exit 1",
                "  echo \"DFVM-IMPORT: changed $f: added the VM's key (${k##* })\"",
                "fi",
                "echo \"DFVM-IMPORT: os $(uname -s)\"",
            }) + "\n";
        }

        // ---------- adopt.sh ----------

        /// <summary>Runs adopt.sh; what it changed goes to <paramref name="made"/>, what it left as it was to <paramref name="kept"/>.</summary>
        private async Task RunAdoptAsync(VmPaths paths, ImportOptions options, List<string> made, List<string> kept, IOperationReporter reporter, CancellationToken ct)
        {
            string command = "/bin/sh -s --" + (options.DisablePasswordLogin ? " --disable-password-login" : "");
            byte[] script = new UTF8Encoding(false).GetBytes(GuestScripts.Get(AdoptScriptName));
            var result = await Controller.InvokeCommandAsync(paths, command,
                line =>
                {
                    reporter.Verbose("[adopt] " + line);
                    if (!line.StartsWith(ProvisionPrefix, StringComparison.Ordinal)) return;
                    string rest = line.Substring(ProvisionPrefix.Length);
                    if (rest.StartsWith("changed ", StringComparison.Ordinal)) lock (made) made.Add("adopt.sh: " + Clean(rest.Substring(8)));
                    else if (rest.StartsWith("kept ", StringComparison.Ordinal)) lock (kept) kept.Add(Clean(rest.Substring(5)));
                },
                reporter, ct, line => reporter.Verbose("[adopt] " + line),
                async (stdin, token) =>
                {
                    await stdin.WriteAsync(script, 0, script.Length, token).ConfigureAwait(false);
                    await stdin.FlushAsync(token).ConfigureAwait(false);
                }).ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                throw new DfVmException(ErrorIds.ProvisionFailed, DfVmErrorKind.InvalidOperation,
                    $"adopt.sh failed in VM '{paths.Name}' (exit {result.ExitCode}): {Clean(result.Error)}", paths.Name);
            }
        }

        // ---------- the self-check ----------

        /// <summary>
        /// The guest self-check of Test-DfVmGuest (<see cref="GuestSelfCheck"/>): (all passed, one
        /// "ok|fail name: found" line per check).
        /// </summary>
        public async Task<Tuple<bool, List<string>>> SelfCheckAsync(VmPaths paths, IReadOnlyList<string> projectDirectories, IOperationReporter reporter, CancellationToken ct)
        {
            string projectPath = projectDirectories != null && projectDirectories.Count > 0 ? projectDirectories[0] : "/";
            var rows = await new GuestSelfCheck(Controller).RunAsync(paths, projectPath, reporter, ct).ConfigureAwait(false);
            var lines = rows.Select(r => $"{(r.Passed ? "ok" : "fail")} {r.Name}: {r.Found}").ToList();
            foreach (var l in lines) reporter.Verbose("[check] " + l);
            return Tuple.Create(rows.All(r => r.Passed), lines);
        }
    }
}
