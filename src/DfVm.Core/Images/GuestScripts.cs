using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;

namespace DfVm.Core.Images
{
    /// <summary>
    /// The POSIX sh scripts shipped for the DragonFly guest (embedded resources
    /// <c>DfVm.Core.Guest.dragonfly.&lt;name&gt;</c>): adopt.sh, install.sh, packages.sh, provision.sh.
    /// A line <c># dfvm-include: &lt;file&gt;.inc</c> stands for a shared part (pfi-common.inc: the PFI
    /// phases' markers, fail/run and pfi.conf reading), put in its place when the script is read, so
    /// each script leaves DfVm whole (one file on the PFI disc, one text for sh -n and shellcheck).
    /// </summary>
    public static class GuestScripts
    {
        public const string ResourcePrefix = "DfVm.Core.Guest.dragonfly.";

        /// <summary>The shipped script names ("install.sh", ...).</summary>
        public static IReadOnlyList<string> Names { get; } = typeof(GuestScripts).Assembly
            .GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".sh", StringComparison.Ordinal))
            .Select(n => n.Substring(ResourcePrefix.Length))
            .OrderBy(n => n, StringComparer.Ordinal)
            .ToArray();

        /// <summary>The text of a shipped script (LF line endings). Throws <see cref="ArgumentException"/> for an unknown name.</summary>
        public static string Get(string name)
        {
            if (string.IsNullOrEmpty(name)) throw new ArgumentException("A script name is required.", nameof(name));
            var lines = Read(name).Split('\n');
            var text = new StringBuilder();
            for (int i = 0; i < lines.Length; i++)
            {
                if (lines[i].StartsWith(IncludePrefix, StringComparison.Ordinal))
                    text.Append(Read(lines[i].Substring(IncludePrefix.Length).Trim()));
                else
                    text.Append(lines[i]).Append(i < lines.Length - 1 ? "\n" : "");
            }
            return text.ToString();
        }

        private const string IncludePrefix = "# dfvm-include: ";

        private static string Read(string name)
        {
            using (var stream = typeof(GuestScripts).Assembly.GetManifestResourceStream(ResourcePrefix + name))
            {
                if (stream == null)
                    throw new ArgumentException($"No shipped guest script named '{name}'. Known: {string.Join(", ", Names)}.", nameof(name));
                using (var reader = new StreamReader(stream, new UTF8Encoding(false)))
                    return reader.ReadToEnd().Replace("\r\n", "\n");
            }
        }
    }
}
