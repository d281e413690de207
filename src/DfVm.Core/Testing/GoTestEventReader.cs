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

                string name = reader.GetString();
                if (!reader.Read())
                {
                    return null;
                }

                switch (name)
                {
                    case "Time": ev.Time = StringOrNull(ref reader); break;
                    case "Action": ev.Action = StringOrNull(ref reader); break;
                    case "Package": ev.Package = StringOrNull(ref reader); break;
                    case "Test": ev.Test = StringOrNull(ref reader); break;
                    case "Output": ev.Output = StringOrNull(ref reader); break;
                    case "FailedBuild": ev.FailedBuild = StringOrNull(ref reader); break;
                    case "ImportPath": ev.ImportPath = StringOrNull(ref reader); break;
                    case "OutputType": ev.OutputType = StringOrNull(ref reader); break;
                    case "Elapsed":
                        if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out double elapsed))
                        {
                            ev.Elapsed = elapsed;
                        }

                        break;
                    default:
                        reader.Skip(); // unknown fields (Key, Value, future ones) are ignored
                        break;
                }
            }

            return null; // ran out of input before the closing brace
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
