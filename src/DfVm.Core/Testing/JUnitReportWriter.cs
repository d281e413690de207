using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Xml;

namespace DfVm.Core.Testing
{
    /// <summary>
    /// Writes DfVm test rows as JUnit XML, the dialect CI servers (Jenkins, GitLab, GitHub actions
    /// reporters, Azure DevOps) read: one testsuite per Go package, one testcase per test or benchmark,
    /// and a "[package]" testcase for failures that belong to no test (build, setup, panic, os.Exit).
    /// </summary>
    public sealed class JUnitReportWriter
    {
        /// <summary>The testcase name given to package-level failures.</summary>
        public const string PackageCaseName = "[package]";

        /// <summary>Writes the report to a file atomically: a temporary file next to it, then a rename over it.</summary>
        public void Write(IEnumerable<DfVmTestResult> results, string path)
        {
            if (string.IsNullOrEmpty(path))
            {
                throw new ArgumentException("A report path is required.", nameof(path));
            }

            string full = Path.GetFullPath(path);
            string dir = Path.GetDirectoryName(full);
            Directory.CreateDirectory(dir);
            string temp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
            try
            {
                using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    Write(results, stream);
                    stream.Flush(true);
                }

                if (File.Exists(full))
                {
                    File.Replace(temp, full, null);
                }
                else
                {
                    File.Move(temp, full);
                }
            }
            finally
            {
                if (File.Exists(temp))
                {
                    File.Delete(temp);
                }
            }
        }

        /// <summary>Writes the report to a stream (left open).</summary>
        public void Write(IEnumerable<DfVmTestResult> results, Stream stream)
        {
            if (results == null)
            {
                throw new ArgumentNullException(nameof(results));
            }

            if (stream == null)
            {
                throw new ArgumentNullException(nameof(stream));
            }

            List<JUnitSuite> suites = Group(results);
            // Rows from several VMs (e.g. two DragonFly releases) keep which was which in the suite names.
            bool severalVms = suites.SelectMany(s => s.Rows).Select(r => r.VmName).Distinct(StringComparer.Ordinal).Count() > 1;
            var settings = new XmlWriterSettings
            {
                Encoding = new UTF8Encoding(false),
                Indent = true,
                CloseOutput = false,
                NewLineHandling = NewLineHandling.Entitize,
            };
            using (XmlWriter xml = XmlWriter.Create(stream, settings))
            {
                xml.WriteStartDocument();
                xml.WriteStartElement("testsuites");
                string suiteName = suites.SelectMany(s => s.Rows).Select(r => r.Suite).FirstOrDefault(s => !string.IsNullOrEmpty(s));
                if (suiteName != null)
                {
                    xml.WriteAttributeString("name", XmlText.Clean(suiteName));
                }

                WriteCounts(xml, suites.Sum(s => s.Cases.Count), suites.Sum(s => s.Failures), suites.Sum(s => s.Errors), suites.Sum(s => s.Skipped), suites.Sum(s => s.Time));
                int id = 0;
                foreach (JUnitSuite suite in suites)
                {
                    WriteSuite(xml, suite, id++, severalVms);
                }

                xml.WriteEndElement();
                xml.WriteEndDocument();
            }
        }

        private static void WriteSuite(XmlWriter xml, JUnitSuite suite, int id, bool severalVms)
        {
            DfVmTestResult first = suite.Rows[0];
            string name = severalVms && first.VmName != null ? first.VmName + ": " + suite.Name : suite.Name;
            xml.WriteStartElement("testsuite");
            xml.WriteAttributeString("name", XmlText.Clean(name));
            WriteCounts(xml, suite.Cases.Count, suite.Failures, suite.Errors, suite.Skipped, suite.Time);
            xml.WriteAttributeString("id", id.ToString(CultureInfo.InvariantCulture));
            DateTimeOffset? start = suite.Rows.Where(r => r.StartTime.HasValue).Select(r => r.StartTime.Value).OrderBy(t => t).Cast<DateTimeOffset?>().FirstOrDefault();
            if (start.HasValue)
            {
                xml.WriteAttributeString("timestamp", start.Value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture));
            }

