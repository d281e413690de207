using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Instances;
using DfVm.Core.Qemu;
using DfVm.Core.Ssh;
using DfVm.Core.Util;

namespace DfVm.Core.Install
{
    /// <summary>Where the person doing an interactive install reaches the installer.</summary>
    public enum InstallConsole
    {
        /// <summary>The serial console socket (the loader is switched to it by typed keys).</summary>
        Serial,
        /// <summary>A VGA screen on a VNC server on a unix socket only the owner can open.</summary>
        Vnc,
    }

    /// <summary>A VM booted into the installer, and what to do next.</summary>
    public sealed class InteractiveInstallSession
    {
        public DfVmInstance Vm { get; set; }
        public InstallConsole Console { get; set; }
        /// <summary>vm/&lt;name&gt;/serial.sock.</summary>
        public string SerialSocket { get; set; }
        /// <summary>The VNC unix socket (vm/&lt;name&gt;/vnc/vnc.sock, mode 0600) when <see cref="InstallConsole.Vnc"/>.</summary>
        public string VncAddress { get; set; }
        /// <summary>True when the loader answered each key of <see cref="DragonFlyInstallPlan.LoaderDialog"/> on the serial line.</summary>
        public bool SerialConsoleAnswered { get; set; }
        /// <summary>The steps to tell the person, in order.</summary>
        public IReadOnlyList<string> NextSteps { get; set; }
    }

    /// <summary>
    /// The interactive install (the seed's vm-install): boots the VM once from the installer ISO
    /// with a console the person can reach, and says what to do. Nothing is typed for them but the
    /// loader keys that move the live CD to the serial console.
    /// </summary>
    public sealed class InteractiveInstaller
    {
        /// <summary>rwx for the owner only: vm/&lt;name&gt;/vnc/.</summary>
        internal const int VncDirectoryMode = 0x1C0; // 0700
        /// <summary>rw for the owner only: the VNC socket.</summary>
        internal const int VncSocketMode = 0x180; // 0600
        private readonly DfVmEngine _engine;

        /// <summary>Made by <see cref="DfVmEngine.InteractiveInstaller"/>.</summary>
        public InteractiveInstaller(DfVmEngine engine)
        {
            _engine = engine ?? throw new ArgumentNullException(nameof(engine));
        }

        private VmController Controller => _engine.Controller;

        /// <summary>How long to wait for the live CD's loader menu on the serial line.</summary>
        public TimeSpan SerialAnswerTimeout { get; set; } = TimeSpan.FromMinutes(5);

        /// <summary>Throws unless the VM exists, is stopped and boots from its disk (call before fetching the ISO).</summary>
        public VmDefinition Check(VmPaths paths)
        {
            var def = Controller.Store.LoadDefinition(paths);
            if (Controller.RunningPid(paths) != null)
            {
                throw new DfVmException(InstallErrorIds.VmIsRunning, DfVmErrorKind.InvalidOperation,
                    $"VM '{def.Name}' is running. Stop it (Stop-DfVm -Name {def.Name}) before booting the installer.", def.Name);
            }
            if (def.Boot != null && !string.IsNullOrEmpty(def.Boot.Kernel))
            {
                throw new DfVmException(InstallErrorIds.NotDragonFlyVm, DfVmErrorKind.InvalidOperation,
                    $"VM '{def.Name}' boots a kernel directly ({def.Boot.Kernel}); DragonFly installs onto a VM made by New-DfVm without -Kernel.", def.Name);
            }
            return def;
        }

        /// <summary>
        /// Install-DfVm (interactive): checks the VM, fetches the release's ISO unless it is cached (the -Mirror
        /// check comes first, in <see cref="ImageDownloader"/>), then boots it as <see cref="StartAsync(VmPaths, string, InstallConsole, IOperationReporter, CancellationToken)"/>.
        /// </summary>
        public async Task<InteractiveInstallSession> StartAsync(VmPaths paths, Images.ImageRequest iso, InstallConsole console, IOperationReporter reporter,
            IProgress<Images.DownloadProgress> downloadProgress, CancellationToken ct)
        {
            if (iso == null) throw new ArgumentNullException(nameof(iso));
            Check(paths);
            var image = await Images.ImageDownloader.SaveOnceAsync(iso, downloadProgress, ct).ConfigureAwait(false);
            return await StartAsync(paths, image.Path, console, reporter, ct).ConfigureAwait(false);
        }

