namespace DfVm
{
    /// <summary>
    /// One check of Test-DfVmGuest: one assumption DfVm makes about the running guest (a command with
    /// the flags DfVm uses, a rule, a file system type, a limit), whether it holds, what was found and
    /// how to fix it. Install-DfVm -Unattended runs the same checks last.
    /// </summary>
    public sealed class DfVmGuestCheck
    {
        /// <summary>The VM checked.</summary>
        public string VmName { get; set; }

        /// <summary>The check, from a fixed list ("tar-extract", "pgrep", "doas", "go", "disk-free", ...).</summary>
        public string Name { get; set; }

        public bool Passed { get; set; }

        /// <summary>What the guest showed (one line, bounded, control characters removed).</summary>
        public string Found { get; set; }

        /// <summary>How to make it pass (DfVm's own text, never the guest's).</summary>
        public string Fix { get; set; }

        /// <summary>What DfVm depends on it for.</summary>
        public string UsedBy { get; set; }

        public override string ToString() => Name + ": " + (Passed ? "passed" : "FAILED") + " (" + Found + ")";
    }
}
