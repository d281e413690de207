using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Sync;
using Xunit;

namespace DfVm.Core.Tests.Sync
{
    /// <summary>A temp dir holding a source tree, a "guest" destination and a manifest path; removed on dispose.</summary>
    internal sealed class SyncSandbox : IDisposable
    {
        public SyncSandbox(string guestDirName = "dest")
        {
            string name = "dfvm-sync-" + Guid.NewGuid().ToString("N").Substring(0, 10);
            Root = Path.Combine(Path.GetTempPath(), name);
            // On tmpfs when there is one (the disk-backed /tmp of a busy 2-core box makes 10,000
            // creates slow), reached through a symlink in the temp dir: the destination check
            // rightly refuses guest paths under /dev.
            if (Directory.Exists("/dev/shm"))
            {
                _realRoot = Path.Combine("/dev/shm", name);
                Directory.CreateDirectory(_realRoot);
                File.CreateSymbolicLink(Root, _realRoot);
            }
            Source = Path.Combine(Root, "src");
            Guest = Path.Combine(Root, "guest", guestDirName);
            Manifest = Path.Combine(Root, "vm", "dfly", "sync-manifest.json");
            Directory.CreateDirectory(Source);
            Shell = new LocalShell();
        }

        private readonly string _realRoot;

        public string Root { get; }
        public string Source { get; }
        public string Guest { get; }
        public string Manifest { get; }
        public LocalShell Shell { get; }

        public string Src(string rel) => Path.Combine(Source, rel);
        public string Dst(string rel) => Path.Combine(Guest, rel);

        public void Write(string rel, string content, DateTime? mtimeUtc = null)
        {
            Write(rel, Encoding.UTF8.GetBytes(content), mtimeUtc);
        }

        public void Write(string rel, byte[] content, DateTime? mtimeUtc = null)
        {
            string full = Src(rel);
            Directory.CreateDirectory(Path.GetDirectoryName(full));
            File.WriteAllBytes(full, content);
            if (mtimeUtc.HasValue)
            {
                File.SetLastWriteTimeUtc(full, mtimeUtc.Value);
            }
        }

        public void Dir(string rel) => Directory.CreateDirectory(Src(rel));

        public void Link(string rel, string target)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Src(rel)));
            File.CreateSymbolicLink(Src(rel), target);
        }

        /// <summary>Sets a symlink's own mtime (touch -h), which .NET would set on the target.</summary>
        public void TouchLink(string rel, DateTime utc)
        {
            var psi = new System.Diagnostics.ProcessStartInfo("touch") { UseShellExecute = false };
            psi.ArgumentList.Add("-h");
            psi.ArgumentList.Add("-d");
            psi.ArgumentList.Add("@" + new DateTimeOffset(utc).ToUnixTimeSeconds());
            psi.ArgumentList.Add("--");
            psi.ArgumentList.Add(Src(rel));
            using var p = System.Diagnostics.Process.Start(psi);
            p.WaitForExit();
            Assert.Equal(0, p.ExitCode);
        }

        public SyncOptions Options(Action<SyncOptions> tweak = null)
        {
            var o = new SyncOptions
            {
                SourcePath = Source,
                Destination = Guest,
                ManifestPath = Manifest,
                ExtraExcludes = new List<string>(),
                VmDirectory = Src("vm"),
            };
            tweak?.Invoke(o);
            return o;
        }

        public Task<SyncOutcome> SyncAsync(Action<SyncOptions> tweak = null, IProgress<SyncProgress> progress = null)
        {
            return new ProjectSyncer(Shell).SyncAsync(Options(tweak), progress, CancellationToken.None);
        }

        /// <summary>Asserts the guest equals the source minus the paths <paramref name="excluded"/> says are left out.</summary>
        public void AssertInSync(Func<string, bool> excluded = null)
        {
            var expected = TreeSnapshot.Take(Source, p => excluded == null || !excluded(p));
            var actual = TreeSnapshot.Take(Guest);
            string diff = TreeSnapshot.Diff(expected, actual);
            Assert.True(diff.Length == 0, "guest differs from source:\n" + diff);
        }

        public void Dispose()
        {
            try
            {
                if (_realRoot != null)
                {
                    File.Delete(Root);
                    Directory.Delete(_realRoot, true);
                }
                else
                {
                    Directory.Delete(Root, true);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
