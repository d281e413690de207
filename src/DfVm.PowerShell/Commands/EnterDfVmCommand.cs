using System;
using System.Management.Automation;
using DfVm.Core;
using DfVm.Core.Ssh;

namespace DfVm.PowerShell.Commands
{
    /// <summary>
    /// An interactive root shell in the guest on a real terminal (size, colours and Ctrl+C go to the
    /// guest), over the VM's own key with the pinned host key checked. `exit` returns to pwsh.
    /// </summary>
    [Cmdlet(VerbsCommon.Enter, "DfVm")]
    [OutputType(typeof(void))]
    public sealed class EnterDfVmCommand : DfVmCmdlet
    {
        /// <summary>The VM (default: the config's VM). A piped string binds here, and so does any object's VmName, else its Name.</summary>
        [Parameter(Position = 0, ValueFromPipeline = true)]
        [Alias("VmName")]
        [VmNameTransformation]
        [ArgumentCompleter(typeof(VmNameCompleter))]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; }

        /// <summary>The TERM the guest shell sees.</summary>
        [Parameter]
        public string Terminal { get; set; } = Environment.GetEnvironmentVariable("TERM") ?? "xterm-256color";

        protected override void ProcessRecord()
        {
            string name = Name ?? Project.Config.VmName;
            var paths = Store.Require(name);
            if (!RawTerminal.IsInteractive)
            {
                ThrowTerminating(new DfVmException(ErrorIds.TerminalRequired, DfVmErrorKind.InvalidOperation,
                    "Enter-DfVm needs an interactive terminal on standard input. In scripts and CI use Invoke-DfVmCommand.", name), name);
            }
            var connection = RunOnWorker((pump, ct) => Controller.ConnectAsync(paths, pump, ct));
            var stdout = Console.OpenStandardOutput();
            using (RawTerminal.Enter())
            {
                connection.RunInteractiveAsync(
                    buffer => RawTerminal.ReadInput(buffer, 200),
                    (buffer, n) => { stdout.Write(buffer, 0, n); stdout.Flush(); },
                    () => Tuple.Create(SafeWidth(), SafeHeight()),
                    Terminal,
                    CancellationToken).GetAwaiter().GetResult();
            }
        }

        private static int SafeWidth() { try { return Math.Max(20, Console.WindowWidth); } catch (System.IO.IOException) { return 80; } }
        private static int SafeHeight() { try { return Math.Max(5, Console.WindowHeight); } catch (System.IO.IOException) { return 24; } }
    }
}
