using System.Runtime.CompilerServices;

namespace DfVm.PowerShell
{
    /// <summary>Wiring done once at import, after the engine is loadable.</summary>
    internal static class ModuleSetup
    {
        // Not inlined: compiling it loads DfVm.Core, which must wait until the resolver is attached.
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void OnImport()
        {
            Core.Snapshots.SnapshotStore.Register();
        }
    }
}
