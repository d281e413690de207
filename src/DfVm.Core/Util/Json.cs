using System.IO;
using System.Text.Json;

namespace DfVm.Core.Util
{
    internal static class Json
    {
        public static readonly JsonSerializerOptions Options = new JsonSerializerOptions
        {
            WriteIndented = true,
            PropertyNameCaseInsensitive = true,
        };

        public static T Read<T>(string path) where T : class
        {
            if (!File.Exists(path)) return null;
            try
            {
                return JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options);
            }
            catch (JsonException)
            {
                return null; // a damaged state file is treated as absent; the definition file is checked by its reader
            }
        }

        public static T ReadStrict<T>(string path) => JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options);

        public static void Write<T>(string path, T value, int? mode = null) =>
            AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, Options), mode);
    }
}
