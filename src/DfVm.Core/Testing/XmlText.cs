using System.Text;

namespace DfVm.Core.Testing
{
    /// <summary>Makes arbitrary test output safe to put in an XML 1.0 document.</summary>
    internal static class XmlText
    {
        /// <summary>Drops characters XML 1.0 forbids (control characters, unpaired surrogates, U+FFFE/U+FFFF).</summary>
        public static string Clean(string text)
        {
            if (string.IsNullOrEmpty(text))
            {
                return string.Empty;
            }

            StringBuilder sb = null;
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                bool ok;
                int width = 1;
                if (char.IsHighSurrogate(c))
                {
                    ok = i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
                    width = ok ? 2 : 1;
                }
                else if (char.IsLowSurrogate(c))
                {
                    ok = false;
                }
                else
                {
                    ok = c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD);
                }

                if (ok)
                {
                    sb?.Append(text, i, width);
                }
                else if (sb == null)
                {
                    sb = new StringBuilder(text.Length);
                    sb.Append(text, 0, i);
                }

                i += width - 1;
            }

            return sb == null ? text : sb.ToString();
        }
    }
}
