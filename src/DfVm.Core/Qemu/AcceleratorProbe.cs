using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace DfVm.Core.Qemu
{
    public sealed class AcceleratorChoice
    {
        public AcceleratorChoice(string accelerator, string reason)
        {
            Accelerator = accelerator;
            Reason = reason;
        }

        /// <summary>"kvm", "hvf" (macOS Hypervisor.framework) or "tcg".</summary>
        public string Accelerator { get; }
        /// <summary>Why TCG was chosen (null when KVM or HVF is used).</summary>
        public string Reason { get; }
    }

    /// <summary>
    /// Decides between KVM and TCG. /dev/kvm opening is not enough: on some hosts it opens and
    /// QEMU reports KVM enabled, yet the guest hangs, and the CPU shows no vmx/svm. So both must hold.
    /// </summary>
    public static class AcceleratorProbe
    {
        public static AcceleratorChoice Choose(string preference, string devKvm = "/dev/kvm", string cpuInfo = "/proc/cpuinfo")
        {
            preference = (preference ?? "auto").ToLowerInvariant();
            if (preference == "tcg") return new AcceleratorChoice("tcg", "TCG was asked for in the VM's definition.");
            if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX))
            {
                return ChooseOnMac(RuntimeInformation.OSArchitecture, ReadSysctl("kern.hv_support"));
            }

            string problem = KvmProblem(devKvm, cpuInfo);
            if (problem == null) return new AcceleratorChoice("kvm", null);
            return new AcceleratorChoice("tcg", problem + " Using TCG (software emulation): the guest runs, several times slower.");
        }

        /// <summary>
        /// macOS: HVF (Hypervisor.framework) runs an x86_64 guest only on an Intel Mac whose
        /// kernel says kern.hv_support = 1; an Apple silicon Mac emulates x86_64 with TCG.
        /// </summary>
        public static AcceleratorChoice ChooseOnMac(Architecture hostArchitecture, string hvSupport)
        {
            if (hostArchitecture != Architecture.X64)
            {
                return new AcceleratorChoice("tcg", $"HVF cannot run an x86_64 guest on this {hostArchitecture} Mac. Using TCG (software emulation): the guest runs, several times slower.");
            }
            if ((hvSupport ?? "").Trim() != "1")
            {
                return new AcceleratorChoice("tcg", $"HVF is unusable: sysctl kern.hv_support is '{(hvSupport ?? "").Trim()}', not 1. Using TCG (software emulation): the guest runs, several times slower.");
            }
            return new AcceleratorChoice("hvf", null);
        }

        private static string ReadSysctl(string name)
        {
            try
            {
                var psi = Util.ProcessRunner.StartInfo("/usr/sbin/sysctl", new[] { "-n", name });
                using (var p = Process.Start(psi))
                {
                    p.StandardInput.Close();
                    var discard = p.StandardError.ReadToEndAsync();
                    string text = p.StandardOutput.ReadToEnd();
                    p.WaitForExit(5000);
                    return p.ExitCode == 0 ? text : "";
                }
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception || e is IOException || e is InvalidOperationException)
            {
                return "";
            }
        }

        /// <summary>Null when KVM looks usable, else a sentence saying why not.</summary>
        public static string KvmProblem(string devKvm = "/dev/kvm", string cpuInfo = "/proc/cpuinfo")
        {
            if (!File.Exists(devKvm)) return $"KVM is unusable: {devKvm} does not exist (no kvm module, or a VM without nested virtualisation).";
            try
            {
                using (new FileStream(devKvm, FileMode.Open, FileAccess.ReadWrite)) { }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return $"KVM is unusable: {devKvm} cannot be opened read-write ({e.Message}); add yourself to the 'kvm' group.";
            }

            string flags = File.Exists(cpuInfo)
                ? string.Join(" ", File.ReadLines(cpuInfo).Where(l => l.StartsWith("flags", StringComparison.Ordinal)))
                : "";
            var words = flags.Split(new[] { ' ', '\t', ':' }, StringSplitOptions.RemoveEmptyEntries);
            if (!words.Contains("vmx") && !words.Contains("svm"))
            {
                return $"KVM is unusable: {devKvm} opens but the CPU shows no vmx/svm flag in {cpuInfo} (a KVM guest would hang).";
            }
            return null;
        }
    }
}