        public async Task<InteractiveInstallSession> StartAsync(VmPaths paths, string isoPath, InstallConsole console, IOperationReporter reporter, CancellationToken ct)
        {
            reporter = reporter ?? NullReporter.Instance;
            var def = Check(paths);
            if (!File.Exists(isoPath))
            {
                throw new DfVmException(InstallErrorIds.InstallMediaNotFound, DfVmErrorKind.NotFound, $"Installer ISO not found: {isoPath}. Run Save-DfVmImage first.", def.Name);
            }

            string publicKey;
            string vnc = null;
            DfVmInstance vm;
            // The VM's lock while its key, host key pin and boot change (a sync or restore waits).
            using (VmLock.Acquire(paths, TimeSpan.FromSeconds(5), ct))
            {
                Check(paths);
                publicKey = SshKeyPair.EnsureExists(paths.PrivateKey, paths.PublicKey, "dfvm@" + def.Name).Trim();
                new HostKeyPin(paths.KnownHosts, def.Name).Forget(); // the new system makes new host keys
                _engine.GuestChanged(paths);

                var args = new List<string>(DragonFlyInstallPlan.BootCdOnce);
                if (console == InstallConsole.Vnc)
                {
                    vnc = PrepareVncSocket(paths);
                    args.AddRange(VncArgs(vnc));
                }
                vm = await Controller.StartAsync(paths, new StartOptions
                {
                    NoWait = true,
                    Media = new[] { new AttachedMedia { Path = isoPath, IsCdrom = true } },
                    ExtraQemuArgs = args,
                    CallerHoldsLock = true,
                }, reporter, ct).ConfigureAwait(false);
            }

            if (vnc != null) SecureVncSocket(vnc);
            string socket = Path.Combine(paths.Directory, "serial.sock");
            bool answered = false;
            string why = null;
            if (console == InstallConsole.Serial)
            {
                var dialog = SerialConsoleDialog.Start(socket, paths.SerialLog,
                    DragonFlyInstallPlan.LoaderDialog(SerialAnswerTimeout, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(3)), reporter.Verbose);
                try
                {
                    // Every step has its own timeout: the dialog ends by itself.
                    await Task.WhenAny(dialog.Done, Task.Delay(Timeout.Infinite, ct)).ConfigureAwait(false);
                    ct.ThrowIfCancellationRequested();
                    answered = dialog.Done.Status == TaskStatus.RanToCompletion;
                    if (dialog.Done.IsFaulted) why = dialog.Done.Exception.GetBaseException().Message;
                }
                finally
                {
                    dialog.Dispose();
                }
                if (!answered)
                {
                    reporter.Warning($"The installer's loader did not answer on the serial console ({why ?? "no answer"}). If the serial console stays silent, stop the VM and use Install-DfVm -Vnc.");
                }
            }

            return new InteractiveInstallSession
            {
                Vm = await Controller.GetAsync(paths, ct, reporter).ConfigureAwait(false),
                Console = console,
                SerialSocket = socket,
                VncAddress = vnc,
                SerialConsoleAnswered = answered,
                NextSteps = Steps(def.Name, console, socket, vnc, publicKey),
            };
        }

        /// <summary>
        /// vm/&lt;name&gt;/vnc/vnc.sock, in a folder only the owner can enter (0700): a VNC port on
        /// 127.0.0.1 would be open to every local user, without a password. A socket left by an
        /// earlier run (ours) is removed.
        /// </summary>
        internal static string PrepareVncSocket(VmPaths paths)
        {
            string dir = Path.Combine(paths.Directory, "vnc");
            Directory.CreateDirectory(dir);
            Native.Chmod(dir, VncDirectoryMode);
            string socket = Path.Combine(dir, "vnc.sock");
            if (File.Exists(socket)) File.Delete(socket);
            return socket;
        }

        /// <summary>QEMU's arguments for a VGA screen served by VNC on the unix socket.</summary>
        internal static IReadOnlyList<string> VncArgs(string socket) => new[] { "-vga", "std", "-vnc", "unix:" + socket };

        /// <summary>Once QEMU made the socket: mode 0600 (the folder already keeps others out).</summary>
        internal static void SecureVncSocket(string socket)
        {
            if (File.Exists(socket)) Native.Chmod(socket, VncSocketMode);
        }

        internal static IReadOnlyList<string> Steps(string name, InstallConsole console, string socket, string vnc, string publicKey)
        {
            var steps = new List<string>();
            if (console == InstallConsole.Vnc)
            {
                steps.Add($"Open the VM's screen: vncviewer {vnc}   (a unix socket only you can open, mode 0600 in a 0700 folder; TigerVNC's vncviewer takes the socket path)");
            }
            else
            {
                steps.Add($"Attach to the serial console: socat -,raw,echo=0,escape=0x1d UNIX-CONNECT:{socket}   (Ctrl+] detaches; press Enter if the screen is blank)");
            }
            steps.Add("Log in as 'installer' (no password) and install DragonFly onto da0, the VM's only disk (HAMMER2 is the default).");
            if (console == InstallConsole.Serial)
            {
                steps.Add("Before you reboot: choose 'Exit to Live CD', log in as root and keep the installed system on the serial console: mount /dev/da0s1a /mnt && echo 'console=\"comconsole\"' >> /mnt/loader.conf && umount /mnt   (the installer's default layout puts /boot on da0s1a)");
            }
            steps.Add("Reboot (the VM now boots from its disk) and log in as root on the console. Let DfVm in over SSH with the VM's own key, then power off:");
            steps.Add($"  mkdir -p /root/.ssh && chmod 700 /root/.ssh && echo '{publicKey}' >> /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys");
            steps.Add("  echo 'sshd_enable=\"YES\"' >> /etc/rc.conf && service sshd keygen && poweroff");
            steps.Add($"Then from PowerShell: Start-DfVm -Name {name}   (pins the guest's host key at the first login); Invoke-DfVmProvision -Name {name}; Checkpoint-DfVm -Name {name} -SnapshotName clean");
            return steps;
        }
    }
}
