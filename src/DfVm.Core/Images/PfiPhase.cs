using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace DfVm.Core.Images
{
    /// <summary>
    /// One unattended step run by DragonFly's rc.d/pfi from a PFI disc: a name (used in the
    /// console markers <c>DFVM-PFI: &lt;name&gt; start|done|failed: why</c>), the shipped script
    /// (a <see cref="GuestScripts"/> name) and extra pfi.conf settings the script reads.
    /// </summary>
    public sealed class PfiPhase
    {
        public PfiPhase(string name, string scriptResourceName, IReadOnlyDictionary<string, string> extraConf = null)
        {
            if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("A phase needs a name.", nameof(name));
            Name = name;
            ScriptResourceName = scriptResourceName ?? throw new ArgumentNullException(nameof(scriptResourceName));
            ExtraConf = extraConf ?? new Dictionary<string, string>();
        }

        /// <summary>Phase name as the script prints it in its markers ("install", "packages").</summary>
        public string Name { get; }

        /// <summary>Name of the shipped script, as <see cref="GuestScripts.Get"/> takes it (e.g. "install.sh").</summary>
        public string ScriptResourceName { get; }

        /// <summary>Extra pfi.conf lines (e.g. dfvm_hostname), in key order.</summary>
        public IReadOnlyDictionary<string, string> ExtraConf { get; }

        /// <summary>Phase 1: partition da0, install from the CD, configure SSH and the static network, power off.</summary>
        public static PfiPhase Install(string hostname = "dfly", string disk = "da0", string networkInterface = null)
        {
            var conf = new Dictionary<string, string>
            {
                ["dfvm_hostname"] = hostname,
                ["dfvm_disk"] = disk,
            };
            // Without it install.sh takes the first non-loopback interface the kernel sees.
            if (!string.IsNullOrEmpty(networkInterface)) conf["dfvm_ifname"] = networkInterface;
            return new PfiPhase("install", "install.sh", conf);
        }

        /// <summary>Phase 2: bootstrap/upgrade pkg, fix the repo config, install go git doas rsync, power off.</summary>
        public static PfiPhase Packages(string packages = "go git doas rsync") =>
            new PfiPhase("packages", "packages.sh", new Dictionary<string, string>
            {
                ["dfvm_packages"] = packages,
            });

        /// <summary>The marker the script prints when it starts ("DFVM-PFI: install start").</summary>
        public string StartMarker => $"DFVM-PFI: {Name} start";

        /// <summary>The marker the script prints when it succeeded.</summary>
        public string DoneMarker => $"DFVM-PFI: {Name} done";

        /// <summary>The prefix of the marker the script prints when it failed (followed by the reason).</summary>
        public string FailedMarkerPrefix => $"DFVM-PFI: {Name} failed:";

        /// <summary>The pfi.conf for this phase.</summary>
        public PfiConf Conf()
        {
            var conf = new PfiConf(ScriptResourceName).Set("dfvm_phase", Name);
            foreach (var kv in ExtraConf.OrderBy(kv => kv.Key, StringComparer.Ordinal)) conf.Set(kv.Key, kv.Value);
            return conf;
        }

        /// <summary>pfi.conf (0644), the script (0755) and, when given, authorized_keys (0600).</summary>
        public IReadOnlyList<PfiDiscFile> DiscFiles(string authorizedKeys)
        {
            var files = new List<PfiDiscFile>
            {
                new PfiDiscFile("pfi.conf", Conf().ToBytes(), PfiDiscFile.Octal("644")),
                new PfiDiscFile(ScriptResourceName, Encoding.UTF8.GetBytes(GuestScripts.Get(ScriptResourceName)), PfiDiscFile.Octal("755")),
            };
            if (!string.IsNullOrEmpty(authorizedKeys))
            {
                var text = authorizedKeys.Replace("\r\n", "\n");
                if (!text.EndsWith("\n", StringComparison.Ordinal)) text += "\n";
                files.Add(new PfiDiscFile("authorized_keys", new UTF8Encoding(false).GetBytes(text), PfiDiscFile.Octal("600")));
            }
            return files;
        }
    }
}
