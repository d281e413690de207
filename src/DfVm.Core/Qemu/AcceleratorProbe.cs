using System;
using System.IO;
using System.Linq;

namespace DfVm.Core.Qemu
{
    public sealed class AcceleratorChoice
    {
        public AcceleratorChoice(string accelerator, string reason)
        {
            Accelerator = accelerator;
            Reason = reason;
        }

        /// <summary>"kvm" or "tcg".</summary>
        public string Accelerator { get; }
        /// <summary>Why TCG was chosen (null when KVM is used).</summary>
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

            string problem = KvmProblem(devKvm, cpuInfo);
            if (problem == null) return new AcceleratorChoice("kvm", null);
            return new AcceleratorChoice("tcg", problem + " Using TCG (software emulation): the guest runs, several times slower.");
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
