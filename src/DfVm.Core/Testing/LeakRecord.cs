using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace DfVm.Core.Testing
{
    /// <summary>
    /// The leak record one test binary's run printed in the guest (<c>leakcheck.sh</c>), read from the package's
    /// output as it streams. The guest runs the project's tests as root, so the record is untrusted input: only
    /// the run's own marker starts one, each line must be a mount-table line or a <c>ps</c> line, and sizes are
    /// bounded (<see cref="MaxLines"/>, <see cref="MaxLineChars"/>). A record that breaks a rule is refused
    /// whole (<see cref="Error"/>; <see cref="ErrorIds.LeakRecordInvalid"/> after the run), never guessed at.
    /// </summary>
    public sealed class LeakRecord
    {
        /// <summary>Lines a record may hold (both tables, before and after).</summary>
        public const int MaxLines = 20000;

        /// <summary>Characters a line may hold; a longer ps command is cut to <see cref="MaxCommandChars"/>, anything else refused.</summary>
        public const int MaxLineChars = 64 * 1024;

        /// <summary>Characters of a process's command kept.</summary>
        public const int MaxCommandChars = 512;

        // DragonFly's ps pads each column but the last (bin/ps/print.c: pid and ppid "%*d" in 5, state "%-*s" in 6):
        // the spaces after the state are the column's, not the command's.
        private static readonly Regex PsLine = new Regex(@"^ *(\d{1,10}) +(\d{1,10}) +(\S{1,16})(?: +(.*))?$", RegexOptions.CultureInvariant);

        private static readonly Regex RecordStart = new Regex("^\u001eDFVM-LEAK ([0-9a-f]{1,64}) before\r?\n$", RegexOptions.CultureInvariant);

        private readonly string _marker;
        private readonly StringBuilder _partial = new StringBuilder();
        private Section _section = Section.None;
        private bool _inTables;
        private int _lines;

        /// <param name="marker">The run's marker (hex), as <see cref="LeakCheckOptions.Marker"/>.</param>
        public LeakRecord(string marker)
        {
            _marker = "\u001eDFVM-LEAK " + marker + " ";
        }

        private enum Section { None, Before, After, Done }

        public LeakSnapshot Before { get; } = new LeakSnapshot();

        public LeakSnapshot After { get; } = new LeakSnapshot();

        /// <summary>From the clean-up (-CleanLeaks): unmounts that failed; null when there was none.</summary>
        public int? CleanFailures { get; private set; }

        /// <summary>Why the record was refused; null while it is good.</summary>
        public string Error { get; private set; }

        /// <summary>The record ended ("end" line) and was good.</summary>
        public bool Complete => _section == Section.Done && Error == null;

        /// <summary>True while a record is open: every output chunk goes to <see cref="Take"/>.</summary>
        public bool Open => _section == Section.Before || _section == Section.After;

        /// <summary>
        /// The marker of the record whose first line <paramref name="text"/> is, whichever run's it is; null when it
        /// is no record's first line. go test replays a cached package's saved output, with the record of the
        /// run that saved it.
        /// </summary>
        public static string MarkerOf(string text)
        {
            Match m = text == null ? null : RecordStart.Match(text);
            return m != null && m.Success ? m.Groups[1].Value : null;
        }

        /// <summary>True when <paramref name="text"/> starts a record of this run.</summary>
        public bool Starts(string text) => text != null && text.StartsWith(_marker, StringComparison.Ordinal);

        /// <summary>
        /// Takes one output chunk of the package (go's output events carry a line each, or a piece of a long
        /// line without its end). Call only when <see cref="Open"/> or <see cref="Starts"/>.
        /// </summary>
        public void Take(string text)
        {
            if (!text.EndsWith("\n", StringComparison.Ordinal))
            {
                if (_partial.Length + text.Length > MaxLineChars)
                {
                    Refuse($"a line longer than {MaxLineChars} characters");
                    _partial.Clear();
                }
                else
                {
                    _partial.Append(text);
                }

                return;
            }

            string line = _partial.Length > 0 ? _partial.Append(text).ToString() : text;
            _partial.Clear();
            if (line.Length > MaxLineChars)
            {
                Refuse($"a line longer than {MaxLineChars} characters");
                return;
            }

            Line(line.Substring(0, line.Length - 1).TrimEnd('\r'));
        }

        private void Line(string line)
        {
            if (++_lines > MaxLines)
            {
                Refuse($"more than {MaxLines} lines");
                return;
            }

            if (line.StartsWith(_marker, StringComparison.Ordinal))
            {
                Marker(line.Substring(_marker.Length));
                return;
            }

            if (Error != null)
            {
                return; // a refused record is read to its end, not kept
            }

            if (!Open)
            {
                Refuse("a line outside a record");
                return;
            }

            LeakSnapshot into = _section == Section.Before ? Before : After;
            if (_inTables)
            {
                if (line == "@")
                {
                    _inTables = false; // the mount table ends, the process list follows
                    into.MountsDone = true;
                    return;
                }

                DfVmMount mount = GuestMountTable.ParseLine(line);
                if (mount == null)
                {
                    Refuse("a mount-table line of no known form: " + Show(line));
                    return;
                }

                into.Mounts.Add(mount);
                return;
            }

            Match m = PsLine.Match(line);
            if (!m.Success || !int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                || !int.TryParse(m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int ppid))
            {
                Refuse("a process line that is not 'pid ppid state command': " + Show(line));
                return;
            }

            string command = m.Groups[4].Value;
            into.Processes.Add(new DfVmProcess(pid, ppid, m.Groups[3].Value, command.Length > MaxCommandChars ? command.Substring(0, MaxCommandChars) : command));
        }

        private void Marker(string what)
        {
            switch (what)
            {
                case "before" when _section == Section.None:
                    _section = Section.Before;
                    _inTables = true;
                    return;
                case "after" when _section == Section.Before && Before.MountsDone:
                    _section = Section.After;
                    _inTables = true;
                    return;
                case "end" when _section == Section.After || Error != null:
                    if (Error == null && !After.MountsDone)
                    {
                        Refuse("no process list after the binary");
                    }

                    _section = Section.Done;
                    return;
            }

            if (what.StartsWith("clean ", StringComparison.Ordinal) && _section == Section.After
                && int.TryParse(what.Substring(6), NumberStyles.None, CultureInfo.InvariantCulture, out int failed) && CleanFailures == null)
            {
                CleanFailures = failed;
                return;
            }

            Refuse("a marker line out of place: " + Show(what));
            if (what == "end")
            {
                _section = Section.Done;
            }
        }

        private void Refuse(string why)
        {
            if (Error == null)
            {
                Error = why;
            }

            if (_section == Section.None)
            {
                _section = Section.Before; // read on to its end
            }
        }

        private static string Show(string s)
        {
            var b = new StringBuilder();
            foreach (char c in s.Length > 120 ? s.Substring(0, 120) + "..." : s)
            {
                b.Append(c < ' ' || c == '\u007f' ? "\\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture) : c.ToString());
            }

            return b.ToString();
        }
    }

    /// <summary>The mount table and process list at one moment.</summary>
    public sealed class LeakSnapshot
    {
        public List<DfVmMount> Mounts { get; } = new List<DfVmMount>();

        public List<DfVmProcess> Processes { get; } = new List<DfVmProcess>();

        internal bool MountsDone { get; set; }
    }
}
