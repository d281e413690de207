using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace DfVm.Core.GoExec
{
    /// <summary>
    /// The one thing a host build runs on this machine: `go test` with arguments DfVm has read and
    /// checked, never the suite's sh text. A suite part qualifies when its command line (after DfVm's
    /// own cd guard) is, and is only: an optional `cd DIR &amp;&amp;` into a folder of the project, optional
    /// Go settings (GOFLAGS=..., GOPROXY=...), `go test`, flags from a fixed list, package patterns,
    /// `-args ...` for the test binary, and an optional final `2&gt;&amp;1`. Words are literal: quoted or
    /// plain, with no expansion, globbing, command substitution, redirection or second command.
    /// Anything else (the project's config decides that text) is not run here: the build stays in the guest.
    /// </summary>
    public sealed class HostGoCommand
    {
        // go test flags that only select, format or time what runs (none names a program, a file or a
        // folder on this machine); the test binary runs them in the guest
        private static readonly HashSet<string> Allowed = new HashSet<string>(StringComparer.Ordinal)
        {
            "run", "skip", "bench", "benchtime", "benchmem", "count", "cpu", "failfast", "fullpath", "json", "list",
            "parallel", "p", "short", "shuffle", "timeout", "v", "vet", "tags", "mod", "trimpath", "cover",
            "covermode", "coverpkg", "a", "n", "x", "race", "buildvcs", "modcacherw", "paniconexit0",
        };

        // of those, the ones whose value may be the next word
        private static readonly HashSet<string> Valued = new HashSet<string>(StringComparer.Ordinal)
        {
            "run", "skip", "bench", "benchtime", "count", "cpu", "list", "parallel", "p", "shuffle", "timeout",
            "vet", "tags", "mod", "covermode", "coverpkg",
        };

        // settings read by go itself (not by the test binary, which runs in the guest without them)
        private static readonly HashSet<string> AllowedEnvironment = new HashSet<string>(StringComparer.Ordinal)
        {
            "GOFLAGS", "GOPROXY", "GONOPROXY", "GOPRIVATE", "GONOSUMDB", "GONOSUMCHECK", "GOSUMDB", "GOINSECURE",
            "GOWORK", "GOTOOLCHAIN", "GOEXPERIMENT",
        };

        private HostGoCommand(string directory, IReadOnlyList<KeyValuePair<string, string>> environment, IReadOnlyList<string> arguments, bool stderrToStdout)
        {
            Directory = directory;
            Environment = environment;
            Arguments = arguments;
            StderrToStdout = stderrToStdout;
        }

        /// <summary>The folder go runs in, relative to the project ('/'-separated, "" for the project itself).</summary>
        public string Directory { get; }

        /// <summary>The Go settings the line sets for go.</summary>
        public IReadOnlyList<KeyValuePair<string, string>> Environment { get; }

        /// <summary>go's arguments: "test", then the flags, packages and -args as written (unquoted).</summary>
        public IReadOnlyList<string> Arguments { get; }

        /// <summary>The line ends with 2&gt;&amp;1.</summary>
        public bool StderrToStdout { get; }

        /// <summary>
        /// Reads <paramref name="text"/> (a suite part as <see cref="Testing.SuiteCommandLine.Build"/> makes it for
        /// <paramref name="projectRoot"/>): the command, or null and why not in <paramref name="reason"/>.
        /// </summary>
        public static HostGoCommand TryParse(string text, string projectRoot, out string reason)
        {
            reason = null;
            string guard = Testing.SuiteCommandLine.Guard(projectRoot);
            if (text == null || !text.StartsWith(guard, StringComparison.Ordinal))
            {
                reason = "it does not start with DfVm's own check of the project folder";
                return null;
            }

            List<string> words = Split(text.Substring(guard.Length), out reason);
            if (words == null)
            {
                return null;
            }

            int i = 0;
            string directory = "";
            if (words.Count >= 3 && words[0] == "cd" && words[2] == "\u0000&&")
            {
                directory = words[1].Trim('/');
                if (words[1].StartsWith("/", StringComparison.Ordinal) || directory.Split('/').Any(p => p == ".." || p.Length == 0 && directory.Length > 0))
                {
                    reason = $"'cd {words[1]}' leaves the project folder";
                    return null;
                }

                directory = directory == "." ? "" : directory;
                i = 3;
            }

            var environment = new List<KeyValuePair<string, string>>();
            while (i < words.Count && words[i].IndexOf('=') > 0 && !words[i].StartsWith("\u0000", StringComparison.Ordinal))
            {
                string name = words[i].Substring(0, words[i].IndexOf('='));
                string value = words[i].Substring(name.Length + 1);
                if (!AllowedEnvironment.Contains(name))
                {
                    reason = $"it sets {name}, which the host build does not pass on (only Go's own settings: {string.Join(", ", AllowedEnvironment.OrderBy(n => n, StringComparer.Ordinal))})";
                    return null;
                }

                if (name == "GOFLAGS")
                {
                    foreach (string flag in value.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (!IsAllowedFlag(flag, out string flagName) || flag.IndexOf('=') < 0 && Valued.Contains(flagName))
                        {
                            reason = $"GOFLAGS holds {flag}, a flag the host build does not run here";
                            return null;
                        }
                    }
                }

                environment.Add(new KeyValuePair<string, string>(name, value));
                i++;
            }

            if (i + 1 >= words.Count || words[i] != "go" || words[i + 1] != "test")
            {
                reason = "it is not one 'go test' command";
                return null;
            }

            var arguments = new List<string> { "test" };
            bool merge = false;
            for (i += 2; i < words.Count; i++)
            {
                string w = words[i];
                if (w == "\u00002>&1")
                {
                    if (i != words.Count - 1)
                    {
                        reason = "'2>&1' is not at its end";
                        return null;
                    }

                    merge = true;
                    break;
                }

                if (w.StartsWith("\u0000", StringComparison.Ordinal))
                {
                    reason = $"it holds '{w.Substring(1)}' after go test";
                    return null;
                }

                if (w == "-args" || w == "--args")
                {
                    for (; i < words.Count; i++)
                    {
                        if (words[i] == "\u00002>&1" && i == words.Count - 1)
                        {
                            merge = true;
                            break;
                        }

                        if (words[i].StartsWith("\u0000", StringComparison.Ordinal))
                        {
                            reason = $"it holds '{words[i].Substring(1)}' after -args";
                            return null;
                        }

                        arguments.Add(words[i]);
                    }

                    break;
                }

                if (w.Length > 1 && w[0] == '-')
                {
                    if (!IsAllowedFlag(w, out string flagName))
                    {
                        reason = $"go test flag {w} is not one the host build runs here (it may name a program or a file on this machine)";
                        return null;
                    }

                    arguments.Add(w);
                    if (w.IndexOf('=') < 0 && Valued.Contains(flagName) && i + 1 < words.Count && !words[i + 1].StartsWith("\u0000", StringComparison.Ordinal))
                    {
                        arguments.Add(words[++i]);
                    }

                    continue;
                }

                arguments.Add(w); // a package pattern
            }

            return new HostGoCommand(directory, environment, arguments, merge);
        }

        private static bool IsAllowedFlag(string word, out string name)
        {
            name = word.TrimStart('-');
            int eq = name.IndexOf('=');
            if (eq >= 0)
            {
                name = name.Substring(0, eq);
            }

            if (name.StartsWith("test.", StringComparison.Ordinal))
            {
                name = name.Substring(5);
            }

            return word.StartsWith("-", StringComparison.Ordinal) && Allowed.Contains(name);
        }

        /// <summary>
        /// Words with their quotes removed; the operators `&amp;&amp;` and `2&gt;&amp;1` come back as
        /// "\0&amp;&amp;" and "\02&gt;&amp;1". Null (and why) for anything sh would expand or treat as more than words.
        /// </summary>
        private static List<string> Split(string s, out string reason)
        {
            reason = null;
            var words = new List<string>();
            int i = 0;
            while (i < s.Length)
            {
                char c = s[i];
                if (c == ' ' || c == '\t')
                {
                    i++;
                    continue;
                }

                if (string.CompareOrdinal(s, i, "&&", 0, 2) == 0)
                {
                    words.Add("\u0000&&");
                    i += 2;
                    continue;
                }

                if (string.CompareOrdinal(s, i, "2>&1", 0, 4) == 0 && (i + 4 == s.Length || s[i + 4] == ' ' || s[i + 4] == '\t'))
                {
                    words.Add("\u00002>&1");
                    i += 4;
                    continue;
                }

                var word = new StringBuilder();
                while (i < s.Length && s[i] != ' ' && s[i] != '\t')
                {
                    c = s[i];
                    if (c == '\'')
                    {
                        int close = s.IndexOf('\'', i + 1);
                        if (close < 0)
                        {
                            reason = "a quote is not closed";
                            return null;
                        }

                        word.Append(s, i + 1, close - i - 1);
                        i = close + 1;
                        continue;
                    }

                    if (c == '"')
                    {
                        int close = s.IndexOf('"', i + 1);
                        if (close < 0)
                        {
                            reason = "a quote is not closed";
                            return null;
                        }

                        string inner = s.Substring(i + 1, close - i - 1);
                        if (inner.IndexOfAny(new[] { '$', '`', '\\' }) >= 0)
                        {
                            reason = $"\"{inner}\" would be expanded by a shell";
                            return null;
                        }

                        word.Append(inner);
                        i = close + 1;
                        continue;
                    }

                    if (c == '\\' && i + 1 < s.Length && s[i + 1] != '\n')
                    {
                        word.Append(s[i + 1]); // sh: a backslash takes the next character as it is
                        i += 2;
                        continue;
                    }

                    if (!(char.IsLetterOrDigit(c) || "-_./,:=@%+^".IndexOf(c) >= 0))
                    {
                        reason = $"'{c}' is shell syntax (a second command, an expansion, a redirection or a pattern)";
                        return null;
                    }

                    word.Append(c);
                    i++;
                }

                words.Add(word.ToString());
            }

            return words;
        }
    }
}
