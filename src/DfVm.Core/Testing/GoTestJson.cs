using System;
using System.Collections.Generic;
using System.IO;

namespace DfVm.Core.Testing
{
    /// <summary>Whole-file reading of `go test -json` output (ConvertFrom-GoTestJson).</summary>
    public static class GoTestJson
    {
        /// <summary>Reads every line of a go test -json log; rows come out lazily, in the order their tests ended.</summary>
        public static IEnumerable<DfVmTestResult> Parse(TextReader reader, string suite)
        {
            if (reader == null)
            {
                throw new ArgumentNullException(nameof(reader));
            }

            return ParseIterator(reader, suite);
        }

        private static IEnumerable<DfVmTestResult> ParseIterator(TextReader reader, string suite)
        {
            var parser = new GoTestJsonParser(suite);
            string line;
            while ((line = reader.ReadLine()) != null)
            {
                foreach (DfVmTestResult row in parser.Feed(line))
                {
                    yield return row;
                }
            }

            foreach (DfVmTestResult row in parser.Complete(null))
            {
                yield return row;
            }
        }
    }
}
