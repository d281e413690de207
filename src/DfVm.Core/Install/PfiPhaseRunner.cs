using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Images;
using DfVm.Core.Instances;
using DfVm.Core.Qemu;

namespace DfVm.Core.Install
{
    /// <summary>
    /// Runs one PFI phase: boots the VM with the phase's media, follows the serial console
    /// (every line to Verbose and to the progress status) and watches for the end. A phase
    /// succeeds when its done marker appeared and QEMU exited (the guest powers itself off). It
    /// fails with <see cref="InstallErrorIds.PhaseFailed"/> on its failed marker, a kernel panic,
    /// or QEMU exiting without the done marker; with <see cref="InstallErrorIds.PhaseTimeout"/>
    /// when it runs too long or the console stays silent too long. Errors carry the last 20
    /// serial lines. Only this VM's own QEMU is ever ended (<see cref="QemuProcess.KillAsync"/>).
    /// </summary>
    public sealed class PfiPhaseRunner
    {
        private static readonly string[] PanicMarkers = { "panic: ", "Kernel panic", "Fatal trap" };
        private readonly VmController _controller;

        public PfiPhaseRunner(VmController controller)
        {
            _controller = controller ?? throw new ArgumentNullException(nameof(controller));
        }

        /// <summary>How often the serial log and QEMU are looked at.</summary>
        public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

