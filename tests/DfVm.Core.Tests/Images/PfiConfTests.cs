using System;
using System.Collections.Generic;
using System.IO;
using DfVm.Core.Images;
using Xunit;

namespace DfVm.Core.Tests.Images
{
    public sealed class PfiConfTests
    {
        [Fact]
        public void TextNamesTheScriptAndExtraSettings()
        {
            var text = new PfiConf("install.sh").Set("pfi_shutdown", "YES").Set("dfvm_hostname", "dfly").ToText();
            Assert.Contains("\npfi_script=\"install.sh\"\n", text);
            Assert.EndsWith("pfi_shutdown=\"YES\"\ndfvm_hostname=\"dfly\"\n", text);
            Assert.DoesNotContain("\r", text);
        }

        [Fact]
        public void ValuesSurviveBeingSourcedBySh()
        {
            const string tricky = "a \"quoted\" $HOME `date` back\\slash 'single'";
            var path = Path.Combine(Path.GetTempPath(), "dfvm-pficonf-" + Guid.NewGuid().ToString("N"));
            try
            {
                File.WriteAllText(path, new PfiConf("install.sh").Set("dfvm_value", tricky).ToText());
                var run = ImageFixture.Run("sh", new[] { "-c", ". \"$1\"; printf '%s|%s' \"$pfi_script\" \"$dfvm_value\"", "sh", path });
                Assert.Equal(0, run.exit);
                Assert.Equal("install.sh|" + tricky, run.stdout);
            }
            finally
            {
                File.Delete(path);
            }
        }

        [Theory]
        [InlineData("bad key")]
        [InlineData("1x")]
        [InlineData("pfi_script")]
        public void BadKeysAreRejected(string key)
        {
            Assert.Throws<ArgumentException>(() => new PfiConf("x.sh").Set(key, "v"));
        }

        [Fact]
        public void BadScriptNamesAndMultilineValuesAreRejected()
        {
            Assert.Throws<ArgumentException>(() => new PfiConf("../x.sh"));
            Assert.Throws<ArgumentException>(() => new PfiConf("x\".sh"));
            Assert.Throws<ArgumentException>(() => new PfiConf("x.sh").Set("k", "a\nb"));
        }

        [Fact]
        public void PhaseConfCarriesItsNameAndSettings()
        {
            var phase = new PfiPhase("custom", "provision.sh", new Dictionary<string, string> { ["dfvm_x"] = "1" });
            var text = phase.Conf().ToText();
            Assert.Contains("pfi_script=\"provision.sh\"", text);
            Assert.Contains("dfvm_phase=\"custom\"", text);
            Assert.Contains("dfvm_x=\"1\"", text);
            Assert.Equal("DFVM-PFI: custom done", phase.DoneMarker);
            Assert.Equal(2, phase.DiscFiles(null).Count);
            Assert.Equal(3, phase.DiscFiles("key").Count);
        }
    }
}
