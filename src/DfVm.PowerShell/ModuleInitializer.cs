using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace DfVm.PowerShell
{
    /// <summary>
    /// Loads DfVm.Core and its dependencies (SSH.NET, BouncyCastle, ...) from the module's
    /// dependencies/ folder into a load context of their own, so that another module's copy of
    /// SSH.NET (Posh-SSH, say) in the same session does not collide with ours.
    /// </summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        private static readonly string DependencyDirectory = Path.Combine(
            Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? ".",
            "dependencies");

        private static readonly DependencyLoadContext Context = new DependencyLoadContext(DependencyDirectory);

        public void OnImport()
        {
            AssemblyLoadContext.Default.Resolving += ResolveFromDependencies;
        }

        public void OnRemove(PSModuleInfo psModuleInfo)
        {
            AssemblyLoadContext.Default.Resolving -= ResolveFromDependencies;
        }

        private static Assembly ResolveFromDependencies(AssemblyLoadContext defaultContext, AssemblyName name)
        {
            // Only the engine is handed to the default context; everything it needs is then
            // resolved by the isolated context itself.
            if (!string.Equals(name.Name, "DfVm.Core", StringComparison.Ordinal))
            {
                return null;
            }

            return Context.LoadFromAssemblyName(name);
        }
    }

    internal sealed class DependencyLoadContext : AssemblyLoadContext
    {
        private readonly string _directory;

        public DependencyLoadContext(string directory)
        {
            _directory = directory;
        }

        protected override Assembly Load(AssemblyName assemblyName)
        {
            // The cmdlet assembly itself must stay shared: the engine returns objects whose
            // types PowerShell formats by name, and it must not load a second DfVm.dll.
            string path = Path.Combine(_directory, assemblyName.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }
    }
}
