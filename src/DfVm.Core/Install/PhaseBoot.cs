using System;
using System.Collections.Generic;
using DfVm.Core.Qemu;

namespace DfVm.Core.Install
{
    /// <summary>How one PFI phase boots the VM and how long it may take.</summary>
    public sealed class PhaseBoot
    {
        /// <summary>
        /// Media attached for this boot, in drive order. For DragonFly's install phase: the
        /// installer ISO (cd0), the PFI disc (cd1), the ISO again (cd2); later phases: the PFI disc.
        /// </summary>
        public IReadOnlyList<AttachedMedia> Media { get; set; } = new AttachedMedia[0];

        /// <summary>Extra QEMU arguments for this boot (e.g. <c>-boot once=d</c>).</summary>
        public IReadOnlyList<string> ExtraQemuArgs { get; set; }

        /// <summary>
        /// An expect-style dialog run on the serial console while the phase boots (null: none), e.g.
        /// <see cref="DragonFlyInstallPlan.LoaderDialog"/>. A step whose answer does not come in
        /// time ends the phase with <see cref="ErrorIds.PhaseTimeout"/> and the serial tail.
        /// </summary>
        public IReadOnlyList<ConsoleStep> ConsoleDialog { get; set; }

        /// <summary>The most the whole phase may take.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(60);

        /// <summary>The longest the serial console may stay silent before the phase counts as hung.</summary>
        public TimeSpan SilenceTimeout { get; set; } = TimeSpan.FromMinutes(20);
    }

    /// <summary>What a phase that succeeded looked like.</summary>
    public sealed class PhaseResult
    {
        public string Phase { get; set; }
        public TimeSpan Duration { get; set; }
        /// <summary>Serial lines the phase printed.</summary>
        public int Lines { get; set; }
        /// <summary>True when the guest powered off by itself; false when DfVm ended QEMU after the done marker.</summary>
        public bool PoweredOff { get; set; }
    }
}
