namespace DfVm.PowerShell
{
    /// <summary>Wiring done once at import, after the engine is loadable.</summary>
    internal static class ModuleSetup
    {
        public static void OnImport()
        {
        }
    }
}
