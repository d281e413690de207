using System;
using System.Text.RegularExpressions;

namespace DfVm.Core.Testing
{
    /// <summary>
    /// One line of the guest's mount table, in the three forms a guest prints it:
    /// <list type="bullet">
    /// <item>DragonFly's <c>mount -p</c> (fstab style, <c>putfsent</c> in DragonFly's sbin/mount/mount.c):
    /// <c>source TAB mountpoint TAB type SPACE options TAB freq SPACE passno</c>; </item>
    /// <item>DragonFly's plain <c>mount</c> (<c>prmount</c>, same file): <c>source on mountpoint (type, flags...)</c>;</item>
    /// <item>Linux's <c>mount</c> (util-linux, the test guest): <c>source on mountpoint type type (options)</c>.</item>
    /// </list>
    /// </summary>
    public static class GuestMountTable
    {
        private static readonly Regex Linux = new Regex(@"^(?<src>.+?) on (?<mp>/.*) type (?<type>[^ ()]+) \((?<opts>[^()]*)\)$", RegexOptions.CultureInvariant);
        private static readonly Regex Bsd = new Regex(@"^(?<src>.+?) on (?<mp>/.*) \((?<type>[^ ,()]+)(, (?<opts>[^()]*))?\)$", RegexOptions.CultureInvariant);

        /// <summary>The entry a line lists, or null when the line is none of the three forms.</summary>
        public static DfVmMount ParseLine(string line)
        {
            if (string.IsNullOrEmpty(line) || line.IndexOf('\n') >= 0)
            {
                return null;
            }

            if (line.IndexOf('\t') >= 0)
            {
                // source, mount point, "type options", "freq passno" (the last field is absent in some forms)
                string[] f = line.Split('\t');
                if (f.Length < 3 || f.Length > 4 || f[0].Length == 0 || !f[1].StartsWith("/", StringComparison.Ordinal)
                    || (f.Length == 4 && !IsFreqPass(f[3])))
                {
                    return null;
                }

                string type = f[2];
                string options = string.Empty;
                int space = type.IndexOf(' ');
                if (space >= 0)
                {
                    options = type.Substring(space + 1);
                    type = type.Substring(0, space);
                }

                return type.Length == 0 || options.IndexOf(' ') >= 0 ? null : new DfVmMount(type, f[0], f[1], options);
            }

            Match m = Linux.Match(line);
            if (!m.Success)
            {
                m = Bsd.Match(line);
            }

            return m.Success ? new DfVmMount(m.Groups["type"].Value, m.Groups["src"].Value, m.Groups["mp"].Value, m.Groups["opts"].Value) : null;
        }

        private static bool IsFreqPass(string s) => Regex.IsMatch(s, @"^\d+ \d+$", RegexOptions.CultureInvariant);
    }
}
