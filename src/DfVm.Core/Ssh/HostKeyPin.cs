using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using DfVm.Core.Util;

namespace DfVm.Core.Ssh
{
    /// <summary>
    /// The guest's host key, pinned in vm/&lt;name&gt;/known_hosts at first contact and checked on
    /// every connection after. Lines are OpenSSH known_hosts lines under the alias
    /// "dfvm-&lt;name&gt;", so the pin survives a change of forwarded port.
    /// </summary>
    public sealed class HostKeyPin
    {
        private readonly string _path;
        private readonly string _alias;

        public HostKeyPin(string knownHostsPath, string vmName)
        {
            _path = knownHostsPath;
            _alias = "dfvm-" + vmName;
            VmName = vmName;
        }

        public string VmName { get; }

        public static string Fingerprint(byte[] keyBlob)
        {
            using (var sha = SHA256.Create())
            {
                return "SHA256:" + Convert.ToBase64String(sha.ComputeHash(keyBlob)).TrimEnd('=');
            }
        }

        /// <summary>(algorithm, blob) of the pinned key, or null when nothing is pinned yet.</summary>
        public Tuple<string, byte[]> Read()
        {
            if (!File.Exists(_path)) return null;
            foreach (var line in File.ReadAllLines(_path))
            {
                var f = line.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
                if (f.Length >= 3 && f[0] == _alias)
                {
                    return Tuple.Create(f[1], Convert.FromBase64String(f[2]));
                }
            }
            return null;
        }

        /// <summary>
        /// Checks the presented key; pins it when nothing is pinned yet. Throws HostKeyMismatch
        /// naming both fingerprints when it differs.
        /// </summary>
        public bool CheckOrPin(string algorithm, byte[] keyBlob) => CheckOrPin(algorithm, keyBlob, out _);

        /// <summary>As <see cref="CheckOrPin(string, byte[])"/>; <paramref name="pinnedNow"/> is true when this call wrote the pin (first contact).</summary>
        public bool CheckOrPin(string algorithm, byte[] keyBlob, out bool pinnedNow)
        {
            pinnedNow = false;
            var pinned = Read();
            if (pinned == null)
            {
                AtomicFile.WriteAllText(_path, $"{_alias} {algorithm} {Convert.ToBase64String(keyBlob)}\n", 0x1A4);
                pinnedNow = true;
                return true;
            }
            if (pinned.Item1 == algorithm && pinned.Item2.SequenceEqual(keyBlob))
            {
                return true;
            }
            throw new HostKeyMismatchException(VmName, _path, Fingerprint(pinned.Item2), pinned.Item1, Fingerprint(keyBlob), algorithm);
        }

        /// <summary>"algorithm SHA256:..." of the pinned key, or null when nothing is pinned (no file, or no line for this VM).</summary>
        public string PinnedFingerprint()
        {
            Tuple<string, byte[]> pinned;
            try { pinned = Read(); }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is FormatException) { return null; }
            return pinned == null ? null : pinned.Item1 + " " + Fingerprint(pinned.Item2);
        }

        public void Forget()
        {
            if (File.Exists(_path)) File.Delete(_path);
        }
    }

    public sealed class HostKeyMismatchException : DfVmException
    {
        public HostKeyMismatchException(string vm, string knownHosts, string pinned, string pinnedAlg, string presented, string presentedAlg)
            : base(ErrorIds.HostKeyMismatch, DfVmErrorKind.Security,
                $"The SSH host key of VM '{vm}' changed. Pinned: {pinnedAlg} {pinned}. Presented now: {presentedAlg} {presented}. " +
                "DfVm refused to connect: something other than your guest may be answering. " + Remedy(vm, knownHosts),
                vm)
        {
            RecommendedAction = Remedy(vm, knownHosts);
            PinnedFingerprint = pinned;
            PresentedFingerprint = presented;
        }

        private static string Remedy(string vm, string knownHosts) =>
            $"If you reinstalled or rebuilt the guest on purpose, re-pin it deliberately with 'Reset-DfVmHostKey -Name {vm}' (or delete {knownHosts}); the next connection pins the new key.";

        public string PinnedFingerprint { get; }
        public string PresentedFingerprint { get; }
    }
}
