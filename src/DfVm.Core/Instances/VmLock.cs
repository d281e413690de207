using System;
using System.Diagnostics;
using System.IO;
using System.Threading;

namespace DfVm.Core.Instances
{
    /// <summary>
    /// Per-VM lock for mutating operations, held as an exclusive open of vm/&lt;name&gt;/lock
    /// (.NET takes an flock on it), so it is released by the kernel when the holder dies.
    /// Readers never take it.
    /// </summary>
    public sealed class VmLock : IDisposable
    {
        private readonly FileStream _stream;

        private VmLock(FileStream stream) { _stream = stream; }

        public static VmLock Acquire(VmPaths paths, TimeSpan wait, CancellationToken ct) => Acquire(paths, wait, null, ct);

        /// <summary>
        /// Takes the lock, waiting up to <paramref name="wait"/> for another command to finish;
        /// says once (verbose, progress) that it is waiting. A VM folder that disappears while
        /// waiting (Remove-DfVm won) is VmNotFound, not VmLocked.
        /// </summary>
        public static VmLock Acquire(VmPaths paths, TimeSpan wait, IOperationReporter reporter, CancellationToken ct)
        {
            var watch = Stopwatch.StartNew();
            OperationProgress progress = null;
            try
            {
                while (true)
                {
                    try
                    {
                        var stream = new FileStream(paths.Lock, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                        if (!File.Exists(paths.Definition))
                        {
                            // The holder we waited for removed the VM (the lock we got is on its deleted file).
                            stream.Dispose();
                            throw Gone(paths, null);
                        }
                        return new VmLock(stream);
                    }
                    catch (DirectoryNotFoundException e)
                    {
                        throw Gone(paths, e);
                    }
                    catch (IOException) when (watch.Elapsed < wait)
                    {
                        ct.ThrowIfCancellationRequested();
                        if (progress == null && reporter != null && watch.Elapsed > TimeSpan.FromMilliseconds(500))
                        {
                            reporter.Verbose($"VM '{paths.Name}' is busy with another DfVm command (maybe in another pwsh session): waiting up to {wait.TotalSeconds:0} s for it to finish.");
                            progress = new OperationProgress { ActivityId = ProgressActivities.LockWait, Activity = $"Waiting for VM '{paths.Name}'" };
                        }
                        if (progress != null)
                        {
                            progress.Status = $"another DfVm command holds {paths.Lock} ({watch.Elapsed.TotalSeconds:0} s)";
                            reporter.Progress(progress);
                        }
                        Thread.Sleep(100);
                    }
                    catch (IOException e)
                    {
                        throw new DfVmException(ErrorIds.VmLocked, DfVmErrorKind.ResourceUnavailable,
                            $"VM '{paths.Name}' is busy: another DfVm command (maybe in another pwsh session) has held {paths.Lock} for over {wait.TotalSeconds:0} s. Wait for it to finish and try again.",
                            paths.Name, e);
                    }
                }
            }
            finally
            {
                if (progress != null)
                {
                    progress.Completed = true;
                    reporter.Progress(progress);
                }
            }
        }

        private static DfVmException Gone(VmPaths paths, Exception inner) =>
            new DfVmException(ErrorIds.VmNotFound, DfVmErrorKind.NotFound,
                $"VM '{paths.Name}' is gone: {paths.Directory} holds no VM (removed by another DfVm command?).", paths.Name, inner);

        public void Dispose() => _stream.Dispose();
    }
}
