using System;
using System.IO;
using System.Text;
using System.Text.Json;

using DfVm.Core.Util;

namespace DfVm.Core.Images
{
    /// <summary>
    /// The small JSON file kept beside a cached image (<c>&lt;image&gt;.json</c>) recording what
    /// was verified, so a later call can trust the image without hashing it again.
    /// </summary>
    internal sealed class ImageSidecar
    {
        public string FileName { get; set; }
        public string Version { get; set; }
        public string Kind { get; set; }
        public long SizeBytes { get; set; }
        public string Md5 { get; set; }
        public string CompressedMd5 { get; set; }
        /// <summary>SHA-256 of the file as downloaded (Save-DfVmImage -Uri -Sha256), else null.</summary>
        public string DownloadSha256 { get; set; }
        public bool Verified { get; set; }
        public string Source { get; set; }
        public DateTime SavedUtc { get; set; }

        public static string PathFor(string imagePath) => imagePath + ".json";

        /// <summary>Reads the sidecar, or null when it is missing or unreadable.</summary>
        public static ImageSidecar TryRead(string imagePath)
        {
            var path = PathFor(imagePath);
            try
            {
                if (!File.Exists(path)) return null;
                return JsonSerializer.Deserialize<ImageSidecar>(File.ReadAllText(path, Encoding.UTF8));
            }
            catch (JsonException)
            {
                return null;
            }
            catch (IOException)
            {
                return null;
            }
        }

        public void Write(string imagePath)
        {
            var json = JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true });
            AtomicFile.WriteAllBytes(PathFor(imagePath), Encoding.UTF8.GetBytes(json + "\n"));
        }
    }
}
