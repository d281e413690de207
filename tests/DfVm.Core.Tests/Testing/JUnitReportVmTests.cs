using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using DfVm;
using DfVm.Core.Testing;
using Xunit;
using static DfVm.Core.Tests.Testing.GoFixture;

namespace DfVm.Core.Tests.Testing
{
    /// <summary>Runs of one suite on two VMs (two DragonFly releases) merged into one report keep which was which.</summary>
    public sealed class JUnitReportVmTests : IDisposable
    {
        private readonly string _dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "dfvm-junit-vm-" + Guid.NewGuid().ToString("N"))).FullName;

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        [Fact]
        public void RowsOfTwoVmsGiveTwoSuitesPerPackageNamedByVm()
        {
            List<DfVmTestResult> rows = ParseRecorded("go1.19-all", 2);
            var merged = rows.Select(r => r.WithVm("dfly-6.4", "6.4-RELEASE"))
                .Concat(rows.Select(r => r.WithVm("dfly-6.2", "6.2-RELEASE"))).ToList();
            string path = Path.Combine(_dir, "junit.xml");
            new JUnitReportWriter().Write(merged, path);

            List<XElement> suites = XDocument.Load(path).Root.Elements("testsuite").ToList();
            int packages = rows.Select(r => r.Package).Distinct().Count();
            Assert.Equal(2 * packages, suites.Count);
            foreach (XElement suite in suites)
            {
                string vm = (string)suite.Attribute("hostname");
                Assert.StartsWith(vm + ": ", (string)suite.Attribute("name"));
                var props = suite.Element("properties").Elements("property").ToDictionary(p => (string)p.Attribute("name"), p => (string)p.Attribute("value"));
                Assert.Equal(vm, props["vm"]);
                Assert.Equal(vm == "dfly-6.4" ? "6.4-RELEASE" : "6.2-RELEASE", props["guest.release"]);
                Assert.Equal("Fixture", props["suite"]);
                Assert.All(suite.Elements("testcase"), c => Assert.Equal((string)suite.Attribute("name"), (string)c.Attribute("classname")));
            }

            XDocument single = XDocument.Load(Write(rows.Select(r => r.WithVm("dfly", "6.4-RELEASE")), "one.xml"));
            Assert.All(single.Root.Elements("testsuite"), s => Assert.DoesNotContain(":", (string)s.Attribute("name")));
        }

        private string Write(IEnumerable<DfVmTestResult> rows, string name)
        {
            string path = Path.Combine(_dir, name);
            new JUnitReportWriter().Write(rows, path);
            return path;
        }
    }
}
