using System;
using System.Collections.Generic;
using System.Text;
using DfVm.Core.Instances;

namespace DfVm.Core.Qemu
{
    /// <summary>Extra media attached for one boot (install ISO, PFI disc).</summary>
    public sealed class AttachedMedia
    {
        public string Path { get; set; }
        public bool IsCdrom { get; set; } = true;
    }

    /// <summary>
    /// Builds QEMU's argv from a VM definition. Every path is absolute (-daemonize moves QEMU to
    /// /), SSH is forwarded on 127.0.0.1 only, QMP is a unix socket.
    /// </summary>
    public static class QemuCommandLine
    {
        /// <summary>
        /// The CPU model of a TCG guest. Not <c>max</c>: with it the guest uses instructions TCG emulates slowly
        /// (AVX2 in OpenSSL's ciphers, SHA-NI, ERMS <c>rep movsb</c> in kernel and Go copies). bench/cpu-model.bench.sh,
        /// the same guest work under each (RESULTS.md): 64 MiB into the guest over SSH 11.8 s under max against 6.0 s,
        /// sha256 of 64 MiB 5.2 s against 2.9 s, tar -x of 2,000 files 2.6 s against 1.8 s, host CPU 47 s against 32 s.
        /// Nehalem is x86-64-v2 (SSE4.2, POPCNT, CX16) without those: DragonFly and Go's default GOAMD64=v1 need
        /// nothing more. A fixed model also keeps saved memory loadable across QEMU versions, which max does not promise.
        /// </summary>
        public const string TcgCpuModel = "Nehalem";

        /// <summary>The model before <see cref="TcgCpuModel"/>: what a TCG QEMU launched by an older DfVm ran, and what
        /// its saved memory (a live snapshot that recorded no model) needs to load again.</summary>
        public const string LegacyTcgCpuModel = "max";

        /// <summary>The -cpu of a launch: the host's own under KVM/HVF; under TCG the model asked for (a resume runs
        /// the model the memory was saved from), else <see cref="TcgCpuModel"/>.</summary>
        public static string CpuModel(string accelerator, string requested = null) =>
            accelerator == "kvm" || accelerator == "hvf" ? "host" : string.IsNullOrEmpty(requested) ? TcgCpuModel : requested;

        public static List<string> Build(
            VmDefinition def, VmPaths paths, string accelerator, int sshPort, string authorizedKey,
            IReadOnlyList<AttachedMedia> media = null, bool daemonize = true,
            bool incomingDefer = false, string cpuModel = null)
        {
            var a = new List<string>
            {
                "-name", def.Name,
                "-machine", def.Machine ?? "q35",
                "-accel", accelerator,
                "-cpu", CpuModel(accelerator, cpuModel),
                "-m", def.MemoryMB.ToString(),
                "-smp", def.Cpus.ToString(),
                "-display", "none",
                "-vga", "none",
                "-rtc", "base=utc",
                "-pidfile", paths.PidFile,
                "-qmp", $"unix:{paths.QmpSocket},server=on,wait=off",
                "-chardev", $"socket,id=ser0,path={paths.Directory}/serial.sock,server=on,wait=off,logfile={paths.SerialLog}",
                "-serial", "chardev:ser0",
                "-netdev", $"user,id=net0,hostfwd=tcp:127.0.0.1:{sshPort}-:22",
                "-device", $"{def.NicModel ?? "virtio-net-pci"},netdev=net0",
                "-blockdev", "{\"driver\":\"qcow2\",\"node-name\":\"disk0\",\"file\":{\"driver\":\"file\",\"filename\":" + JsonString(paths.Disk) + "}}",
            };

            if (string.Equals(def.DiskInterface, "virtio-blk", StringComparison.OrdinalIgnoreCase))
            {
                a.AddRange(new[] { "-device", "virtio-blk-pci,drive=disk0" });
            }
            else
            {
                a.AddRange(new[] { "-device", "virtio-scsi-pci,id=scsi0", "-device", "scsi-hd,drive=disk0,bus=scsi0.0" });
            }

            if (media != null)
            {
                for (int i = 0; i < media.Count; i++)
                {
                    string id = "media" + i;
                    a.AddRange(new[]
                    {
                        "-blockdev", "{\"driver\":\"raw\",\"node-name\":\"" + id + "\",\"read-only\":true,\"file\":{\"driver\":\"file\",\"filename\":" + JsonString(media[i].Path) + ",\"read-only\":true}}",
                        "-device", media[i].IsCdrom ? $"ide-cd,drive={id},bus=ide.{i + 1}" : $"virtio-blk-pci,drive={id}",
                    });
                }
            }

            if (def.Boot != null && !string.IsNullOrEmpty(def.Boot.Kernel))
            {
                a.AddRange(new[] { "-kernel", def.Boot.Kernel });
                if (!string.IsNullOrEmpty(def.Boot.Initrd)) a.AddRange(new[] { "-initrd", def.Boot.Initrd });
                string append = def.Boot.Append ?? "";
                if (!string.IsNullOrEmpty(authorizedKey) && def.Boot.AuthKeyArgument)
                {
                    // The Linux test guest installs this key at every boot (DragonFly gets it from the PFI disc).
                    append += " dfvm.authkey=" + Convert.ToBase64String(Encoding.UTF8.GetBytes(authorizedKey));
                }
                a.AddRange(new[] { "-append", append.Trim() });
            }

            // Wait paused for a migration stream (migrate-incoming), then cont.
            if (incomingDefer) a.AddRange(new[] { "-incoming", "defer", "-S" });
            if (daemonize) a.Add("-daemonize");
            if (def.ExtraQemuArgs != null) a.AddRange(def.ExtraQemuArgs);
            return a;
        }

        private static string JsonString(string s) => System.Text.Json.JsonSerializer.Serialize(s);
    }
}
