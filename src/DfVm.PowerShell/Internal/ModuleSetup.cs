using System.Runtime.CompilerServices;
using DfVm.Core.Install;
using DfVm.Core.Snapshots;

namespace DfVm.PowerShell
{
    /// <summary>Wiring done once at import, after the engine is loadable.</summary>
    internal static class ModuleSetup
    {
        // Not inlined: compiling it loads DfVm.Core, which must wait until the resolver is attached.
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void OnImport()
        {
            SnapshotStore.Register();
            // The unattended install ends with a 'clean' snapshot (live when the VM runs).
            UnattendedInstaller.CheckpointHook = (store, paths, name, reporter, ct) =>
                new SnapshotManager(store).CheckpointAsync(paths, name, reporter, ct);
        }
    }
}
