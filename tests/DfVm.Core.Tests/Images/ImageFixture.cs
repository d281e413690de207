using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Security.Cryptography;

namespace DfVm.Core.Tests.Images
{
    /// <summary>A temp folder, a random payload compressed with the real bzip2 tool, and its MD5s.</summary>
    internal sealed class ImageFixture : IDisposable
    {
        // Compressing takes most of a second: do it once for all tests.
        private static readonly Lazy<(byte[] payload, byte[] compressed)> Shared = new Lazy<(byte[], byte[])>(() =>
        {
            var payload = MakePayload(1024 * 1024, 1);
            return (payload, Bzip2(payload, Path.GetTempPath()));
        });

        public ImageFixture()
        {
            Directory = Path.Combine(Path.GetTempPath(), "dfvm-images-" + Guid.NewGuid().ToString("N"));
            System.IO.Directory.CreateDirectory(Directory);
            ImagesDirectory = Path.Combine(Directory, "images");
            Payload = Shared.Value.payload;
            Compressed = Shared.Value.compressed;
            PayloadMd5 = Md5(Payload);
            CompressedMd5 = Md5(Compressed);
        }

        public string Directory { get; }
        public string ImagesDirectory { get; }
        public byte[] Payload { get; }
        public byte[] Compressed { get; }
        public string PayloadMd5 { get; }
        public string CompressedMd5 { get; }

        /// <summary>Half random, half repetitive, so bzip2 has something to do.</summary>
        public static byte[] MakePayload(int bytes, int seed)
        {
            var data = new byte[bytes];
            new Random(seed).NextBytes(data);
            for (var i = bytes / 2; i < bytes; i++) data[i] = (byte)"DragonFly BSD "[i % 14];
            return data;
        }

        public static string Md5(byte[] data)
        {
            using (var md5 = MD5.Create())
                return BitConverter.ToString(md5.ComputeHash(data)).Replace("-", "").ToLowerInvariant();
        }

        /// <summary>Compresses with the bzip2 command-line tool.</summary>
        public static byte[] Bzip2(byte[] data, string workDirectory)
        {
            var input = Path.Combine(workDirectory, "payload-" + Guid.NewGuid().ToString("N"));
            File.WriteAllBytes(input, data);
            var output = Run("bzip2", new[] { "-9", "-k", input });
            if (output.exit != 0) throw new InvalidOperationException("bzip2 failed: " + output.stderr);
            var compressed = File.ReadAllBytes(input + ".bz2");
            File.Delete(input);
            File.Delete(input + ".bz2");
            return compressed;
        }

        public static (int exit, string stdout, string stderr) Run(string file, IEnumerable<string> args, string workingDirectory = null,
            IDictionary<string, string> environment = null)
        {
            var psi = new ProcessStartInfo(file)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
            };
            foreach (var a in args) psi.ArgumentList.Add(a);
            if (environment != null)
                foreach (var kv in environment) psi.Environment[kv.Key] = kv.Value;
            using (var p = Process.Start(psi))
            {
                var stdout = p.StandardOutput.ReadToEndAsync();
                var stderr = p.StandardError.ReadToEndAsync();
                if (!p.WaitForExit(120_000))
                {
                    p.Kill(true);
                    throw new TimeoutException($"{file} did not finish");
                }
                p.WaitForExit();
                return (p.ExitCode, stdout.Result, stderr.Result);
            }
        }

        public void Dispose()
        {
            try
            {
                System.IO.Directory.Delete(Directory, true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Collects progress reports synchronously, in order.</summary>
    internal sealed class ProgressLog : IProgress<DfVm.Core.Images.DownloadProgress>
    {
        public List<DfVm.Core.Images.DownloadProgress> Reports { get; } = new List<DfVm.Core.Images.DownloadProgress>();

        public void Report(DfVm.Core.Images.DownloadProgress value)
        {
            lock (Reports) Reports.Add(value);
        }
    }
}