            DfVmLeak leak = suite.Rows.Where(r => r.Kind == DfVmTestResultKind.Package && r.Leak != null).Select(r => r.Leak).FirstOrDefault();
            if (first.VmName != null)
            {
                xml.WriteAttributeString("hostname", XmlText.Clean(first.VmName));
            }

            if (first.VmName != null || leak != null)
            {
                xml.WriteStartElement("properties");
                if (first.VmName != null) WriteProperty(xml, "vm", first.VmName);
                if (first.DragonFlyVersion != null) WriteProperty(xml, "guest.release", first.DragonFlyVersion);
                if (first.Suite != null && first.VmName != null) WriteProperty(xml, "suite", first.Suite);
                if (leak != null)
                {
                    // the leak check's counts (Invoke-DfVmTest): what the package's test binary left in the guest
                    WriteProperty(xml, "leak.leaked", leak.Leaked ? "true" : "false");
                    WriteProperty(xml, "leak.leftMounts", leak.LeftMounts.Length.ToString(CultureInfo.InvariantCulture));
                    WriteProperty(xml, "leak.removedMounts", leak.RemovedMounts.Length.ToString(CultureInfo.InvariantCulture));
                    WriteProperty(xml, "leak.leftProcesses", leak.LeftProcesses.Length.ToString(CultureInfo.InvariantCulture));
                    WriteProperty(xml, "leak.endedProcesses", leak.EndedProcesses.Length.ToString(CultureInfo.InvariantCulture));
                }

                xml.WriteEndElement();
            }

            foreach (JUnitCase c in suite.Cases)
            {
                xml.WriteStartElement("testcase");
                xml.WriteAttributeString("classname", XmlText.Clean(name));
                xml.WriteAttributeString("name", XmlText.Clean(c.Name));
                xml.WriteAttributeString("time", Seconds(c.Row.Duration.TotalSeconds));
                string output = XmlText.Clean(c.Row.Output);
                if (c.Kind == CaseKind.Failure || c.Kind == CaseKind.Error)
                {
                    xml.WriteStartElement(c.Kind == CaseKind.Error ? "error" : "failure");
                    xml.WriteAttributeString("message", XmlText.Clean(FailureMessage(c.Row)));
                    xml.WriteAttributeString("type", XmlText.Clean(c.Row.Reason ?? "fail"));
                    xml.WriteString(output);
                    xml.WriteEndElement();
                }
                else if (c.Kind == CaseKind.Skipped)
                {
                    xml.WriteStartElement("skipped");
                    xml.WriteAttributeString("message", XmlText.Clean(SkipMessage(c.Row)));
                    xml.WriteEndElement();
                }
                else if (c.Row.Kind == DfVmTestResultKind.Benchmark && output.Length > 0)
                {
                    xml.WriteElementString("system-out", output);
                }

                xml.WriteEndElement();
            }

            if (leak != null && leak.Leaked)
            {
                xml.WriteElementString("system-out", XmlText.Clean(LeakText(leak)));
            }

