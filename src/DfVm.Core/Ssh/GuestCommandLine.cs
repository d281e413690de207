using System.Linq;
using System.Text;

namespace DfVm.Core.Ssh
{
    /// <summary>
    /// Turns POSIX sh text into the exec string sent over SSH. sshd hands that string to the
    /// user's login shell, which on DragonFly is csh for root: csh would break `2&gt;&amp;1`,
    /// `$(...)`, `VAR=x cmd`. So the text always runs as /bin/sh -c '...'. Inside csh single
    /// quotes only newlines, '!' and (for old csh) 8-bit bytes are unsafe: text holding any of
    /// those travels as printf octal escapes that sh decodes and evals.
    /// </summary>
    public static class GuestCommandLine
    {
        public static string Build(string shText)
        {
            if (NeedsEncoding(shText))
            {
                var sb = new StringBuilder("/bin/sh -c 'eval \"$(printf \"");
                foreach (byte b in Encoding.UTF8.GetBytes(shText))
                {
                    sb.Append('\\').Append(System.Convert.ToString(b, 8).PadLeft(3, '0'));
                }
                // printf drops nothing, but $(...) strips trailing newlines: harmless for a script.
                sb.Append("\")\"'");
                return sb.ToString();
            }
            return "/bin/sh -c " + SingleQuote(shText);
        }

        /// <summary>POSIX sh single quoting, which csh reads the same way.</summary>
        public static string SingleQuote(string s) => "'" + s.Replace("'", "'\\''") + "'";

        private static bool NeedsEncoding(string s) =>
            s.Any(c => c == '\n' || c == '\r' || c == '!' || c > 126 || (c < 32 && c != '\t'));
    }
}
