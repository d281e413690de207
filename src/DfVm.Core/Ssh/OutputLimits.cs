using System;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Util;

namespace DfVm.Core.Ssh
{
    /// <summary>
    /// Bounds on what a guest command's output may cost the host: a line longer than
    /// <see cref="MaxLineChars"/> is delivered cut (with a marker) and the rest of it skipped;
    /// captured output (a command result's Output/Error) keeps at most <see cref="MaxCapturedChars"/>.
    /// A command that prints gigabytes without a newline then streams on in constant memory.
    /// </summary>
    public static class OutputLimits
    {
        public const int MaxLineChars = 64 * 1024;
        public const int MaxCapturedChars = 16 * 1024 * 1024;

        /// <summary>Appended to a line that was cut at <see cref="MaxLineChars"/>.</summary>
        public static string LineCutMarker => $" [DfVm: line longer than {MaxLineChars} characters; the rest of it was cut]";

        /// <summary>
        /// Reads lines from <paramref name="stream"/> as UTF-8; a line over the limit is handed on as soon as the
        /// limit is reached (so streaming goes on), cut and marked, and its remainder is read and dropped.
        /// Returns how many lines were cut.
        /// </summary>
        public static async Task<int> PumpBoundedLinesAsync(Stream stream, Action<string> onLine, int maxLineChars = MaxLineChars)
        {
            int cut = 0;
            var line = new StringBuilder();
            bool skipping = false;
            bool lastWasCr = false;
            var buffer = new char[16384];
            using (var reader = new StreamReader(stream, new UTF8Encoding(false), false, 65536, leaveOpen: true))
            {
                int n;
                while ((n = await reader.ReadAsync(buffer, 0, buffer.Length).ConfigureAwait(false)) > 0)
                {
                    for (int i = 0; i < n; i++)
                    {
                        char c = buffer[i];
                        if (c == '\n' || c == '\r')
                        {
                            // "\r\n" is one line end, as StreamReader.ReadLine counts it.
                            if (c == '\n' && lastWasCr) { lastWasCr = false; continue; }
                            lastWasCr = c == '\r';
                            if (!skipping) onLine?.Invoke(line.ToString());
                            line.Clear();
                            skipping = false;
                            continue;
                        }
                        lastWasCr = false;
                        if (skipping) continue;
                        line.Append(c);
                        if (line.Length >= maxLineChars)
                        {
                            cut++;
                            onLine?.Invoke(line.ToString() + LineCutMarker);
                            line.Clear();
                            skipping = true;
                        }
                    }
                }
            }
            if (line.Length > 0 && !skipping) onLine?.Invoke(line.ToString());
            return cut;
        }

        /// <summary>A warning sentence for what was cut or dropped, or null when nothing was.</summary>
        public static string Describe(string vmName, int linesCut, params CappedText[] captured)
        {
            long dropped = 0;
            foreach (var c in captured) dropped += c?.DroppedChars ?? 0;
            if (linesCut == 0 && dropped == 0) return null;
            var parts = new StringBuilder($"The output of the command on VM '{vmName}' was bounded:");
            if (linesCut > 0) parts.Append($" {linesCut} line(s) longer than {MaxLineChars} characters were cut (marked in the output);");
            if (dropped > 0) parts.Append($" {dropped} characters beyond the first {MaxCapturedChars} were streamed but not kept in the result;");
            return parts.ToString().TrimEnd(';') + ".";
        }
    }
}
