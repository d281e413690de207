using System;
using System.IO;
using System.Security.Cryptography;
using System.Threading;

namespace DfVm.Core.Images
{
    /// <summary>MD5 helpers: hex formatting and hashing a file as a stream.</summary>
    internal static class Md5File
    {
        public static string ToHex(byte[] hash)
        {
            var chars = new char[hash.Length * 2];
            const string digits = "0123456789abcdef";
            for (var i = 0; i < hash.Length; i++)
            {
                chars[2 * i] = digits[hash[i] >> 4];
                chars[2 * i + 1] = digits[hash[i] & 0xF];
            }
            return new string(chars);
        }

        public static bool SameHex(string a, string b) =>
            a != null && b != null && string.Equals(a.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase);

        /// <summary>Hashes a file in 1 MiB reads, reporting progress through <paramref name="meter"/>.</summary>
        public static string Compute(string path, ProgressMeter meter, CancellationToken ct)
        {
            using (var md5 = MD5.Create()) return Compute(md5, path, meter, ct);
        }

        /// <summary>Hashes a file with <paramref name="algorithm"/> in 1 MiB reads, reporting progress; lower-case hex.</summary>
        public static string Compute(HashAlgorithm algorithm, string path, ProgressMeter meter, CancellationToken ct)
        {
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
            {
                var buffer = new byte[1 << 20];
                long done = 0;
                int read;
                while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
                {
                    ct.ThrowIfCancellationRequested();
                    algorithm.TransformBlock(buffer, 0, read, null, 0);
                    done += read;
                    meter?.Update(done);
                }
                algorithm.TransformFinalBlock(buffer, 0, 0);
                meter?.Complete(done);
                return ToHex(algorithm.Hash);
            }
        }
    }
}
