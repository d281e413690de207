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
    public sealed class JUnitReportWriterTests : IDisposable
    {
        private readonly string _dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "dfvm-junit-" + Guid.NewGuid().ToString("N"))).FullName;

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        [Fact]
        public void ReportOfTheFixtureRunHasEveryCountAndCase()
        {
            List<DfVmTestResult> rows = ParseRecorded("go1.19-all", 2);
            string path = Path.Combine(_dir, "junit.xml");
            new JUnitReportWriter().Write(rows, path);

            XDocument doc = XDocument.Load(path);
            XElement root = doc.Root;
            Assert.Equal("testsuites", root.Name.LocalName);
            Assert.Equal("Fixture", (string)root.Attribute("name"));
            List<XElement> suites = root.Elements("testsuite").ToList();
            Assert.Equal(rows.Select(r => r.Package).Distinct().OrderBy(s => s), suites.Select(s => (string)s.Attribute("name")).OrderBy(s => s));

            // 16 test rows + "[package]" cases for setupfail, broken (errors), exits and panics (failures)
            Assert.Equal(20, (int)root.Attribute("tests"));
            Assert.Equal(8, (int)root.Attribute("failures"));
            Assert.Equal(2, (int)root.Attribute("errors"));
            Assert.Equal(1, (int)root.Attribute("skipped"));
            foreach (XElement suite in suites)
            {
                List<XElement> cases = suite.Elements("testcase").ToList();
                Assert.Equal(cases.Count, (int)suite.Attribute("tests"));
                Assert.Equal(cases.Count(c => c.Element("failure") != null), (int)suite.Attribute("failures"));
                Assert.Equal(cases.Count(c => c.Element("error") != null), (int)suite.Attribute("errors"));
                Assert.Equal(cases.Count(c => c.Element("skipped") != null), (int)suite.Attribute("skipped"));
                Assert.All(cases, c => Assert.Equal((string)suite.Attribute("name"), (string)c.Attribute("classname")));
            }

            Assert.Equal(suites.Sum(s => (int)s.Attribute("tests")), (int)root.Attribute("tests"));
            var names = suites.SelectMany(s => s.Elements("testcase").Select(c => (string)s.Attribute("name") + " " + (string)c.Attribute("name"))).OrderBy(s => s).ToList();
            var expected = rows.Where(r => r.Kind != DfVmTestResultKind.Package).Select(r => r.Package + " " + r.Test)
                .Concat(new[] { "setupfail", "broken", "exits", "panics" }.Select(p => Pkg(p) + " " + JUnitReportWriter.PackageCaseName))
                .OrderBy(s => s).ToList();
            Assert.Equal(expected, names);

            Assert.Equal("2026-12-07T12:52:48", (string)suites.Single(s => (string)s.Attribute("name") == Pkg("pass")).Attribute("timestamp"));
            XElement broken = Case(suites, "broken", JUnitReportWriter.PackageCaseName).Element("error");
            Assert.Equal("build failed", (string)broken.Attribute("type"));
            Assert.Contains("cannot use Answer()", broken.Value);
            XElement leaf = Case(suites, "pass", "TestNested/child_bad/leaf_bad").Element("failure");
            Assert.Contains("grandchild failed: got 1 want 2", leaf.Value);
            Assert.Equal("pass_test.go:16: not on this platform", (string)Case(suites, "pass", "TestSkipped").Element("skipped").Attribute("message"));
            Assert.Contains("nil map", Case(suites, "panics", "TestStillRunning").Element("failure").Value);
            Assert.Equal("0.090", (string)Case(suites, "pass", "TestParallelA").Attribute("time"));
        }

        [Fact]
        public void ControlCharactersInOutputStillGiveValidXml()
        {
            var rows = new[]
            {
                new DfVmTestResult("S", "p", "TestEsc", DfVmTestOutcome.Failed, DfVmTestResultKind.Test, TimeSpan.FromSeconds(1), 1, "\u001b[31mred\u001b[0m \u0000nul \u0007bell \ud800lone <&> \U0001F600 ok", null, false, null),
                new DfVmTestResult("S", "p", "Test\u0001Name", DfVmTestOutcome.Passed, DfVmTestResultKind.Test, TimeSpan.Zero, 0, "", null, false, null),
            };
            var stream = new MemoryStream();
            new JUnitReportWriter().Write(rows, stream);
            stream.Position = 0;
            XDocument doc = XDocument.Load(stream);
            string text = doc.Descendants("failure").Single().Value;
            Assert.Equal("[31mred[0m nul bell lone <&> \U0001F600 ok", text);
            Assert.Contains(doc.Descendants("testcase"), c => (string)c.Attribute("name") == "TestName");
        }

        [Fact]
        public void WritingOverAnExistingReportReplacesItAndLeavesNoTemporaryFile()
        {
            string path = Path.Combine(_dir, "report.xml");
            File.WriteAllText(path, "old and not xml");
            new JUnitReportWriter().Write(ParseRecorded("go1.19-bench", 0), path);
            Assert.Equal(2, (int)XDocument.Load(path).Root.Attribute("tests")); // two benchmarks; a passing package adds no case
            Assert.Equal(new[] { path }, Directory.GetFiles(_dir));
        }

        private static XElement Case(IEnumerable<XElement> suites, string package, string name) =>
            suites.Single(s => (string)s.Attribute("name") == Pkg(package)).Elements("testcase").Single(c => (string)c.Attribute("name") == name);
    }
}
