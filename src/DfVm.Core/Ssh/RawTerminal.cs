using System;
using System.Runtime.InteropServices;

namespace DfVm.Core.Ssh
{
    /// <summary>
    /// Puts the controlling terminal (fd 0) in raw mode for an interactive guest shell, so keys,
    /// Ctrl+C included, go to the guest byte for byte; restores the saved mode on Dispose. Uses
    /// libc's tcgetattr/cfmakeraw/tcsetattr directly (a child `stty` would be undone by .NET).
    /// </summary>
    public sealed class RawTerminal : IDisposable
    {
        private const int StdIn = 0;
        private const int TCSANOW = 0;
        private readonly byte[] _saved = new byte[256];
        private bool _restored;

        [DllImport("libc", SetLastError = true)] private static extern int isatty(int fd);
        [DllImport("libc", SetLastError = true)] private static extern int tcgetattr(int fd, byte[] termios);
        [DllImport("libc", SetLastError = true)] private static extern int tcsetattr(int fd, int action, byte[] termios);
        [DllImport("libc")] private static extern void cfmakeraw(byte[] termios);
        [DllImport("libc", SetLastError = true)] private static extern int poll([In, Out] PollFd[] fds, uint nfds, int timeout);
        [DllImport("libc", SetLastError = true)] private static extern IntPtr read(int fd, byte[] buf, UIntPtr count);

        [StructLayout(LayoutKind.Sequential)]
        private struct PollFd
        {
            public int fd;
            public short events;
            public short revents;
        }

        public static bool IsInteractive => isatty(StdIn) == 1;

        private RawTerminal()
        {
            if (tcgetattr(StdIn, _saved) != 0) throw new InvalidOperationException("tcgetattr failed on standard input.");
            var raw = (byte[])_saved.Clone();
            cfmakeraw(raw);
            if (tcsetattr(StdIn, TCSANOW, raw) != 0) throw new InvalidOperationException("tcsetattr failed on standard input.");
        }

        public static RawTerminal Enter() => new RawTerminal();

        /// <summary>Reads what the user typed, waiting at most <paramref name="timeoutMs"/>; 0 when nothing came, -1 at EOF.</summary>
        public static int ReadInput(byte[] buffer, int timeoutMs)
        {
            var fds = new[] { new PollFd { fd = StdIn, events = 1 /* POLLIN */ } };
            int ready = poll(fds, 1, timeoutMs);
            if (ready <= 0) return 0;
            long n = (long)read(StdIn, buffer, (UIntPtr)buffer.Length);
            return n <= 0 ? -1 : (int)n;
        }

        public void Dispose()
        {
            if (_restored) return;
            _restored = true;
            tcsetattr(StdIn, TCSANOW, _saved);
        }
    }
}
