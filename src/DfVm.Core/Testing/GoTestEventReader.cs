using System;
using System.Text;
using System.Text.Json;

namespace DfVm.Core.Testing
{
    /// <summary>Turns one stdout line into a <see cref="GoTestEvent"/>, or says it is not one.</summary>
    internal static class GoTestEventReader
    {
        private static readonly JsonReaderOptions Options = new JsonReaderOptions
        {
            AllowTrailingCommas = false,
            CommentHandling = JsonCommentHandling.Disallow,
            MaxDepth = 64,
        };

        private static readonly byte[] TimeName = Encoding.UTF8.GetBytes("Time");
        private static readonly byte[] ActionName = Encoding.UTF8.GetBytes("Action");
        private static readonly byte[] PackageName = Encoding.UTF8.GetBytes("Package");
        private static readonly byte[] TestName = Encoding.UTF8.GetBytes("Test");
        private static readonly byte[] OutputName = Encoding.UTF8.GetBytes("Output");
        private static readonly byte[] FailedBuildName = Encoding.UTF8.GetBytes("FailedBuild");
        private static readonly byte[] ImportPathName = Encoding.UTF8.GetBytes("ImportPath");
        private static readonly byte[] OutputTypeName = Encoding.UTF8.GetBytes("OutputType");
        private static readonly byte[] ElapsedName = Encoding.UTF8.GetBytes("Elapsed");

        /// <summary>True and the event when the line is a JSON object with a string Action; false for anything else.</summary>
        public static bool TryRead(string line, out GoTestEvent ev)
        {
            ev = null;
            int start = 0;
            while (start < line.Length && char.IsWhiteSpace(line[start]))
            {
                start++;
            }

            if (start >= line.Length || line[start] != '{')
            {
                return false;
            }

            byte[] bytes = Encoding.UTF8.GetBytes(line);
            try
            {
                ev = Read(bytes);
            }
            catch (JsonException)
            {
                ev = null;
            }
            catch (InvalidOperationException)
            {
                ev = null;
            }

            return ev != null && ev.Action != null;
        }

        private static GoTestEvent Read(byte[] bytes)
        {
            var reader = new Utf8JsonReader(bytes, Options);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            var ev = new GoTestEvent();
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    // one object per line: anything after it means the line is text that happens to start with '{'
                    return reader.CurrentDepth == 0 && !reader.Read() ? ev : null;
                }

                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    return null;
                }

                // compare names in place: no string per property
                if (reader.ValueTextEquals(TimeName)) { Next(ref reader); ev.Time = StringOrNull(ref reader); }
                else if (reader.ValueTextEquals(ActionName)) { Next(ref reader); ev.Action = StringOrNull(ref reader); }
                else if (reader.ValueTextEquals(PackageName)) { Next(ref reader); ev.Package = StringOrNull(ref reader); }
                else if (reader.ValueTextEquals(TestName)) { Next(ref reader); ev.Test = StringOrNull(ref reader); }
                else if (reader.ValueTextEquals(OutputName)) { Next(ref reader); ev.Output = StringOrNull(ref reader); }
                else if (reader.ValueTextEquals(FailedBuildName)) { Next(ref reader); ev.FailedBuild = StringOrNull(ref reader); }
                else if (reader.ValueTextEquals(ImportPathName)) { Next(ref reader); ev.ImportPath = StringOrNull(ref reader); }
                else if (reader.ValueTextEquals(OutputTypeName)) { Next(ref reader); ev.OutputType = StringOrNull(ref reader); }
                else if (reader.ValueTextEquals(ElapsedName))
                {
                    Next(ref reader);
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out double elapsed))
                    {
                        ev.Elapsed = elapsed;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else
                {
                    Next(ref reader);
                    reader.Skip(); // unknown fields (Key, Value, future ones) are ignored
                }
            }

            return null; // ran out of input before the closing brace
        }

        private static void Next(ref Utf8JsonReader reader)
        {
            if (!reader.Read())
            {
                throw new JsonException("A property has no value.");
            }
        }

        private static string StringOrNull(ref Utf8JsonReader reader)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                return reader.GetString();
            }

            reader.Skip();
            return null;
        }
    }
}
