using System;
using System.Collections.Generic;
using System.IO;
using DfVm.Core.Instances;
using DfVm.Core.Snapshots;
using Xunit;

namespace DfVm.Core.Tests.Instances
{
    /// <summary>VM and snapshot names become folder and file names: they are checked exactly.</summary>
    public sealed class VmNameTests
    {
        public static IEnumerable<object[]> BadNames()
        {
            foreach (string s in new[]
            {
                "", "dfly\n", "dfly\r", "dfly\r\n", "\ndfly", "df\nly", "dfly\0", "df\0ly", ".", "..", "../x", "a/b", "a\\b", "/a",
                "-dfly", "_dfly", " dfly", "dfly ", "df ly", "ünï", "dfly\u00e9", "\u0661", "ｄｆｌｙ", "dfly\t",
                new string('a', 64), new string('a', 100), "a.b", "a:b", "*", "dfly?",
            })
            {
                yield return new object[] { s };
            }
        }

        [Theory]
        [MemberData(nameof(BadNames))]
        public void A_bad_vm_name_is_InvalidVmName(string name)
        {
            var e = Assert.Throws<DfVmException>(() => VmStore.ValidateName(name));
            Assert.Equal(ErrorIds.InvalidVmName, e.ErrorId);
            Assert.Equal(DfVmErrorKind.InvalidArgument, e.Kind);
            Assert.False(VmStore.IsValidName(name));
            Assert.DoesNotContain("\n", e.Message); // the name is shown escaped
        }

        [Theory]
        [MemberData(nameof(BadNames))]
        public void A_bad_snapshot_name_is_InvalidSnapshotName(string name)
        {
            Assert.False(SnapshotNames.IsValid(name));
            var e = Assert.Throws<DfVmException>(() => SnapshotNames.Validate(name, "dfly"));
            Assert.Equal(ErrorIds.InvalidSnapshotName, e.ErrorId);
        }

        [Theory]
        [InlineData("a")]
        [InlineData("dfly")]
        [InlineData("A-b_9")]
        [InlineData("0")]
        public void Good_names_pass(string name)
        {
            VmStore.ValidateName(name);
            Assert.True(SnapshotNames.IsValid(name));
        }

        [Fact]
        public void Sixty_three_characters_pass_and_sixty_four_do_not()
        {
            VmStore.ValidateName(new string('a', 63));
            Assert.True(SnapshotNames.IsValid(new string('a', 63)));
            Assert.False(VmStore.IsValidName(new string('a', 64)));
            Assert.False(SnapshotNames.IsValid(new string('a', 64)));
        }

        [Theory]
        [InlineData("images")]
        [InlineData("Images")]
        public void The_image_cache_folder_is_a_reserved_name(string name)
        {
            var e = Assert.Throws<DfVmException>(() => VmStore.ValidateName(name));
            Assert.Equal(ErrorIds.ReservedVmName, e.ErrorId);
            Assert.Equal(DfVmErrorKind.InvalidArgument, e.Kind);
            Assert.Equal(name, e.Target);
        }

        [Fact]
        public void A_name_with_a_trailing_newline_is_no_vm_even_when_the_folder_exists()
        {
            string root = Path.Combine(Path.GetTempPath(), "dfn-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            try
            {
                Directory.CreateDirectory(Path.Combine(root, "dfly"));
                File.WriteAllText(Path.Combine(root, "dfly", "instance.json"), "{}");
                Directory.CreateDirectory(Path.Combine(root, "images"));
                File.WriteAllText(Path.Combine(root, "images", "instance.json"), "{}");
                var store = new VmStore(root);
                Assert.True(store.Exists("dfly"));
                Assert.False(store.Exists("dfly\n"));
                Assert.False(store.Exists("images"));
                Assert.Equal(new[] { "dfly" }, store.List());
                Assert.Equal(ErrorIds.InvalidVmName, Assert.Throws<DfVmException>(() => store.Require("dfly\n")).ErrorId);
            }
            finally
            {
                Directory.Delete(root, true);
            }
        }
    }
}