            xml.WriteEndElement();
        }

        /// <summary>The leak as lines a person reads in a CI report.</summary>
        public static string LeakText(DfVmLeak leak)
        {
            var b = new StringBuilder();
            foreach (DfVmMount m in leak.LeftMounts) b.Append("left mounted: ").Append(m).Append('\n');
            foreach (DfVmMount m in leak.RemovedMounts) b.Append("unmounted, not mounted by the test: ").Append(m).Append('\n');
            foreach (DfVmProcess p in leak.LeftProcesses) b.Append("left running: ").Append(p).Append('\n');
            foreach (DfVmProcess p in leak.EndedProcesses) b.Append("ended, not started by the test: ").Append(p).Append('\n');
            if (leak.CleanFailures != null) b.Append(leak.CleanFailures == 0 ? "cleaned (-CleanLeaks)\n" : $"-CleanLeaks: {leak.CleanFailures} unmount(s) failed\n");
            return b.ToString();
        }

        private static void WriteProperty(XmlWriter xml, string name, string value)
        {
            xml.WriteStartElement("property");
            xml.WriteAttributeString("name", name);
            xml.WriteAttributeString("value", XmlText.Clean(value));
            xml.WriteEndElement();
        }

        private static void WriteCounts(XmlWriter xml, int tests, int failures, int errors, int skipped, double time)
        {
            xml.WriteAttributeString("tests", tests.ToString(CultureInfo.InvariantCulture));
            xml.WriteAttributeString("failures", failures.ToString(CultureInfo.InvariantCulture));
            xml.WriteAttributeString("errors", errors.ToString(CultureInfo.InvariantCulture));
            xml.WriteAttributeString("skipped", skipped.ToString(CultureInfo.InvariantCulture));
            xml.WriteAttributeString("time", Seconds(time));
        }

        private static string Seconds(double seconds) => seconds.ToString("0.000", CultureInfo.InvariantCulture);

        private static List<JUnitSuite> Group(IEnumerable<DfVmTestResult> results)
        {
            var byName = new Dictionary<string, JUnitSuite>(StringComparer.Ordinal); // one suite per VM and package
            var order = new List<JUnitSuite>();
            foreach (DfVmTestResult row in results)
            {
                if (row == null)
                {
                    continue;
                }

                string key = row.VmName + "\n" + row.Package;
                if (!byName.TryGetValue(key, out JUnitSuite suite))
                {
                    suite = new JUnitSuite(row.Package.Length == 0 ? "(go test)" : row.Package);
                    byName.Add(key, suite);
                    order.Add(suite);
                }

                suite.Rows.Add(row);
            }

            foreach (JUnitSuite suite in order)
            {
                suite.Finish();
            }

            return order;
        }

        private static string FailureMessage(DfVmTestResult row)
        {
            string what = row.Test == null ? "package " + row.Package : row.Test;
            return row.Reason == null ? "Failed: " + what : "Failed (" + row.Reason + "): " + what;
        }

        private static string SkipMessage(DfVmTestResult row)
        {
            // the t.Skip message is the indented line before "--- SKIP"
            string[] lines = row.Output.Split('\n');
            string message = lines.Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("--- SKIP", StringComparison.Ordinal)).LastOrDefault();
            return message ?? "Skipped";
        }

        private enum CaseKind
        {
            Passed,
            Failure,
            Error,
            Skipped,
        }

        private sealed class JUnitCase
        {
            public JUnitCase(string name, DfVmTestResult row, CaseKind kind)
            {
                Name = name;
                Row = row;
                Kind = kind;
            }

            public string Name { get; }

            public DfVmTestResult Row { get; }

            public CaseKind Kind { get; }
        }

        private sealed class JUnitSuite
        {
            public JUnitSuite(string name)
            {
                Name = name;
            }

            public string Name { get; }

            public List<DfVmTestResult> Rows { get; } = new List<DfVmTestResult>();

            public List<JUnitCase> Cases { get; } = new List<JUnitCase>();

            public int Failures => Cases.Count(c => c.Kind == CaseKind.Failure);

            public int Errors => Cases.Count(c => c.Kind == CaseKind.Error);

            public int Skipped => Cases.Count(c => c.Kind == CaseKind.Skipped);

            public double Time { get; private set; }

            public void Finish()
            {
                bool anyTestFailed = Rows.Any(r => r.Kind != DfVmTestResultKind.Package && r.Failed);
                DfVmTestResult packageRow = null;
                foreach (DfVmTestResult row in Rows)
                {
                    if (row.Kind == DfVmTestResultKind.Package)
                    {
                        packageRow = row;
                        if (row.Failed && (row.Reason != null || !anyTestFailed))
                        {
                            bool error = row.Reason == GoTestReasons.BuildFailed || row.Reason == GoTestReasons.SetupFailed
                                || (row.Reason != null && row.Reason.StartsWith(GoTestReasons.GoTestFailed, StringComparison.Ordinal));
                            Cases.Add(new JUnitCase(PackageCaseName, row, error ? CaseKind.Error : CaseKind.Failure));
                        }

                        continue;
                    }

                    CaseKind kind = row.Failed ? CaseKind.Failure : row.Skipped ? CaseKind.Skipped : CaseKind.Passed;
                    Cases.Add(new JUnitCase(row.Test ?? PackageCaseName, row, kind));
                }

                Time = packageRow != null && packageRow.Duration > TimeSpan.Zero
                    ? packageRow.Duration.TotalSeconds
                    : Rows.Where(r => r.Kind != DfVmTestResultKind.Package && r.Test != null && r.Test.IndexOf('/') < 0).Sum(r => r.Duration.TotalSeconds);
            }
        }
    }
}
