using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Util;

namespace DfVm.Core.Qemu
{
    /// <summary>qemu-img: thin disks, overlays, checks. Each call is one process, argv only.</summary>
    public static class QemuImg
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

        public static Task CreateAsync(string path, int sizeGB, CancellationToken ct) =>
            RunCheckedAsync(new[] { "create", "-q", "-f", "qcow2", path, sizeGB + "G" }, ct);

        /// <summary>A qcow2 overlay whose reads fall through to <paramref name="backing"/> (never written).</summary>
        public static Task CreateOverlayAsync(string path, string backing, CancellationToken ct, int? sizeGB = null, string backingFormat = null)
        {
            var args = new List<string> { "create", "-q", "-f", "qcow2", "-b", Path.GetFullPath(backing), "-F", backingFormat ?? "qcow2", path };
            if (sizeGB.HasValue) args.Add(sizeGB + "G");
            return RunCheckedAsync(args, ct);
        }

        public static async Task<JsonElement> InfoAsync(string path, CancellationToken ct, bool shared = true)
        {
            var args = new List<string> { "info", "--output=json" };
            if (shared) args.Add("-U");
            args.Add(path);
            var outcome = await RunCheckedAsync(args, ct).ConfigureAwait(false);
            using (var doc = JsonDocument.Parse(outcome.StdOut))
            {
                return doc.RootElement.Clone();
            }
        }

        /// <summary>Runs qemu-img check; returns its exit code (0 clean, 2 corrupt, 3 leaks only) and text.</summary>
        public static Task<ProcessOutcome> CheckAsync(string path, CancellationToken ct) =>
            ProcessRunner.RunAsync(QemuTools.Img, new[] { "check", "-q", path }, Timeout, ct);

        public static async Task<ProcessOutcome> RunCheckedAsync(IEnumerable<string> args, CancellationToken ct)
        {
            var outcome = await ProcessRunner.RunAsync(QemuTools.Img, args, Timeout, ct).ConfigureAwait(false);
            if (outcome.ExitCode != 0)
            {
                throw new DfVmException(ErrorIds.QemuImgFailed, DfVmErrorKind.InvalidOperation,
                    $"qemu-img {string.Join(" ", args)} failed (exit {outcome.ExitCode}): {outcome.StdErr.Trim()}");
            }
            return outcome;
        }
    }
}
