using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace DfVm.Core.Testing
{
    /// <summary>
    /// Makes the sh text one suite part runs in the guest: a check that the project directory is
    /// there, then the suite's command with its `go test` narrowed by -Run / -Package / -Timeout,
    /// run through `doas -n /bin/sh -c` when the part is elevated and the login user is not root.
    /// </summary>
    public static class SuiteCommandLine
    {
        /// <summary>Written to stderr (alone on its line) when the project directory is missing.</summary>
        public const string NoProjectMarker = "\u001eDFVM-NOPROJECT";

        /// <summary>Written to stderr by the elevated shell, followed by its pid (to end it as root on cancel).</summary>
        public const string ElevatedPidMarker = "\u001eDFVM-ELEVATED-PID ";

        // go test and go build flags that take their value as the next word when written without '='
        private static readonly HashSet<string> ValuedFlags = new HashSet<string>(StringComparer.Ordinal)
        {
            "bench", "benchtime", "blockprofile", "blockprofilerate", "count", "coverprofile", "cpu", "cpuprofile",
            "fuzz", "fuzzminimizetime", "fuzztime", "list", "memprofile", "memprofilerate", "mutexprofile",
            "mutexprofilefraction", "outputdir", "parallel", "run", "skip", "shuffle", "timeout", "trace", "vet",
            "covermode", "coverpkg", "exec", "o", "p", "tags", "ldflags", "gcflags", "asmflags", "gccgoflags",
            "mod", "modfile", "overlay", "pkgdir", "toolexec", "C", "pgo", "compiler", "installsuffix", "json.file",
        };

        /// <summary>True when the part goes through doas: its suite (or the request) says Elevate and the login user is not root.</summary>
        public static bool UsesDoas(DfVmSuite part, GuestTestRequest request) =>
            (part.Elevate || request.Elevate) && !string.Equals(request.SshUser ?? "root", "root", StringComparison.Ordinal);

        /// <summary>The whole sh text for one part.</summary>
        public static string Build(DfVmSuite part, GuestTestRequest request)
        {
            if (string.IsNullOrEmpty(request.GuestProjectPath))
            {
                throw new ArgumentException("The guest project path is required.", nameof(request));
            }

            string command = Narrow(part.Command, request.Run, request.Packages, request.Timeout, part.Name);
            if (request.LeakCheck != null && !request.LeakCheck.ViaHostWrapper)
            {
                command = LeakCheck.WrapGuestCommand(command, request.LeakCheck) ?? command; // a go test with its own -exec is run unchecked
            }

            string guard = Guard(request.GuestProjectPath);
            if (!UsesDoas(part, request))
            {
                return guard + command;
            }

            string inner = "printf '\\036DFVM-ELEVATED-PID %s\\n' \"$$\" >&2; " + command;
            return guard + "doas -n /bin/sh -c " + Quote(inner);
        }

        /// <summary>
        /// Rewrites the first `go test` of <paramref name="command"/>: -run and -timeout (replacing the
        /// command's own) go right after "go test"; the package patterns replace the command's (or are
        /// added after its last argument when it names none). The rest of the text is kept as written.
        /// </summary>
        public static string Narrow(string command, string run, IReadOnlyList<string> packages, TimeSpan? timeout, string suiteName = null)
        {
            bool narrowPackages = packages != null && packages.Count > 0;
            if (run == null && !narrowPackages && timeout == null)
            {
                return command;
            }

            List<Token> tokens = Tokenize(command);
            int go = -1;
            for (int i = 0; i + 1 < tokens.Count; i++)
            {
                if (!tokens[i].IsOperator && tokens[i].Text == "go" && tokens[i + 1].Text == "test")
                {
                    go = i;
                    break;
                }
            }

            if (go < 0)
            {
                throw new GuestTestException(ErrorIds.SuiteInvalid, DfVmErrorKind.InvalidArgument,
                    $"-Run, -Package and -Timeout need a 'go test' in the suite's command, and suite '{suiteName}' runs: {command}", suiteName);
            }

            int end = go + 2;
            while (end < tokens.Count && !tokens[end].IsOperator)
            {
                end++;
            }

            List<Arg> args = ReadArgs(tokens, go + 2, end, out List<Token> tail);
            int lastArg = args.FindLastIndex(a => a.Kind != ArgKind.Redirect);
            var words = new List<string> { "go", "test" };
            if (run != null)
            {
                words.Add("-run");
                words.Add(Quote(run));
            }

            if (timeout.HasValue)
            {
                words.Add("-timeout");
                words.Add(((long)Math.Ceiling(timeout.Value.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "s");
            }

            bool packagesWritten = false;
            void WritePackages()
            {
                if (narrowPackages && !packagesWritten)
                {
                    words.AddRange(packages.Select(Word));
                    packagesWritten = true;
                }
            }

            if (lastArg < 0)
            {
                WritePackages();
            }

            for (int k = 0; k < args.Count; k++)
            {
                Arg arg = args[k];
                bool drop = (run != null && arg.Flag == "run")
                    || (timeout.HasValue && arg.Flag == "timeout")
                    || (narrowPackages && arg.Kind == ArgKind.Package);
                if (narrowPackages && arg.Kind == ArgKind.Package)
                {
                    WritePackages();
                }

                if (!drop)
                {
                    words.AddRange(arg.Tokens.Select(t => t.Text));
                }

                if (k == lastArg)
                {
                    WritePackages();
                }
            }

            words.AddRange(tail.Select(t => t.Text));
            string before = command.Substring(0, tokens[go].Start);
            string after = command.Substring(tokens[end - 1].End);
            return before + string.Join(" ", words) + after;
        }

        /// <summary>
        /// <paramref name="command"/> with <c>-exec 'value'</c> right after its first `go test`; null when there is
        /// no go test, or it already has an -exec of its own.
        /// </summary>
        public static string AddExec(string command, string value)
        {
            List<Token> tokens = Tokenize(command);
            for (int i = 0; i + 1 < tokens.Count; i++)
            {
                if (tokens[i].IsOperator || tokens[i].Text != "go" || tokens[i + 1].Text != "test")
                {
                    continue;
                }

                for (int j = i + 2; j < tokens.Count && !tokens[j].IsOperator; j++)
                {
                    string t = tokens[j].Text;
                    if (t == "-args" || t == "--args")
                    {
                        break;
                    }

                    if (t == "-exec" || t == "--exec" || t.StartsWith("-exec=", StringComparison.Ordinal) || t.StartsWith("--exec=", StringComparison.Ordinal))
                    {
                        return null;
                    }
                }

                int at = tokens[i + 1].End;
                return command.Substring(0, at) + " -exec " + Quote(value) + command.Substring(at);
            }

            return null;
        }

        /// <summary>The start of every part's text: into the project folder, or the <see cref="NoProjectMarker"/> and exit 125.</summary>
        public static string Guard(string projectPath) =>
            "if ! cd " + Quote(projectPath) + " 2>/dev/null; then printf '\\036DFVM-NOPROJECT\\n' >&2; exit 125; fi; ";

        /// <summary>POSIX sh single quoting.</summary>
        public static string Quote(string s) => Ssh.GuestCommandLine.SingleQuote(s);

        /// <summary>A word as is when sh would read it unchanged, else single-quoted.</summary>
        public static string Word(string s) =>
            s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "-_./+=:,@%^".IndexOf(c) >= 0) ? s : Quote(s);

        private static List<Arg> ReadArgs(List<Token> tokens, int from, int end, out List<Token> tail)
        {
            var args = new List<Arg>();
            tail = new List<Token>();
            for (int j = from; j < end; j++)
            {
                Token t = tokens[j];
                if (t.Text == "-args" || t.Text == "--args")
                {
                    tail.AddRange(tokens.Skip(j).Take(end - j)); // what follows goes to the test binary
                    break;
                }

                if (IsRedirect(t.Text))
                {
                    var redirect = new Arg(ArgKind.Redirect, null, t);
                    if (t.Text.TrimStart('0', '1', '2', '3', '4', '5', '6', '7', '8', '9').TrimStart('>', '<', '&', '|').Length == 0 && j + 1 < end)
                    {
                        redirect.Tokens.Add(tokens[++j]); // `> file`: the target is the next word
                    }

                    args.Add(redirect);
                    continue;
                }

                if (t.Text.Length > 1 && t.Text[0] == '-')
                {
                    string name = t.Text.TrimStart('-');
                    int eq = name.IndexOf('=');
                    if (eq >= 0)
                    {
                        name = name.Substring(0, eq);
                    }

                    if (name.StartsWith("test.", StringComparison.Ordinal))
                    {
                        name = name.Substring(5);
                    }

                    var flag = new Arg(ArgKind.Flag, name, t);
                    if (eq < 0 && ValuedFlags.Contains(name) && j + 1 < end)
                    {
                        flag.Tokens.Add(tokens[++j]);
                    }

                    args.Add(flag);
                    continue;
                }

                args.Add(new Arg(ArgKind.Package, null, t));
            }

            return args;
        }

        private static bool IsRedirect(string text)
        {
            int i = 0;
            while (i < text.Length && char.IsDigit(text[i]))
            {
                i++;
            }

            return i < text.Length && (text[i] == '>' || text[i] == '<');
        }

        /// <summary>Splits sh text into words (quotes kept as written) and control operators.</summary>
        private static List<Token> Tokenize(string s)
        {
            var tokens = new List<Token>();
            int i = 0;
            while (i < s.Length)
            {
                char c = s[i];
                if (c == ' ' || c == '\t')
                {
                    i++;
                    continue;
                }

                if (c == '\n' || c == ';' || c == '&' || c == '|' || c == '(' || c == ')')
                {
                    int len = (c == '&' || c == '|') && i + 1 < s.Length && s[i + 1] == c ? 2 : 1;
                    tokens.Add(new Token(s.Substring(i, len), i, i + len, true));
                    i += len;
                    continue;
                }

                int start = i;
                var word = new StringBuilder();
                while (i < s.Length)
                {
                    c = s[i];
                    if (c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '(' || c == ')')
                    {
                        break;
                    }

                    if ((c == '&' || c == '|') && !(word.Length > 0 && (word[word.Length - 1] == '>' || word[word.Length - 1] == '<')))
                    {
                        break; // an operator, unless part of a redirection like 2>&1 or >|
                    }

                    if (c == '\'')
                    {
                        int close = s.IndexOf('\'', i + 1);
                        close = close < 0 ? s.Length - 1 : close;
                        word.Append(s, i, close - i + 1);
                        i = close + 1;
                        continue;
                    }

                    if (c == '"')
                    {
                        int j = i + 1;
                        while (j < s.Length && s[j] != '"')
                        {
                            j += s[j] == '\\' ? 2 : 1;
                        }

                        j = Math.Min(j, s.Length - 1);
                        word.Append(s, i, j - i + 1);
                        i = j + 1;
                        continue;
                    }

                    if (c == '\\' && i + 1 < s.Length)
                    {
                        word.Append(s, i, 2);
                        i += 2;
                        continue;
                    }

                    word.Append(c);
                    i++;
                }

                tokens.Add(new Token(word.ToString(), start, i, false));
            }

            return tokens;
        }

        private enum ArgKind
        {
            Flag,
            Package,
            Redirect,
        }

        private sealed class Token
        {
            public Token(string text, int start, int end, bool isOperator)
            {
                Text = text;
                Start = start;
                End = end;
                IsOperator = isOperator;
            }

            public string Text { get; }

            public int Start { get; }

            public int End { get; }

            public bool IsOperator { get; }
        }

        private sealed class Arg
        {
            public Arg(ArgKind kind, string flag, Token first)
            {
                Kind = kind;
                Flag = flag;
                Tokens.Add(first);
            }

            public ArgKind Kind { get; }

            public string Flag { get; }

            public List<Token> Tokens { get; } = new List<Token>();
        }
    }
}
