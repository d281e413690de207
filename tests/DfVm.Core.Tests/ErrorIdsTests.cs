using System;
using System.Linq;
using System.Reflection;
using Xunit;

namespace DfVm.Core.Tests
{
    /// <summary>
    /// <see cref="ErrorIds"/> is the one registry of error ids: each id is its own name, and no other
    /// type of the engine declares one (tests/Pester/Module.Tests.ps1 checks the cmdlet assembly the same
    /// way, where PowerShell is loaded, and that every id is produced by a test).
    /// </summary>
    public sealed class ErrorIdsTests
    {
        private const BindingFlags Declared = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

        private static FieldInfo[] Registry() => typeof(ErrorIds).GetFields(Declared);

        [Fact]
        public void Every_id_is_a_public_const_string_equal_to_its_own_name()
        {
            var fields = Registry();
            Assert.True(fields.Length > 50, $"only {fields.Length} ids");
            foreach (var f in fields)
            {
                Assert.True(f.IsPublic && f.IsLiteral && f.FieldType == typeof(string), f.Name + " is not a public const string");
                Assert.Equal(f.Name, (string)f.GetRawConstantValue());
            }
        }

        [Fact]
        public void The_registry_is_the_only_type_that_declares_ids()
        {
            var ids = Registry().Select(f => (string)f.GetRawConstantValue()).ToHashSet(StringComparer.Ordinal);
            var types = CoreStateTests.CoreTypes().Where(t => t != typeof(ErrorIds)).ToList();

            var registries = types.Where(t => t.Name.EndsWith("ErrorIds", StringComparison.Ordinal)).Select(t => t.FullName).ToList();
            Assert.True(registries.Count == 0, "id classes besides ErrorIds: " + string.Join(", ", registries));

            var copies = types
                .SelectMany(t => t.GetFields(Declared).Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (t, f)))
                .Where(x => ids.Contains((string)x.f.GetRawConstantValue()))
                .Select(x => x.t.FullName + "." + x.f.Name)
                .ToList();
            Assert.True(copies.Count == 0, "ids declared outside ErrorIds (use ErrorIds.X): " + string.Join(", ", copies));
        }
    }
}
