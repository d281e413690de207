using System;
using System.Collections.Generic;
using DfVm.Core.Qemu;

namespace DfVm.Core.Instances
{
    public sealed class StartOptions
    {
        public bool NoWait { get; set; }
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(180);
        /// <summary>Overrides the definition's port for this start (0 = choose a free one).</summary>
        public int? SshPort { get; set; }
        public IReadOnlyList<AttachedMedia> Media { get; set; }
        /// <summary>Launch with -incoming defer -S, load this migration stream, then cont (no boot).</summary>
        public string IncomingStatePath { get; set; }
        /// <summary>
        /// Called with "load-state" once QEMU runs (-incoming defer -S) and before the saved state is fed to it:
        /// the snapshot operation's step probe, so a fault test can end the process in that window.
        /// </summary>
        internal Action<string> BeforeStateLoad { get; set; }
        /// <summary>
        /// Called once the saved state is loaded and the guest runs again (after <c>cont</c>), before any wait for SSH:
        /// from here the guest may write its disk, so a live restore settles its journal here.
        /// </summary>
        internal Action AfterStateLoad { get; set; }
        /// <summary>
        /// The machine size of a resume from saved memory (a live checkpoint's relaunch, a live restore): the size the
        /// memory was saved from, which may differ from the definition's (Set-DfVm on a running VM applies at the next
        /// cold boot). Null: the definition's.
        /// </summary>
        internal int? MemoryMB { get; set; }
        /// <inheritdoc cref="MemoryMB"/>
        internal int? Cpus { get; set; }
        /// <summary>The -cpu model of a resume from saved memory: the one the memory was saved from (saved memory
        /// loads only into the same model). Null: the accelerator's default.</summary>
        internal string CpuModel { get; set; }
        /// <summary>The caller already holds the VM lock (a restore that starts the VM it just prepared).</summary>
        public bool CallerHoldsLock { get; set; }

        /// <summary>
        /// Under TCG, a boot whose guest writes nothing on the serial console and offers no SSH banner
        /// for this long is taken for a guest that never ran (relaunched once, then GuestSilent).
        /// </summary>
        public TimeSpan SilentSerialTimeout { get; set; } = TimeSpan.FromSeconds(90);

        /// <summary>
        /// Appended to QEMU's argv for this start only, e.g. <c>-boot order=d</c> to boot the
        /// installer CD, or <c>-vga std -vnc 127.0.0.1:1</c> for an interactive install.
        /// </summary>
        public IReadOnlyList<string> ExtraQemuArgs { get; set; }
    }
}
