using System.IO;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DfVm.Core.Qemu
{
    /// <summary>
    /// Builds the bytes of one command: <c>{"execute":...,"arguments":...,"id":N}</c> plus "\n",
    /// complete, so that it goes out in a single write (QEMU's input is a streaming JSON parser).
    /// </summary>
    internal static class QmpCommandSerializer
    {
        private static readonly JsonSerializerOptions ArgumentOptions = new JsonSerializerOptions
        {
            // QMP rejects null for optional members: leave them out instead.
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };

        public static byte[] Serialize(string command, object arguments, long id)
        {
            using (var buffer = new MemoryStream())
            {
                using (var writer = new Utf8JsonWriter(buffer))
                {
                    writer.WriteStartObject();
                    writer.WriteString("execute", command);
                    if (arguments != null)
                    {
                        writer.WritePropertyName("arguments");
                        JsonSerializer.Serialize(writer, arguments, arguments.GetType(), ArgumentOptions);
                    }

                    writer.WriteNumber("id", id);
                    writer.WriteEndObject();
                }

                buffer.WriteByte((byte)'\n');
                return buffer.ToArray();
            }
        }
    }
}
