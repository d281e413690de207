using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;
using DfVm.Core.Util;

namespace DfVm.Core.GoExec
{
    /// <summary>
    /// Puts the exec wrapper (dfvm-go-exec, shipped in the module folder) into a folder on PATH, as
    /// itself (for go test -exec) and as go_&lt;goos&gt;_&lt;goarch&gt;_exec (which go test runs by name
    /// when GOOS/GOARCH differ from the host's). Files are copies, mode 0755. A file that is there
    /// already is replaced only when DfVm wrote it (it holds the wrapper's marker line).
    /// </summary>
    public sealed class GoExecInstaller
    {
        /// <summary>The wrapper's file name, in the module folder's goexec/ and on PATH.</summary>
        public const string WrapperName = "dfvm-go-exec";

        /// <summary>A line only the wrapper holds: how a file DfVm wrote is recognised.</summary>
        public const string Marker = "# dfvm-go-exec: runs one Go test binary as root in the project's DfVm VM.";

        private static readonly Regex Word = new Regex("^[a-z0-9]+$", RegexOptions.CultureInvariant);

        private readonly string _source;

        public GoExecInstaller(string wrapperSource)
        {
            _source = wrapperSource ?? throw new ArgumentNullException(nameof(wrapperSource));
        }

        /// <summary>The name go test looks up on PATH for a cross GOOS/GOARCH.</summary>
        public static string ExecName(string goos, string goarch)
        {
            foreach (var part in new[] { goos, goarch })
            {
                if (part == null || !Word.IsMatch(part))
                {
                    throw new GoExecException(ErrorIds.GoExecTargetInvalid, DfVmErrorKind.InvalidArgument,
                        $"'{part}' is not a GOOS/GOARCH value (lower-case letters and digits, for example dragonfly, amd64).", part);
                }
            }

            return "go_" + goos + "_" + goarch + "_exec";
        }

        /// <summary>The files <see cref="Install"/> writes in <paramref name="destination"/>.</summary>
        public IReadOnlyList<string> Targets(string destination, string goos, string goarch) => new[]
        {
            Path.Combine(destination, WrapperName),
            Path.Combine(destination, ExecName(goos, goarch)),
        };

        /// <summary>Throws when a target exists and DfVm did not write it; nothing is written then.</summary>
        public void CheckTargets(IEnumerable<string> targets)
        {
            foreach (var target in targets)
            {
                if ((File.Exists(target) || Directory.Exists(target)) && !IsOurs(target))
                {
                    throw new GoExecException(ErrorIds.GoExecDestinationOccupied, DfVmErrorKind.ResourceExists,
                        $"'{target}' exists and is not DfVm's exec wrapper: DfVm does not replace it. Remove or rename it yourself, or install into another folder (-Destination).", target);
                }
            }
        }

        /// <summary>Copies the wrapper to <paramref name="target"/> (atomically, mode 0755).</summary>
        public void Write(string target)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(target));
            AtomicFile.WriteAllBytes(target, File.ReadAllBytes(_source), 0x1ED);
        }

        private static bool IsOurs(string path)
        {
            if (!File.Exists(path))
            {
                return false;
            }

            using (var reader = new StreamReader(path, Encoding.UTF8))
            {
                for (int i = 0; i < 5; i++)
                {
                    string line = reader.ReadLine();
                    if (line == null)
                    {
                        return false;
                    }

                    if (line == Marker)
                    {
                        return true;
                    }
                }
            }

            return false;
        }
    }
}
