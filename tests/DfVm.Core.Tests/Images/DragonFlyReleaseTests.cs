using System;
using System.Linq;
using DfVm.Core.Images;
using Xunit;

namespace DfVm.Core.Tests.Images
{
    public sealed class DragonFlyReleaseTests
    {
        [Theory]
        [InlineData("6.4.0", ImageKind.Iso, "dfly-x86_64-6.4.0_REL.iso.bz2")]
        [InlineData("6.4.2", ImageKind.Img, "dfly-x86_64-6.4.2_REL.img.bz2")]
        public void FileNamesFollowTheMirrorRule(string version, ImageKind kind, string expected)
        {
            Assert.Equal(expected, DragonFlyRelease.CompressedFileName(version, kind));
            Assert.Equal(expected.Substring(0, expected.Length - 4), DragonFlyRelease.ImageFileName(version, kind));
        }

        [Theory]
        [InlineData("")]
        [InlineData("6.4")]
        [InlineData("6.4.0/../x")]
        [InlineData("6.4.0 ")]
        [InlineData(null)]
        public void MalformedVersionsAreRejected(string version)
        {
            Assert.Throws<ArgumentException>(() => DragonFlyRelease.ImageFileName(version, ImageKind.Iso));
        }

        [Fact]
        public void CatalogueKnowsTheSeedAndItsSums()
        {
            Assert.Contains("6.4.0", DragonFlyRelease.KnownVersions);
            Assert.Contains("6.4.2", DragonFlyRelease.KnownVersions);
            Assert.Equal("5dbf894d9120664a675030c475f25040", DragonFlyRelease.KnownMd5("dfly-x86_64-6.4.0_REL.iso.bz2"));
            Assert.Equal("ff4d500c7c75b1f88ca4237a6aa861d1", DragonFlyRelease.KnownMd5("dfly-x86_64-6.4.0_REL.iso"));
            Assert.Null(DragonFlyRelease.KnownMd5("dfly-x86_64-6.4.2_REL.iso.bz2"));
            // The 6.4 point releases, newest first; the newest is the default (its sums come from md5.txt).
            Assert.Equal(new[] { "6.4.2", "6.4.1", "6.4.0" }, DragonFlyRelease.KnownVersions.Take(3));
            Assert.Equal("6.4.2", DragonFlyRelease.DefaultVersion);
            Assert.Equal(DragonFlyRelease.LatestVersion, DragonFlyRelease.DefaultVersion);
            Assert.Null(DragonFlyRelease.KnownMd5("dfly-x86_64-6.4.1_REL.iso.bz2"));
            Assert.Equal("6.4.2", new DfVm.DfVmConfig().DragonFlyVersion);
            Assert.All(DragonFlyRelease.DefaultMirrors, m => Assert.EndsWith("/iso-images/", m.AbsoluteUri));
        }

        [Fact]
        public void FileUriAddsAMissingSlash()
        {
            Assert.Equal("http://127.0.0.1:8/iso-images/md5.txt",
                DragonFlyRelease.FileUri(new Uri("http://127.0.0.1:8/iso-images"), "md5.txt").AbsoluteUri);
        }

        [Fact]
        public void Md5ListReadsBsdAndGnuLines()
        {
            var sums = Md5List.Parse(
                "MD5 (dfly-x86_64-6.4.0_REL.iso.bz2) = 5DBF894D9120664A675030C475F25040\r\n" +
                "garbage line\n" +
                "ff4d500c7c75b1f88ca4237a6aa861d1  dfly-x86_64-6.4.0_REL.iso\n");
            Assert.Equal("5dbf894d9120664a675030c475f25040", sums["dfly-x86_64-6.4.0_REL.iso.bz2"]);
            Assert.Equal("ff4d500c7c75b1f88ca4237a6aa861d1", sums["dfly-x86_64-6.4.0_REL.iso"]);
            Assert.Equal(2, sums.Count);
        }
    }
}
