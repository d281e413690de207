using System;
using System.IO;
using System.Linq;

namespace DfVm.Core.Qemu
{
    /// <summary>Finds the QEMU programs; says which Debian package brings a missing one.</summary>
    public static class QemuTools
    {
        public static string SystemEmulator => Find("qemu-system-x86_64", "qemu-system-x86");
        public static string Img => Find("qemu-img", "qemu-utils");

        public static string Find(string program, string package)
        {
            // DFVM_QEMU_DIR names the one folder to use (a QEMU built by hand, or a test of this error).
            string overrideDir = Environment.GetEnvironmentVariable("DFVM_QEMU_DIR");
            var dirs = overrideDir != null
                ? new[] { overrideDir }
                : (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin" + Path.PathSeparator + "/bin").Split(Path.PathSeparator).Concat(new[] { "/usr/bin", "/usr/local/bin" });
            foreach (var dir in dirs.Where(d => !string.IsNullOrEmpty(d)))
            {
                string candidate = Path.Combine(dir, program);
                if (File.Exists(candidate)) return candidate;
            }
            string remedy = $"Install QEMU: 'sudo apt-get install {package}' on Debian/Ubuntu (qemu-system-x86 and qemu-utils), 'sudo dnf install qemu-kvm qemu-img' on Fedora.";
            throw new DfVmException(ErrorIds.QemuNotInstalled, DfVmErrorKind.NotInstalled, $"{program} was not found on PATH. {remedy}", program)
            {
                RecommendedAction = remedy,
            };
        }
    }
}
