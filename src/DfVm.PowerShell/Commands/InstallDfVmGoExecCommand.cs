using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using DfVm.Core.GoExec;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// Installs the go test exec wrapper into a folder on PATH: dfvm-go-exec (for go test -exec) and
    /// go_&lt;goos&gt;_&lt;goarch&gt;_exec (go test runs it by name for GOOS=dragonfly). Outputs the files.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Install, "DfVmGoExec", SupportsShouldProcess = true)]
    [OutputType(typeof(FileInfo))]
    public sealed class InstallDfVmGoExecCommand : DfVmCmdlet
    {
        /// <summary>The folder to write into (default ~/.local/bin); it should be on PATH.</summary>
        [Parameter(Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Destination { get; set; }

        /// <summary>The guest's GOOS (default dragonfly).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string GoOS { get; set; } = "dragonfly";

        /// <summary>The guest's GOARCH (default amd64).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string GoArch { get; set; } = "amd64";

        protected override void EndProcessing()
        {
            string folder = Destination == null
                ? System.IO.Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? ".", ".local", "bin")
                : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Destination);
            try
            {
                var installer = new GoExecInstaller(WrapperSource());
                var targets = installer.Targets(folder, GoOS, GoArch);
                installer.CheckTargets(targets);
                foreach (var target in targets)
                {
                    if (!ShouldProcess(target, "Install the DfVm go test exec wrapper"))
                    {
                        continue;
                    }

                    installer.Write(target);
                    WriteObject(new FileInfo(target));
                }

                string path = Environment.GetEnvironmentVariable("PATH") ?? "";
                if (!path.Split(System.IO.Path.PathSeparator).Any(p => p.TrimEnd('/') == folder.TrimEnd('/')))
                {
                    WriteWarning($"{folder} is not on PATH: go test finds {GoExecInstaller.ExecName(GoOS, GoArch)} only on PATH. Add it (export PATH=\"{folder}:$PATH\").");
                }
            }
            catch (Exception e) when (ErrorMapping.IsExpected(e))
            {
                ThrowTerminating(e, folder);
            }
        }

        /// <summary>The wrapper shipped in the module folder (goexec/dfvm-go-exec).</summary>
        internal static string WrapperSource() =>
            System.IO.Path.Combine(System.IO.Path.GetDirectoryName(typeof(InstallDfVmGoExecCommand).Assembly.Location), "goexec", GoExecInstaller.WrapperName);
    }
}
