using System;
using System.Linq;
using System.Reflection;
using System.Runtime.CompilerServices;
using Xunit;

namespace DfVm.Core.Tests
{
    /// <summary>
    /// DfVm.Core is wired through <see cref="DfVmEngine"/>'s constructors: no layer can reach in and
    /// set a static. Checked over every type the compiler did not make itself.
    /// </summary>
    public sealed class CoreStateTests
    {
        private const BindingFlags StaticMembers = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

        /// <summary>DfVm.Core's types, those the compiler made itself left out.</summary>
        internal static Type[] CoreTypes() => typeof(DfVmEngine).Assembly.GetTypes()
            .Where(t => t.GetCustomAttribute<CompilerGeneratedAttribute>() == null && !t.Name.StartsWith("<", StringComparison.Ordinal))
            .ToArray();

        [Fact]
        public void No_static_field_can_be_assigned_after_type_initialisation()
        {
            var writable = CoreTypes()
                .SelectMany(t => t.GetFields(StaticMembers).Select(f => (t, f)))
                .Where(x => !x.f.IsInitOnly && !x.f.IsLiteral)
                .Select(x => x.t.FullName + "." + x.f.Name)
                .ToList();
            Assert.True(writable.Count == 0, "mutable static fields in DfVm.Core: " + string.Join(", ", writable));
        }

        [Fact]
        public void No_static_property_has_a_setter()
        {
            var settable = CoreTypes()
                .SelectMany(t => t.GetProperties(StaticMembers).Select(p => (t, p)))
                .Where(x => x.p.SetMethod != null)
                .Select(x => x.t.FullName + "." + x.p.Name)
                .ToList();
            Assert.True(settable.Count == 0, "settable static properties in DfVm.Core: " + string.Join(", ", settable));
        }

        [Fact]
        public void The_check_sees_a_settable_static_when_there_is_one()
        {
            // The check itself can fail: this test class's own settable static is found by the same query.
            Assert.NotNull(typeof(Probe).GetProperty(nameof(Probe.Settable), StaticMembers).SetMethod);
        }

        private static class Probe
        {
            public static int Settable { get; set; }
        }

        [Fact]
        public void Each_engine_owns_its_connection_pool_and_its_parts_share_one_store()
        {
            string root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dfvm-engine-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            try
            {
                using (var a = new DfVmEngine(root))
                using (var b = new DfVmEngine(root))
                {
                    Assert.NotSame(a.Connections, b.Connections);
                    Assert.Same(a.Store, a.Controller.Store);
                }
            }
            finally
            {
                if (System.IO.Directory.Exists(root)) System.IO.Directory.Delete(root, true);
            }
        }
    }
}
