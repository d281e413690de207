using System;
using System.Collections.Generic;
using System.Text;
using System.Text.RegularExpressions;

namespace DfVm.Core.Images
{
    /// <summary>
    /// The text of a pfi.conf: <c>pfi_script="NAME.sh"</c> plus extra <c>key="value"</c> lines.
    /// rc.d/pfi sources the file with /bin/sh (and copies it to /etc/pfi.conf, where the phase
    /// scripts read their own settings), so values are double-quoted with sh escapes.
    /// </summary>
    public sealed class PfiConf
    {
        private static readonly Regex KeyPattern = new Regex("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant);
        private readonly List<KeyValuePair<string, string>> _settings = new List<KeyValuePair<string, string>>();

        public PfiConf(string scriptName)
        {
            if (string.IsNullOrWhiteSpace(scriptName) || scriptName.IndexOfAny(new[] { '/', '"', '\'', '\n', '\r', '$', '`', '\\' }) >= 0)
                throw new ArgumentException($"'{scriptName}' is not a valid PFI script name (a plain file name on the disc).", nameof(scriptName));
            ScriptName = scriptName;
        }

        /// <summary>The script rc.d/pfi runs from the disc.</summary>
        public string ScriptName { get; }

        /// <summary>Extra settings, in the order they were added.</summary>
        public IReadOnlyList<KeyValuePair<string, string>> Settings => _settings;

        /// <summary>Adds or replaces a <c>key="value"</c> line (e.g. <c>Set("dfvm_hostname", "dfly")</c>).</summary>
        public PfiConf Set(string key, string value)
        {
            if (key == null || !KeyPattern.IsMatch(key))
                throw new ArgumentException($"'{key}' is not a valid sh variable name.", nameof(key));
            if (key == "pfi_script")
                throw new ArgumentException("pfi_script is set by the constructor.", nameof(key));
            if (value == null) throw new ArgumentNullException(nameof(value));
            if (value.IndexOf('\n') >= 0 || value.IndexOf('\r') >= 0)
                throw new ArgumentException($"The value of {key} must be a single line.", nameof(value));
            _settings.RemoveAll(kv => kv.Key == key);
            _settings.Add(new KeyValuePair<string, string>(key, value));
            return this;
        }

        /// <summary>The file's text, LF line endings, ending with a newline.</summary>
        public string ToText()
        {
            var sb = new StringBuilder();
            sb.Append("# Written by DfVm. Sourced by /etc/rc.d/pfi with /bin/sh.\n");
            sb.Append("pfi_script=").Append(Quote(ScriptName)).Append('\n');
            foreach (var kv in _settings) sb.Append(kv.Key).Append('=').Append(Quote(kv.Value)).Append('\n');
            return sb.ToString();
        }

        public byte[] ToBytes() => new UTF8Encoding(false).GetBytes(ToText());

        /// <summary>Double-quotes a value for sh: \ " $ and ` are escaped.</summary>
        public static string Quote(string value)
        {
            var sb = new StringBuilder("\"");
            foreach (var c in value)
            {
                if (c == '\\' || c == '"' || c == '$' || c == '`') sb.Append('\\');
                sb.Append(c);
            }
            return sb.Append('"').ToString();
        }
    }
}
