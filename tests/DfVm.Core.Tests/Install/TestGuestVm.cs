using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Images;
using DfVm.Core.Instances;

namespace DfVm.Core.Tests.Install
{
    /// <summary>
    /// A throwaway project folder with one VM of the Linux test guest (tests/guest/build-guest.sh):
    /// an overlay of its root disk, booted with its kernel. Dispose ends this VM's QEMU (by its
    /// verified pid, through VmController) and deletes the folder.
    /// </summary>
    internal sealed class TestGuestVm : IDisposable
    {
        private static readonly Lazy<JsonElement> Guest = new Lazy<JsonElement>(LoadGuest);

        /// <param name="append">Rewrites the guest's kernel command line (e.g. <see cref="LoaderAppend"/>).</param>
        /// <param name="configure">Changes the VM definition before the VM is made (e.g. no base image: an empty disk).</param>
        public TestGuestVm(string name = "inst", Func<string, string> append = null, Action<VmDefinition> configure = null)
        {
            Root = Path.Combine(Path.GetTempPath(), "dfvm-install-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            Directory.CreateDirectory(Root);
            Engine = new DfVmEngine(Path.Combine(Root, "vm"));
            var g = Guest.Value;
            var def = new VmDefinition
            {
                Name = name,
                MemoryMB = 512,
                Cpus = 1,   // one vCPU: two test jobs share the 2-core machine (TestHelpers.ps1 New-TestProject)
                SshPort = 0,
                GuestOs = "linux",
                DiskInterface = "virtio-blk",
                BaseImage = g.GetProperty("disk").GetString(),
                Boot = new DirectBoot
                {
                    Kernel = g.GetProperty("kernel").GetString(),
                    Initrd = g.GetProperty("initrd").GetString(),
                    Append = (append ?? (a => a))(g.GetProperty("append").GetString()),
                },
            };
            configure?.Invoke(def);
            Paths = Engine.Factory.CreateAsync(def, false, null, CancellationToken.None).GetAwaiter().GetResult();
        }

        /// <summary>
        /// The kernel command line for the loader imitation (tests/guest/initramfs/loader): the
        /// kernel's console on the screen (not the serial line), the loader stage ready after
        /// <paramref name="ready"/> s, plus its knobs (e.g. "dfvm.loader.redrain=60").
        /// </summary>
        public static Func<string, string> LoaderAppend(int ready, params string[] knobs) => append =>
        {
            string a = append.Replace("console=ttyS0,115200", "console=tty0");
            if (a == append) throw new InvalidOperationException("the guest's append line has no console=ttyS0,115200: " + append);
            return a + " dfvm.loader=" + ready + (knobs.Length > 0 ? " " + string.Join(" ", knobs) : "");
        };

        /// <summary>A file of the test guest's build directory (next to guest.json), e.g. release.iso or rootfs.qcow2.</summary>
        public static string GuestFile(string name) => Path.Combine(Path.GetDirectoryName(Guest.Value.GetProperty("disk").GetString()), name);

        /// <summary>The guest's kernel command line as guest.json gives it.</summary>
        public static string GuestAppend => Guest.Value.GetProperty("append").GetString();

        public string Root { get; }
        public DfVmEngine Engine { get; }
        public VmStore Store => Engine.Store;
        public VmController Controller => Engine.Controller;
        public VmPaths Paths { get; }
        public string ImagesDirectory => Path.Combine(Store.Root, "images");

        /// <summary>A PFI disc with pfi.conf (plus <paramref name="conf"/> lines) and run.sh.</summary>
        public string WriteDisc(string fileName, string script, string conf = "", string authorizedKeys = null)
        {
            var files = new List<PfiDiscFile>
            {
                new PfiDiscFile("pfi.conf", Encoding.UTF8.GetBytes("pfi_script=run.sh\n" + conf)),
                new PfiDiscFile("run.sh", Encoding.UTF8.GetBytes(script), PfiDiscFile.Octal("755")),
            };
            if (authorizedKeys != null) files.Add(new PfiDiscFile("authorized_keys", Encoding.UTF8.GetBytes(authorizedKeys), PfiDiscFile.Octal("600")));
            string path = Path.Combine(Root, fileName);
            new PfiDiscBuilder().Build(path, files, "TESTPFI");
            return path;
        }

        public void Dispose()
        {
            try { Controller.KillAsync(Paths, null, CancellationToken.None).GetAwaiter().GetResult(); }
            catch (Exception) { /* best effort: the folder goes anyway */ }
            Engine.Dispose();
            try { Directory.Delete(Root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }

        /// <summary>
        /// The Linux test guest's guest.json: from DFVM_TEST_GUEST (build.ps1 sets it), else built or found in
        /// the cache by tests/guest/build-guest.sh. Every xunit class that boots the test guest reads it here.
        /// </summary>
        internal static JsonElement LoadGuest()
        {
            string dir = Environment.GetEnvironmentVariable("DFVM_TEST_GUEST");
            if (string.IsNullOrEmpty(dir) || !File.Exists(Path.Combine(dir, "guest.json")))
            {
                string script = Path.Combine(RepoRoot(), "tests", "guest", "build-guest.sh");
                var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                psi.ArgumentList.Add(script);
                using (var p = Process.Start(psi))
                {
                    var stderr = p.StandardError.ReadToEndAsync();
                    string output = p.StandardOutput.ReadToEnd();
                    p.WaitForExit();
                    if (p.ExitCode != 0) throw new InvalidOperationException("build-guest.sh failed: " + stderr.Result);
                    var lines = output.Trim().Split('\n');
                    dir = lines[lines.Length - 1].Trim();
                }
            }
            return JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "guest.json"))).RootElement.Clone();
        }

        private static string RepoRoot()
        {
            var d = new DirectoryInfo(AppContext.BaseDirectory);
            while (d != null && !File.Exists(Path.Combine(d.FullName, "DfVm.sln"))) d = d.Parent;
            return d?.FullName ?? throw new InvalidOperationException("DfVm.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>Collects what the core reports.</summary>
    internal sealed class RecordingReporter : IOperationReporter
    {
        public List<string> VerboseLines { get; } = new List<string>();
        public List<string> Warnings { get; } = new List<string>();
        public List<OperationProgress> ProgressRecords { get; } = new List<OperationProgress>();

        public void Verbose(string message) { lock (VerboseLines) VerboseLines.Add(message); }
        public List<string> DebugLines { get; } = new List<string>();
        public void Debug(string message) { lock (DebugLines) DebugLines.Add(message); }
        public void Warning(string message) { lock (Warnings) Warnings.Add(message); }
        public List<string> InformationLines { get; } = new List<string>();
        public void Information(string message) { lock (InformationLines) InformationLines.Add(message); }
        public void Progress(OperationProgress progress)
        {
            lock (ProgressRecords) ProgressRecords.Add(progress.Copy()); // the producer goes on updating its own
        }
    }
}
