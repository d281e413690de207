using System;
using System.Text.RegularExpressions;

namespace DfVm.Core.Install
{
    /// <summary>
    /// One step of an expect-style dialog on a VM's serial console (<see cref="SerialConsoleDialog"/>):
    /// type <see cref="Send"/> (nothing when null), then wait for <see cref="Expect"/> in what the
    /// guest prints after the keys were typed. A step with <see cref="RetryEvery"/> types its keys
    /// again whenever that long passes without the answer (keys a booting loader drains are lost,
    /// not queued); a step with <see cref="Gone"/> instead succeeds once <see cref="RetryEvery"/>
    /// passes without that text appearing again after the keys (the menu stopped counting down).
    /// </summary>
    public sealed class ConsoleStep
    {
        /// <summary>What the step waits for, in words (for progress and errors).</summary>
        public string Name { get; set; }

        /// <summary>Keys to type (UTF-8, "\n" for Enter), or null to only wait.</summary>
        public string Send { get; set; }

        /// <summary>The answer that ends the step (searched in the serial text printed after the keys).</summary>
        public Regex Expect { get; set; }

        /// <summary>With <see cref="RetryEvery"/>: the step succeeds when this does NOT appear again within that time.</summary>
        public Regex Gone { get; set; }

        /// <summary>Retype the keys when no answer came within this long (null: type once).</summary>
        public TimeSpan? RetryEvery { get; set; }

        /// <summary>The most the step may take.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>Where the fact this step relies on comes from (for docs and errors).</summary>
        public string Source { get; set; }

        public override string ToString() => Name;
    }
}
