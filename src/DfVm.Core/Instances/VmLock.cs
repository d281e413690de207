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

        public static VmLock Acquire(VmPaths paths, TimeSpan wait, CancellationToken ct)
        {
            var watch = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    var stream = new FileStream(paths.Lock, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                    return new VmLock(stream);
                }
                catch (IOException) when (watch.Elapsed < wait)
                {
                    ct.ThrowIfCancellationRequested();
                    Thread.Sleep(100);
                }
                catch (IOException e)
                {
                    throw new DfVmException(ErrorIds.VmLocked, DfVmErrorKind.ResourceUnavailable,
                        $"VM '{paths.Name}' is busy: another DfVm command (maybe in another pwsh session) holds {paths.Lock}. Wait for it to finish and try again.",
                        paths.Name, e);
                }
            }
        }

        public void Dispose() => _stream.Dispose();
    }
}