        /// <summary>After a failed marker: how long the guest may take to power off by itself (it syncs first) before QEMU is ended.</summary>
        public TimeSpan FailureGrace { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>After the done marker: how long the guest may take to power off before QEMU is ended (the phase still succeeds).</summary>
        public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromMinutes(2);

        /// <summary>True when the caller holds the VM's lock (<see cref="VmLock"/>) for the phase; the boot then does not take it.</summary>
        public bool CallerHoldsLock { get; set; }

        /// <summary>Boots with only the PFI disc attached (a phase on an installed disk).</summary>
        public Task<PhaseResult> RunPhaseAsync(VmPaths paths, PfiPhase phase, string discPath, TimeSpan timeout, TimeSpan silenceTimeout,
            IOperationReporter reporter, CancellationToken ct) =>
            RunPhaseAsync(paths, phase, new PhaseBoot
            {
                Media = new[] { new AttachedMedia { Path = discPath, IsCdrom = true } },
                Timeout = timeout,
                SilenceTimeout = silenceTimeout,
            }, reporter, ct);

        public async Task<PhaseResult> RunPhaseAsync(VmPaths paths, PfiPhase phase, PhaseBoot boot, IOperationReporter reporter, CancellationToken ct)
        {
            if (paths == null) throw new ArgumentNullException(nameof(paths));
            if (phase == null) throw new ArgumentNullException(nameof(phase));
            if (boot == null) throw new ArgumentNullException(nameof(boot));
            reporter = reporter ?? NullReporter.Instance;
            if (_controller.RunningPid(paths) != null)
            {
                throw new DfVmException(InstallErrorIds.VmIsRunning, DfVmErrorKind.InvalidOperation,
                    $"VM '{paths.Name}' is running. Stop it (Stop-DfVm -Name {paths.Name}) before an install phase boots it.", paths.Name);
            }
            foreach (var media in boot.Media ?? new AttachedMedia[0])
            {
                if (!File.Exists(media.Path))
                {
                    throw new DfVmException(InstallErrorIds.InstallMediaNotFound, DfVmErrorKind.NotFound,
                        $"Install medium not found: {media.Path}.", paths.Name);
                }
            }

            var progress = new OperationProgress { ActivityId = ProgressActivities.InstallPhase, Activity = $"Install phase '{phase.Name}' of VM '{paths.Name}'", Status = "booting" };
            reporter.Progress(progress);
            reporter.Verbose($"Phase '{phase.Name}': booting VM '{paths.Name}' with {(boot.Media ?? new AttachedMedia[0]).Count} medium/media attached.");
            var watch = Stopwatch.StartNew();
            SerialConsoleDialog dialog = null;
            bool started = false;
            try
            {
                var vm = await _controller.StartAsync(paths, new StartOptions
                {
                    NoWait = true,
                    Media = boot.Media,
                    ExtraQemuArgs = boot.ExtraQemuArgs,
                    CallerHoldsLock = CallerHoldsLock,
                }, reporter, ct).ConfigureAwait(false);
                started = true;
                int pid = vm.ProcessId ?? _controller.RunningPid(paths)
                    ?? throw new PhaseException(InstallErrorIds.PhaseFailed, paths.Name, phase.Name, "ended before it could be watched: QEMU exited at once", SerialLog.Tail(paths.SerialLog), watch.Elapsed);

                if (boot.ConsoleDialog != null && boot.ConsoleDialog.Count > 0)
                {
                    dialog = SerialConsoleDialog.Start(Path.Combine(paths.Directory, "serial.sock"), paths.SerialLog, boot.ConsoleDialog, reporter.Verbose);
                }
                return await WatchAsync(paths, phase, boot, pid, watch, progress, reporter, dialog, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (started)
            {
                reporter.Verbose($"Phase '{phase.Name}' cancelled: ending QEMU of VM '{paths.Name}'.");
                await _controller.KillAsync(paths, reporter, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
            finally
            {
                dialog?.Dispose();
                if (started) _controller.CleanStale(paths, reporter);
                progress.Completed = true;
                reporter.Progress(progress);
            }
        }

        private async Task<PhaseResult> WatchAsync(VmPaths paths, PfiPhase phase, PhaseBoot boot, int pid, Stopwatch watch,
            OperationProgress progress, IOperationReporter reporter, SerialConsoleDialog dialog, CancellationToken ct)
        {
            var follower = new SerialLogFollower(paths.SerialLog);
            var silence = Stopwatch.StartNew();
            Stopwatch sinceDone = null, sinceFailure = null;
            string failure = null;
            int lineCount = 0;
            string lastLine = "booting";
            var sinceProgress = Stopwatch.StartNew();
            int linesAtProgress = -1;

            void Consume(IReadOnlyList<string> lines)
            {
                foreach (var line in lines)
                {
                    lineCount++;
                    silence.Restart();
                    reporter.Verbose($"[{phase.Name}] {line}");
                    lastLine = line.Length > 120 ? line.Substring(0, 120) : line;
                    if (failure != null) continue;
                    int at = line.IndexOf(phase.FailedMarkerPrefix, StringComparison.Ordinal);
                    if (at >= 0)
                    {
                        failure = "failed: " + line.Substring(at + phase.FailedMarkerPrefix.Length).Trim();
                        sinceFailure = Stopwatch.StartNew();
                    }
                    else if (line.IndexOf(phase.DoneMarker, StringComparison.Ordinal) >= 0)
                    {
                        if (sinceDone == null) sinceDone = Stopwatch.StartNew();
                    }
                    else if (Array.Exists(PanicMarkers, m => line.IndexOf(m, StringComparison.Ordinal) >= 0))
                    {
                        failure = "failed: the guest kernel panicked (" + line.Trim() + ")";
                        sinceFailure = Stopwatch.StartNew();
                    }
                }
            }

            while (true)
            {
                Consume(follower.ReadNewLines());
                if (!QemuProcess.IsOurQemu(pid, paths))
                {
                    Consume(follower.ReadNewLines()); // what QEMU wrote before it went
                    break;
                }
                if (dialog != null && dialog.Done.IsFaulted && failure == null && sinceDone == null)
                {
                    // The loader never gave the answer a step waited for: the boot cannot go on as planned.
                    var e = dialog.Done.Exception.GetBaseException();
                    Consume(follower.ReadNewLines());
                    reporter.Verbose($"Phase '{phase.Name}': {e.Message}: ending QEMU.");
                    await _controller.KillAsync(paths, reporter, CancellationToken.None).ConfigureAwait(false);
                    if (e is ConsoleStepFailedException step)
                        throw new PhaseException(InstallErrorIds.PhaseTimeout, paths.Name, phase.Name, "stopped at the boot loader: " + step.Message, Tail(paths, follower), watch.Elapsed);
                    throw new PhaseException(InstallErrorIds.PhaseFailed, paths.Name, phase.Name, "could not type into the serial console: " + e.Message, Tail(paths, follower), watch.Elapsed);
                }
                if (sinceFailure != null && sinceFailure.Elapsed > FailureGrace)
                {
                    reporter.Verbose($"Phase '{phase.Name}' failed and the guest did not power off within {FailureGrace.TotalSeconds:0} s: ending QEMU.");
                    await _controller.KillAsync(paths, reporter, CancellationToken.None).ConfigureAwait(false);
                    break;
                }
                if (sinceDone != null && failure == null && sinceDone.Elapsed > ShutdownGrace)
                {
                    reporter.Warning($"Phase '{phase.Name}' of VM '{paths.Name}' finished but the guest did not power off within {ShutdownGrace.TotalSeconds:0} s (no ACPI power-off?); QEMU was ended.");
                    await _controller.KillAsync(paths, reporter, CancellationToken.None).ConfigureAwait(false);
                    return Result(phase, watch, lineCount, poweredOff: false);
                }
                if (failure == null && sinceDone == null)
                {
                    string why = null;
                    if (watch.Elapsed > boot.Timeout) why = $"did not finish within {boot.Timeout.TotalSeconds:0} s";
                    else if (silence.Elapsed > boot.SilenceTimeout) why = $"printed nothing on the serial console for {boot.SilenceTimeout.TotalSeconds:0} s";
                    if (why != null)
                    {
                        reporter.Verbose($"Phase '{phase.Name}' {why}: ending QEMU.");
                        await _controller.KillAsync(paths, reporter, CancellationToken.None).ConfigureAwait(false);
                        throw new PhaseException(InstallErrorIds.PhaseTimeout, paths.Name, phase.Name, why, Tail(paths, follower), watch.Elapsed);
                    }
                }
                if (lineCount != linesAtProgress || sinceProgress.Elapsed > TimeSpan.FromSeconds(1))
                {
                    progress.Status = $"{watch.Elapsed.TotalSeconds:0} s: {lastLine}";
                    reporter.Progress(progress);
                    linesAtProgress = lineCount;
                    sinceProgress.Restart();
                }
                await Task.Delay(PollInterval, ct).ConfigureAwait(false);
            }

            if (failure != null)
                throw new PhaseException(InstallErrorIds.PhaseFailed, paths.Name, phase.Name, failure, Tail(paths, follower), watch.Elapsed);
            if (sinceDone == null)
                throw new PhaseException(InstallErrorIds.PhaseFailed, paths.Name, phase.Name,
                    $"ended (QEMU exited) without printing '{phase.DoneMarker}'", Tail(paths, follower), watch.Elapsed);
            reporter.Verbose($"Phase '{phase.Name}' of VM '{paths.Name}' done in {watch.Elapsed.TotalSeconds:0} s.");
            return Result(phase, watch, lineCount, poweredOff: true);
        }

        private static PhaseResult Result(PfiPhase phase, Stopwatch watch, int lines, bool poweredOff) =>
            new PhaseResult { Phase = phase.Name, Duration = watch.Elapsed, Lines = lines, PoweredOff = poweredOff };

        private static string Tail(VmPaths paths, SerialLogFollower follower)
        {
            string tail = SerialLog.Tail(paths.SerialLog, 20);
            string pending = follower.PendingText;
            // A prompt the guest waits at has no newline yet: SerialLog.Tail shows it too, but say it is unfinished.
            return pending.Trim().Length > 0 ? tail + "   <- (no newline yet)" : tail;
        }
    }
}
