using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace DfVm.Core.Sync
{
    /// <summary>
    /// Streams the planned entries as one tar archive into the guest command's stdin,
    /// hashing files as they are read (each file is read once). Unreadable files are skipped
    /// and reported; errors writing to the guest are kept for the caller, not thrown into the shell.
    /// </summary>
    internal sealed class TarSender
    {
        private readonly IReadOnlyList<HostEntry> _entries;
        private readonly ProgressThrottle _progress;
        private readonly long _bytesTotal;
        private readonly bool _compress;

        /// <param name="compress">Gzip the archive on its way (<see cref="StreamCompression"/>); the guest must inflate it.</param>
        public TarSender(IReadOnlyList<HostEntry> entries, ProgressThrottle progress, bool compress = false)
        {
            _entries = entries;
            _progress = progress;
            _compress = compress;
            foreach (HostEntry e in entries)
            {
                _bytesTotal += e.Size;
            }
        }

        /// <summary>Files written, by path: their hash and whether they held still while read.</summary>
        public Dictionary<string, TarFileWritten> Files { get; } = new Dictionary<string, TarFileWritten>(StringComparer.Ordinal);
        /// <summary>Paths put in the archive.</summary>
        public List<string> Written { get; } = new List<string>();
        public List<string> Problems { get; } = new List<string>();
        public HashSet<string> Skipped { get; } = new HashSet<string>(StringComparer.Ordinal);
        /// <summary>Bytes of tar written (before any compression).</summary>
        public long BytesWritten { get; private set; }
        /// <summary>Bytes that went into the command's stdin: <see cref="BytesWritten"/>, or fewer when compressed.</summary>
        public long WireBytes { get; private set; }
        public bool Compressed => _compress;
        public Exception StreamError { get; private set; }
        public bool Completed { get; private set; }

        public async Task WriteAsync(Stream stdin, CancellationToken ct)
        {
            // Coalesce headers, padding and file bytes into large writes: each write to the SSH
            // stdin stream becomes its own channel packet, and the guest's sshd pays per packet.
            StreamCompression.Compressed gzip = _compress ? StreamCompression.Compress(stdin) : null;
            Stream tar = gzip?.Input ?? new BufferedStream(stdin, 256 * 1024);
            var writer = new PaxTarWriter(tar);
            long contentDone = 0;
            int done = 0;
            try
            {
                foreach (HostEntry e in _entries)
                {
                    ct.ThrowIfCancellationRequested();
                    _progress.Report("Sending", done, _entries.Count, contentDone, _bytesTotal, e.RelativePath);
                    switch (e.Type)
                    {
                        case SyncEntryType.Directory:
                            await writer.WriteDirectoryAsync(e, ct).ConfigureAwait(false);
                            break;
                        case SyncEntryType.Symlink:
                            await writer.WriteSymlinkAsync(e, ct).ConfigureAwait(false);
                            break;
                        default:
                            if (e.Size == 0)
                            {
                                // Never opened: an empty file needs no read, and a FIFO or device
                                // (which stat as empty files here) must not block the sync.
                                Files[e.RelativePath] = await writer.WriteFileAsync(e, Stream.Null, null, ct).ConfigureAwait(false);
                                break;
                            }
                            FileStream fs = Open(e);
                            if (fs == null)
                            {
                                done++;
                                continue;
                            }
                            using (fs)
                            {
                                string path = e.RelativePath;
                                int doneNow = done;
                                TarFileWritten r = await writer.WriteFileAsync(e, fs, n =>
                                {
                                    contentDone += n;
                                    _progress.Report("Sending", doneNow, _entries.Count, contentDone, _bytesTotal, path);
                                }, ct).ConfigureAwait(false);
                                Files[e.RelativePath] = r;
                            }
                            break;
                    }
                    Written.Add(e.RelativePath);
                    done++;
                }
                // Every directory header once more, deepest first, after everything written into it.
                // bsdtar defers the times of a directory it creates until the end, but sets those of
                // a directory that already exists at once, so the header above was undone for an
                // existing directory as soon as a child was written into it.
                for (int i = _entries.Count - 1; i >= 0; i--)
                {
                    if (_entries[i].Type == SyncEntryType.Directory)
                    {
                        ct.ThrowIfCancellationRequested();
                        await writer.WriteDirectoryAsync(_entries[i], ct).ConfigureAwait(false);
                    }
                }
                await writer.FinishAsync(ct).ConfigureAwait(false);
                if (gzip != null)
                {
                    await gzip.FinishAsync(ct).ConfigureAwait(false);
                }
                Completed = true;
                _progress.Report("Sending", done, _entries.Count, contentDone, _bytesTotal, null, force: true);
            }
            catch (OperationCanceledException)
            {
                throw;
            }
            catch (Exception ex)
            {
                StreamError = ex;
            }
            finally
            {
                BytesWritten = writer.BytesWritten;
                WireBytes = gzip?.WireBytes ?? writer.BytesWritten;
            }
        }

        private FileStream Open(HostEntry e)
        {
            try
            {
                return new FileStream(e.FullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                Problems.Add(e.RelativePath + ": " + ex.Message);
                Skipped.Add(e.RelativePath);
                return null;
            }
        }
    }
}
