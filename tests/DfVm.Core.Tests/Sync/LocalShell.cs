using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Ssh;

namespace DfVm.Core.Tests.Sync
{
    /// <summary>
    /// A real IGuestShell on this host: /bin/sh -c in a child process, with the C locale of a
    /// fresh guest. It can kill the command after a number of stdin bytes (a real interrupted
    /// transfer: the guest tar dies mid-stream and leaves a partial extract).
    /// </summary>
    internal sealed class LocalShell : IGuestShell
    {
        private readonly object _gate = new object();

        public List<string> Commands { get; } = new List<string>();

        /// <summary>When set, the first command that receives more stdin bytes than this is killed (once).</summary>
        public long? KillAfterStdinBytes { get; set; }

        /// <summary>What each command that was given stdin received: its command, the first bytes and the count.</summary>
        public List<StdinRecord> Stdin { get; } = new List<StdinRecord>();

        /// <summary>Extra environment for the commands (e.g. a PATH without sha256sum).</summary>
        public Dictionary<string, string> Environment { get; } = new Dictionary<string, string>();

        public async Task<GuestCommandOutcome> RunAsync(string shCommand, Func<Stream, CancellationToken, Task> writeStdin,
            Action<string> onStdoutLine, Action<string> onStderrLine, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                Commands.Add(shCommand);
            }
            var clock = Stopwatch.StartNew();
            var psi = new ProcessStartInfo("/bin/sh")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(shCommand);
            psi.Environment["LC_ALL"] = "C";
            psi.Environment["LANG"] = "C";
            foreach (var kv in Environment)
            {
                psi.Environment[kv.Key] = kv.Value;
            }

            using var process = new Process { StartInfo = psi };
            process.OutputDataReceived += (_, e) => { if (e.Data != null) { onStdoutLine?.Invoke(e.Data); } };
            process.ErrorDataReceived += (_, e) => { if (e.Data != null) { onStderrLine?.Invoke(e.Data); } };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using CancellationTokenRegistration reg = cancellationToken.Register(() => KillQuietly(process));

            long? killAfter = KillAfterStdinBytes;
            Stream stdin = process.StandardInput.BaseStream;
            try
            {
                if (writeStdin != null)
                {
                    var record = new StdinRecord(shCommand);
                    lock (_gate)
                    {
                        Stdin.Add(record);
                    }
                    Stream target = new RecordingStream(stdin, record);
                    if (killAfter.HasValue)
                    {
                        target = new KillingStream(target, killAfter.Value, () =>
                        {
                            KillAfterStdinBytes = null;
                            KillQuietly(process);
                        });
                    }
                    await writeStdin(target, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (IOException)
            {
                // the command went away while we wrote: its exit code tells
            }
            finally
            {
                try
                {
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                }
            }

            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return new GuestCommandOutcome(process.ExitCode, clock.Elapsed);
        }

        private static void KillQuietly(Process p)
        {
            try
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true); // by our own child's pid
                }
            }
            catch (InvalidOperationException)
            {
            }
        }

        /// <summary>One command's stdin as it was written.</summary>
        public sealed class StdinRecord
        {
            public StdinRecord(string command)
            {
                Command = command;
            }

            public string Command { get; }
            /// <summary>Up to the first 512 bytes.</summary>
            public List<byte> Head { get; } = new List<byte>();
            public long Count { get; set; }
        }

        /// <summary>A write-only stream over another: what a stdin wrapper need not say again.</summary>
        private abstract class PassThroughStream : Stream
        {
            protected PassThroughStream(Stream inner)
            {
                _inner = inner;
            }

            protected readonly Stream _inner;

            public override bool CanRead => false;
            public override bool CanSeek => false;
            public override bool CanWrite => true;
            public override long Length => throw new NotSupportedException();
            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
            public override void Flush() => _inner.Flush();
            public override Task FlushAsync(CancellationToken ct) => _inner.FlushAsync(ct);
            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
        }

        /// <summary>Passes writes through, noting the first bytes and the count in a <see cref="StdinRecord"/>.</summary>
        private sealed class RecordingStream : PassThroughStream
        {
            private readonly StdinRecord _record;

            public RecordingStream(Stream inner, StdinRecord record)
                : base(inner)
            {
                _record = record;
            }

            public override void Write(byte[] buffer, int offset, int count)
            {
                _inner.Write(buffer, offset, count);
                Note(buffer, offset, count);
            }

            public override async Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct)
            {
                await _inner.WriteAsync(buffer, offset, count, ct).ConfigureAwait(false);
                Note(buffer, offset, count);
            }

            private void Note(byte[] buffer, int offset, int count)
            {
                for (int i = 0; i < count && _record.Head.Count < 512; i++)
                {
                    _record.Head.Add(buffer[offset + i]);
                }
                _record.Count += count;
            }
        }

        /// <summary>Passes writes through until <c>limit</c> bytes, then kills the command and fails the write.</summary>
        private sealed class KillingStream : PassThroughStream
        {
            private readonly long _limit;
            private readonly Action _kill;
            private long _written;

            public KillingStream(Stream inner, long limit, Action kill)
                : base(inner)
            {
                _limit = limit;
                _kill = kill;
            }

            public override void Write(byte[] buffer, int offset, int count)
            {
                WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();
            }

            public override async Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct)
            {
                if (_written + count > _limit)
                {
                    int part = (int)Math.Max(0, _limit - _written);
                    await _inner.WriteAsync(buffer, offset, part, ct).ConfigureAwait(false);
                    await _inner.FlushAsync(ct).ConfigureAwait(false);
                    _written += part;
                    await Task.Delay(200, ct).ConfigureAwait(false); // let tar write what it got
                    _kill();
                    throw new IOException("connection lost (test: command killed after " + _limit + " stdin bytes)");
                }
                await _inner.WriteAsync(buffer, offset, count, ct).ConfigureAwait(false);
                _written += count;
            }
        }
    }
}
