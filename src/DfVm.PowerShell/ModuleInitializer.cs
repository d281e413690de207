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
        private static int _registered;

        /// <summary>
        /// Runs when DfVm.dll is loaded, before PowerShell reflects over the cmdlets (whose
        /// signatures name engine types): IModuleAssemblyInitializer.OnImport would come too late.
        /// </summary>
        [System.Runtime.CompilerServices.ModuleInitializer]
        internal static void RegisterResolver()
        {
            if (System.Threading.Interlocked.Exchange(ref _registered, 1) == 0)
            {
                AssemblyLoadContext.Default.Resolving += ResolveFromDependencies;
            }
        }

        private static readonly string DependencyDirectory = Path.Combine(
            Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? ".",
            "dependencies");

        private static readonly DependencyLoadContext Context = new DependencyLoadContext(DependencyDirectory);

        public void OnImport()
        {
            RegisterResolver();
        }

        public void OnRemove(PSModuleInfo psModuleInfo)
        {
            // The resolver stays: the engine assembly stays loaded for the life of the process anyway.
            // The warm SSH connections go with the module.
            Engines.CloseAll();
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

namespace System.Runtime.CompilerServices
{
    /// <summary>netstandard2.0 lacks this attribute; the compiler and the .NET 5+ runtime honour it by name.</summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = false)]
    internal sealed class ModuleInitializerAttribute : Attribute { }
}
