using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using DfVm.Core.Util;

namespace DfVm.Core.Instances
{
    /// <summary>The VMs under one vm/ folder: names, definitions, run-time state.</summary>
    public sealed class VmStore
    {
        // \z, not $: '$' also matches before a final newline, so "dfly\n" would pass.
        private static readonly Regex ValidName = new Regex(@"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}\z", RegexOptions.CultureInvariant);

        /// <summary>Folders under vm/ that are not VMs: the release image cache (Save-DfVmImage, Install-DfVm).</summary>
        public const string ImageCacheFolder = "images";

        public VmStore(string root)
        {
            // The real path: through a symlinked project the same VM must have one spelling
            // (QEMU's argv, the lock, the sync exclusion all compare it).
            Root = HostPath.Real(root);
        }

        public string Root { get; }

        /// <summary>True when the name is a well-formed VM name (checked exactly: no trailing newline).</summary>
        public static bool IsValidName(string name) => !string.IsNullOrEmpty(name) && ValidName.IsMatch(name) && !IsReserved(name);

        private static bool IsReserved(string name) => string.Equals(name, ImageCacheFolder, StringComparison.OrdinalIgnoreCase);

        public static void ValidateName(string name)
        {
            if (string.IsNullOrEmpty(name) || !ValidName.IsMatch(name))
            {
                throw new DfVmException(ErrorIds.InvalidVmName, DfVmErrorKind.InvalidArgument,
                    $"'{Printable(name)}' is not a valid VM name: use 1-63 letters, digits, '-' or '_', starting with a letter or digit (no path separators, no '..', no line breaks).",
                    name);
            }
            if (IsReserved(name))
            {
                throw new DfVmException(ErrorIds.ReservedVmName, DfVmErrorKind.InvalidArgument,
                    $"'{name}' cannot be a VM name: vm/{ImageCacheFolder}/ holds the cached DragonFly release images. Choose another name.",
                    name);
            }
        }

        /// <summary>The name with control characters shown as escapes, so an error message shows what was typed.</summary>
        internal static string Printable(string name)
        {
            if (name == null) return string.Empty;
            var sb = new System.Text.StringBuilder(name.Length);
            foreach (char c in name)
            {
                if (char.IsControl(c)) sb.Append("\\u").Append(((int)c).ToString("x4"));
                else sb.Append(c);
            }
            return sb.ToString();
        }

        public VmPaths PathsFor(string name)
        {
            ValidateName(name);
            return new VmPaths(Root, name);
        }

        public bool Exists(string name) => IsValidName(name) && File.Exists(new VmPaths(Root, name).Definition);

        /// <summary>Names of every VM that has a definition, sorted.</summary>
        public IReadOnlyList<string> List()
        {
            if (!Directory.Exists(Root)) return Array.Empty<string>();
            return Directory.GetDirectories(Root)
                .Select(Path.GetFileName)
                .Where(n => IsValidName(n) && File.Exists(Path.Combine(Root, n, "instance.json")))
                .OrderBy(n => n, StringComparer.Ordinal)
                .ToList();
        }

        public VmPaths Require(string name)
        {
            var paths = PathsFor(name);
            if (!File.Exists(paths.Definition))
            {
                string remedy = $"Create it with New-DfVm -Name {name}, or list VMs with Get-DfVm.";
                throw new DfVmException(ErrorIds.VmNotFound, DfVmErrorKind.NotFound, $"No VM named '{name}' under {Root}. {remedy}", name)
                {
                    RecommendedAction = remedy,
                };
            }
            return paths;
        }

        public VmDefinition LoadDefinition(VmPaths paths)
        {
            try
            {
                var def = Json.ReadStrict<VmDefinition>(paths.Definition);
                if (def == null) throw new InvalidDataException("empty");
                def.Name = paths.Name;
                return def;
            }
            catch (Exception e) when (e is System.Text.Json.JsonException || e is InvalidDataException)
            {
                throw new DfVmException(ErrorIds.VmDefinitionInvalid, DfVmErrorKind.InvalidData,
                    $"{paths.Definition} is not a valid VM definition: {e.Message}", paths.Name, e);
            }
        }

        public void SaveDefinition(VmPaths paths, VmDefinition definition) => Json.Write(paths.Definition, definition);

        public VmRuntimeState LoadState(VmPaths paths) => Json.Read<VmRuntimeState>(paths.State);

        /// <summary>Replaces state.json (atomically, under the state lock).</summary>
        public void SaveState(VmPaths paths, VmRuntimeState state)
        {
            using (StateLock(paths)) Json.Write(paths.State, state);
        }

        /// <summary>
        /// Read-modify-write of state.json under the state lock, so no other process's write falls between the read
        /// and the write (Wait-DfVm marking a guest ready while another pwsh restarts it). <paramref name="change"/>
        /// gets the current state (null: none) and returns false to write nothing. Returns what it returned.
        /// </summary>
        public bool UpdateState(VmPaths paths, Func<VmRuntimeState, bool> change)
        {
            using (StateLock(paths))
            {
                var state = LoadState(paths);
                if (!change(state) || state == null) return false;
                Json.Write(paths.State, state);
                return true;
            }
        }

        public void ClearState(VmPaths paths)
        {
            if (!File.Exists(paths.State)) return;
            using (StateLock(paths))
            {
                if (File.Exists(paths.State)) File.Delete(paths.State);
            }
        }

        /// <summary>
        /// The short lock over a state.json update: an flock on state.lock (released by the kernel if the holder dies),
        /// separate from the VM lock, which a Start-DfVm holds for minutes while a Wait-DfVm must still mark readiness.
        /// </summary>
        private static IDisposable StateLock(VmPaths paths)
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    return new FileStream(paths.StateLock, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                }
                catch (DirectoryNotFoundException e)
                {
                    throw new DfVmException(ErrorIds.VmNotFound, DfVmErrorKind.NotFound,
                        $"VM '{paths.Name}' is gone: {paths.Directory} holds no VM (removed by another DfVm command?).", paths.Name, e);
                }
                catch (IOException e) when (!(e is FileNotFoundException))
                {
                    // Held only for one small file write: a holder for seconds is a process stuck in the kernel.
                    if (watch.Elapsed > TimeSpan.FromSeconds(30))
                    {
                        throw new DfVmException(ErrorIds.VmLocked, DfVmErrorKind.ResourceUnavailable,
                            $"VM '{paths.Name}': {paths.StateLock} has been held for over 30 s by another process. Try again.", paths.Name, e)
                        {
                            RecommendedAction = "Try again when the other DfVm command on this VM has finished.",
                        };
                    }
                    System.Threading.Thread.Sleep(5);
                }
            }
        }
    }
}
