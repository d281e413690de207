using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace DfVm.Core.Images
{
    /// <summary>
    /// An exclusive flock(2) on <c>X.bz2.lock</c> in the images folder, held for the whole download,
    /// check and decompression of one release file: a second Save-DfVmImage of the same release (in
    /// this or another process) waits for the first, then finds the image cached, instead of writing
    /// into the same .part. Taken on a file descriptor of its own (libc open), not a FileStream: .NET
    /// takes its own flock on the files it opens, and two shared locks could never be upgraded. The
    /// kernel drops the lock when the holder dies. The lock file is left in place (removing it would
    /// let a waiter lock an unlinked file).
    /// </summary>
    internal sealed class DownloadLock : IDisposable
    {
        private const int O_RDWR = 2, O_CREAT = 0x40, O_CLOEXEC = 0x80000;
        private const int LOCK_EX = 2, LOCK_NB = 4;
        private const int EINTR = 4, EWOULDBLOCK = 11;

        [DllImport("libc", SetLastError = true, EntryPoint = "open")]
        private static extern int Open(string path, int flags, int mode);

        [DllImport("libc", SetLastError = true, EntryPoint = "flock")]
        private static extern int Flock(int fd, int operation);

        [DllImport("libc", SetLastError = true, EntryPoint = "close")]
        private static extern int Close(int fd);

        private int _fd;

        private DownloadLock(int fd) { _fd = fd; }

        /// <summary>Waits (polling, cancellable) until the lock is ours; <paramref name="onWait"/> is called once if it must wait.</summary>
        public static async Task<DownloadLock> AcquireAsync(string path, Action onWait, CancellationToken ct)
        {
            int fd = Open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0x1A4 /* 0644 */);
            if (fd < 0) throw new IOException($"Cannot open the download lock {path} (errno {Marshal.GetLastWin32Error()}).");
            bool waited = false;
            try
            {
                while (true)
                {
                    if (Flock(fd, LOCK_EX | LOCK_NB) == 0) return new DownloadLock(fd);
                    int errno = Marshal.GetLastWin32Error();
                    if (errno != EWOULDBLOCK && errno != EINTR) throw new IOException($"Cannot lock {path} (errno {errno}).");
                    if (!waited) { waited = true; onWait?.Invoke(); }
                    await Task.Delay(100, ct).ConfigureAwait(false);
                }
            }
            catch
            {
                Close(fd);
                throw;
            }
        }

        public void Dispose()
        {
            int fd = Interlocked.Exchange(ref _fd, -1);
            if (fd >= 0) Close(fd); // closing the last descriptor releases the flock
        }
    }
}
