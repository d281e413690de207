using System.Collections.Generic;
using System.Globalization;

namespace DfVm.Core.Tests.Testing
{
    /// <summary>A large go test -json stream: packages of parallel tests with interleaved output.</summary>
    internal static class SyntheticStream
    {
        public const int Parallel = 4;

        public static IEnumerable<string> Lines(int events)
        {
            int n = 0;
            for (int p = 0; n < events; p++)
            {
                string pkg = "example.com/big/p" + p.ToString(CultureInfo.InvariantCulture);
                for (int batch = 0; batch < 50 && n < events; batch++)
                {
                    var names = new string[Parallel];
                    for (int i = 0; i < Parallel; i++)
                    {
                        names[i] = "TestT" + batch.ToString(CultureInfo.InvariantCulture) + "_" + i.ToString(CultureInfo.InvariantCulture);
                        yield return Ev("run", pkg, names[i], null); n++;
                    }

                    for (int line = 0; line < 3; line++)
                    {
                        for (int i = 0; i < Parallel; i++)
                        {
                            yield return Ev("output", pkg, names[i], "    x_test.go:10: step " + line.ToString(CultureInfo.InvariantCulture) + "\\n"); n++;
                        }
                    }

                    for (int i = 0; i < Parallel; i++)
                    {
                        yield return Ev(i == 3 && batch % 10 == 0 ? "fail" : "pass", pkg, names[i], null); n++;
                    }
                }

                yield return Ev("fail", pkg, null, null); n++;
            }
        }

        private static string Ev(string action, string pkg, string test, string output)
        {
            string s = "{\"Time\":\"2024-05-06T07:08:09.123456789Z\",\"Action\":\"" + action + "\",\"Package\":\"" + pkg + "\"";
            if (test != null)
            {
                s += ",\"Test\":\"" + test + "\"";
            }

            if (output != null)
            {
                s += ",\"Output\":\"" + output + "\"";
            }

            if (action == "pass" || action == "fail")
            {
                s += ",\"Elapsed\":0.01";
            }

            return s + "}";
        }
    }
}
