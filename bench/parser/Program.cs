using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using DfVm.Core.Testing;

// Generates a go test -json stream of N events (packages of 4 parallel tests with interleaved
// output), feeds it line by line, and reports events/s, allocation and peak working set.
int events = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200000;
var lines = new List<string>(events);
foreach (string line in Stream(events))
{
    lines.Add(line);
}

GC.Collect();
long heapBefore = GC.GetTotalMemory(true);
long allocBefore = GC.GetTotalAllocatedBytes(true);
var parser = new GoTestJsonParser("Bench");
long rows = 0;
var watch = Stopwatch.StartNew();
foreach (string line in lines)
{
    rows += parser.Feed(line).Count;
}

rows += parser.Complete(0).Count;
watch.Stop();
long allocated = GC.GetTotalAllocatedBytes(true) - allocBefore;
long heapAfter = GC.GetTotalMemory(true);
GC.KeepAlive(parser);
Console.WriteLine($"events          {lines.Count:N0}");
Console.WriteLine($"rows            {rows:N0}");
Console.WriteLine($"time            {watch.Elapsed.TotalMilliseconds:N0} ms");
Console.WriteLine($"events/s        {lines.Count / watch.Elapsed.TotalSeconds:N0}");
Console.WriteLine($"allocated       {allocated / 1024.0 / 1024.0:N1} MiB ({(double)allocated / lines.Count:N0} B/event)");
Console.WriteLine($"heap retained   {(heapAfter - heapBefore) / 1024.0:N1} KiB after the run (parser state, rows discarded)");
Console.WriteLine($"peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1024.0 / 1024.0:N1} MiB (includes the generated input)");

static IEnumerable<string> Stream(int events)
{
    int n = 0;
    for (int p = 0; n < events; p++)
    {
        string pkg = "example.com/big/p" + p;
        for (int batch = 0; batch < 50 && n < events; batch++)
        {
            var names = new string[4];
            for (int i = 0; i < 4; i++)
            {
                names[i] = "TestT" + batch + "_" + i;
                yield return Ev("run", pkg, names[i], null); n++;
            }

            for (int step = 0; step < 3; step++)
            {
                for (int i = 0; i < 4; i++)
                {
                    yield return Ev("output", pkg, names[i], "    x_test.go:10: step " + step + "\\n"); n++;
                }
            }

            for (int i = 0; i < 4; i++)
            {
                yield return Ev(i == 3 && batch % 10 == 0 ? "fail" : "pass", pkg, names[i], null); n++;
            }
        }

        yield return Ev("fail", pkg, null, null); n++;
    }
}

static string Ev(string action, string pkg, string test, string output)
{
    string s = "{\"Time\":\"2024-05-06T07:08:09.123456789Z\",\"Action\":\"" + action + "\",\"Package\":\"" + pkg + "\"";
    if (test != null) s += ",\"Test\":\"" + test + "\"";
    if (output != null) s += ",\"Output\":\"" + output + "\"";
    if (action == "pass" || action == "fail") s += ",\"Elapsed\":0.01";
    return s + "}";
}
