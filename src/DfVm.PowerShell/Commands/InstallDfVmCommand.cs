using System;
using System.IO;
using System.Management.Automation;
using DfVm.Core;
using DfVm.Core.Images;
using DfVm.Core.Install;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// Installs DragonFly onto a VM's disk. Interactive (default): boots the installer ISO once with
    /// a console the user can reach (the serial socket, or VNC on a 0600 unix socket with -Vnc) and says what
    /// to do. -Unattended: the PFI route, phase by phase, then first boot, host key pin,
    /// provisioning and the clean snapshot.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Install, "DfVm", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = Interactive)]
    [OutputType(typeof(DfVmInstance))]
    public sealed class InstallDfVmCommand : InVmCmdlet
    {
        private const string Interactive = "Interactive";
        private const string UnattendedSet = "Unattended";

        [Parameter]
        [ArgumentCompleter(typeof(VersionCompleter))]
        [ValidatePattern(@"^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\z")]
        public string Version { get; set; }

        /// <summary>Mirror for the ISO when it is not cached yet.</summary>
        [Parameter]
        [ValidateNotNull]
        public Uri Mirror { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = UnattendedSet)]
        public SwitchParameter Unattended { get; set; }

        /// <summary>Seconds one install phase may take.</summary>
        [Parameter(ParameterSetName = UnattendedSet)]
        [ValidateRange(60, 86400)]
        public int Timeout { get; set; } = 3600;

        /// <summary>Interactive install on a VGA screen served by VNC on 127.0.0.1.</summary>
        [Parameter(ParameterSetName = Interactive)]
        public SwitchParameter Vnc { get; set; }

        /// <summary>Install without asking (the disk is overwritten).</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            var config = Project.Config;
            string version = Version ?? config.DragonFlyVersion ?? DragonFlyRelease.DefaultVersion;
            string images = Path.Combine(Project.VmRoot, "images");
            // Checked before any VM is touched, cached ISO or not.
            try { ImageRequest.ValidateMirror(Mirror); }
            catch (DfVmException e) { ThrowTerminating(e, Mirror); }
            ForEachVm(Name, (name, paths) =>
            {
                string action = Unattended
                    ? $"Install DragonFly {version} unattended (the disk is erased)"
                    : $"Boot the DragonFly {version} installer (installing overwrites the disk)";
                if (!ShouldProcessThenAsk(name, action, Force, $"Install DragonFly {version} on VM '{name}'? Its disk is overwritten.", "Install DragonFly")) return;
                if (Unattended)
                {
                    var options = new UnattendedInstallOptions
                    {
                        Version = version,
                        Mirror = Mirror,
                        ImagesDirectory = images,
                        ProjectDirectories = new[] { Project.GuestProjectPath },
                        PhaseTimeout = TimeSpan.FromSeconds(Timeout),
                        SilenceTimeout = TimeSpan.FromSeconds(Math.Min(Timeout, 1200)),
                    };
                    var result = RunOnWorker(async (pump, ct) =>
                    {
                        var download = new DownloadProgressWriter(pump);
                        try
                        {
                            return await Engine.UnattendedInstaller().InstallAsync(paths, options, pump, download, ct).ConfigureAwait(false);
                        }
                        finally
                        {
                            if (download.Any) download.Complete();
                        }
                    });
                    WriteObject(result.Vm);
                }
                else
                {
                    var iso = new ImageRequest { Version = version, Kind = ImageKind.Iso, Mirror = Mirror, ImagesDirectory = images };
                    var session = RunOnWorker(async (pump, ct) =>
                    {
                        var download = new DownloadProgressWriter(pump);
                        try
                        {
                            return await Engine.InteractiveInstaller().StartAsync(paths, iso, Vnc ? InstallConsole.Vnc : InstallConsole.Serial, pump, download, ct).ConfigureAwait(false);
                        }
                        finally
                        {
                            if (download.Any) download.Complete();
                        }
                    });
                    Say($"VM '{name}' is booting the DragonFly {version} installer (QEMU pid {session.Vm.ProcessId}). Next:");
                    int step = 1;
                    foreach (var line in session.NextSteps)
                    {
                        string text = line.StartsWith("  ", StringComparison.Ordinal) ? "     " + line.TrimStart() : $"  {step++}. {line}";
                        Say(text);
                    }
                    WriteObject(session.Vm);
                }
            });
        }
    }
}
