using System;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using DfVm.Core;

namespace DfVm.PowerShell
{
    /// <summary>
    /// One <see cref="DfVmEngine"/> per VM store for the life of the session, so the second and later
    /// cmdlets on a VM reuse its warm SSH connection. The only place the engines are made.
    /// </summary>
    internal static class Engines
    {
        private static readonly ConcurrentDictionary<string, DfVmEngine> ByRoot =
            new ConcurrentDictionary<string, DfVmEngine>(StringComparer.Ordinal);

        /// <summary>The engine of the store at <paramref name="vmRoot"/> (a real path: the project's vm/ folder).</summary>
        public static DfVmEngine For(string vmRoot) => ByRoot.GetOrAdd(vmRoot, root => new DfVmEngine(root));

        /// <summary>Closes every warm connection (Remove-Module).</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void CloseAll()
        {
            foreach (var root in ByRoot.Keys)
            {
                if (ByRoot.TryRemove(root, out var engine)) engine.Dispose();
            }
        }
    }
}
