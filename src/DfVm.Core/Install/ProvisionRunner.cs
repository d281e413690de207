using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Images;
using DfVm.Core.Instances;
using DfVm.Core.Ssh;

namespace DfVm.Core.Install
{
    /// <summary>What one run of provision.sh did.</summary>
    public sealed class ProvisionOutcome
    {
        public DfVmCommandResult Result { get; set; }

        /// <summary>The count from the script's last "DFVM-PROVISION: changed=N" line (null if it printed none).</summary>
        public int? Changed { get; set; }

        /// <summary>The "DFVM-PROVISION: changed &lt;what&gt;" lines, without the prefix.</summary>
        public IReadOnlyList<string> Changes { get; set; }
    }

    /// <summary>
    /// Runs the shipped provision.sh (POSIX sh, idempotent) in a running guest over the VM's warm
    /// SSH connection. The script travels on stdin to <c>/bin/sh -s</c>, so nothing is written to
    /// the guest's disk but what the script itself changes.
    /// </summary>
    public sealed class ProvisionRunner
    {
        public const string ScriptName = "provision.sh";
        private const string Prefix = "DFVM-PROVISION: ";
        private static readonly Regex ChangedCount = new Regex(@"^DFVM-PROVISION: changed=(\d+)\s*$", RegexOptions.CultureInvariant);
        private readonly VmController _controller;

        public ProvisionRunner(VmController controller)
        {
            _controller = controller ?? throw new ArgumentNullException(nameof(controller));
        }

        /// <summary>
        /// The command line that runs the script from stdin with the project folders as arguments;
        /// DFVM_SSH_USER tells it the VM's SSH user (its doas rule, the owner of the folders). It runs as
        /// root: env and sh are programs, so csh (root's login shell) runs it as written.
        /// </summary>
        public static string CommandFor(IReadOnlyList<string> projectDirectories, string sshUser = "root")
        {
            string user = string.IsNullOrEmpty(sshUser) ? "root" : sshUser;
            if (!Regex.IsMatch(user, @"^[A-Za-z0-9._][A-Za-z0-9._-]*\z", RegexOptions.CultureInvariant))
                throw new DfVmException(ErrorIds.InvalidSshUser, DfVmErrorKind.InvalidArgument,
                    $"'{user}' (the VM's SshUser) is not a user name provisioning can write a doas rule for (letters, digits, '.', '_', '-').");
            var dirs = projectDirectories ?? new string[0];
            foreach (var d in dirs)
            {
                if (string.IsNullOrEmpty(d) || d[0] != '/' || d.IndexOf('\n') >= 0 || d.IndexOf('\0') >= 0)
                    throw new DfVmException(ErrorIds.InvalidGuestPath, DfVmErrorKind.InvalidArgument,
                        $"'{d}' is not an absolute guest path (one line, starting with /).");
            }
            var sb = new StringBuilder("env DFVM_SSH_USER=" + user + " /bin/sh -s --");
            foreach (var d in dirs) sb.Append(' ').Append(GuestCommandLine.SingleQuote(d));
            return sb.ToString();
        }

        /// <summary>
        /// Runs provision.sh; each output line goes to <paramref name="onLine"/>. A non-zero exit is
        /// returned in the result (ExitCode), not thrown.
        /// </summary>
        public async Task<ProvisionOutcome> RunAsync(VmPaths paths, IReadOnlyList<string> projectDirectories, Action<string> onLine,
            IOperationReporter reporter, CancellationToken ct)
        {
            string sshUser = _controller.Store.LoadDefinition(paths).SshUser ?? "root";
            string command = CommandFor(projectDirectories, sshUser);
            byte[] script = new UTF8Encoding(false).GetBytes(GuestScripts.Get(ScriptName));
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    return await RunOnceAsync(paths, projectDirectories, command, script, onLine, reporter, ct).ConfigureAwait(false);
                }
                catch (InvalidOperationException e) when (attempt < 3 && !ct.IsCancellationRequested)
                {
                    // SSH.NET refused the stdin stream ("can be used only during execution"): the script
                    // got no input, so nothing ran. Seen rarely right after a start; the script is idempotent.
                    reporter?.Verbose($"provision.sh could not be sent ({e.Message}); trying again.");
                    await Task.Delay(500, ct).ConfigureAwait(false);
                }
            }
        }

        private async Task<ProvisionOutcome> RunOnceAsync(VmPaths paths, IReadOnlyList<string> projectDirectories, string command, byte[] script,
            Action<string> onLine, IOperationReporter reporter, CancellationToken ct)
        {
            var changes = new List<string>();
            int? changed = null;
            var result = await _controller.InvokeCommandAsync(paths, command,
                line =>
                {
                    var m = ChangedCount.Match(line);
                    if (m.Success) changed = int.Parse(m.Groups[1].Value);
                    else if (line.StartsWith(Prefix + "changed ", StringComparison.Ordinal)) lock (changes) changes.Add(line.Substring(Prefix.Length + 8));
                    onLine?.Invoke(line);
                },
                reporter, ct, onLine,
                async (stdin, token) =>
                {
                    await stdin.WriteAsync(script, 0, script.Length, token).ConfigureAwait(false);
                    await stdin.FlushAsync(token).ConfigureAwait(false);
                }, "root").ConfigureAwait(false);
            result.Command = ScriptName + (projectDirectories != null && projectDirectories.Count > 0 ? " " + string.Join(" ", projectDirectories) : "");
            return new ProvisionOutcome
            {
                Result = result,
                Changed = changed,
                Changes = changes,
            };
        }

        /// <summary>The error for a run that exited non-zero.</summary>
        public static DfVmException Failure(ProvisionOutcome outcome) =>
            new DfVmException(ErrorIds.ProvisionFailed, DfVmErrorKind.InvalidOperation,
                $"Provisioning VM '{outcome.Result.VmName}' failed (exit {outcome.Result.ExitCode}): " +
                (string.IsNullOrWhiteSpace(outcome.Result.Error) ? LastLines(outcome.Result.Output) : LastLines(outcome.Result.Error)),
                outcome.Result.VmName);

        private static string LastLines(string text)
        {
            var lines = (text ?? "").Split('\n');
            return string.Join("\n", lines.Skip(Math.Max(0, lines.Length - 5)));
        }
    }
}
