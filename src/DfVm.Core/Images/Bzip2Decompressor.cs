using System;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using ICSharpCode.SharpZipLib.BZip2;

namespace DfVm.Core.Images
{
    /// <summary>
    /// Streams a .bz2 file into a plain file with bounded memory (SharpZipLib's decoder),
    /// hashing the output on the way. Concatenated bzip2 streams (as parallel compressors
    /// write them) are decoded one after another.
    /// </summary>
    internal static class Bzip2Decompressor
    {
        /// <summary>Decompresses <paramref name="source"/> into <paramref name="destination"/> (created anew); returns the output's MD5.</summary>
        public static string Decompress(string source, string destination, ProgressMeter meter, CancellationToken ct)
        {
            using (var md5 = MD5.Create())
            using (var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
            using (var output = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var buffer = new byte[1 << 20];
                var streams = 0;
                while (streams == 0 || StartsAnotherStream(input))
                {
                    streams++;
                    using (var bz = Decode(() => new BZip2InputStream(input) { IsStreamOwner = false }))
                    {
                        int read;
                        while ((read = Decode(() => bz.Read(buffer, 0, buffer.Length))) > 0)
                        {
                            ct.ThrowIfCancellationRequested();
                            output.Write(buffer, 0, read);
                            md5.TransformBlock(buffer, 0, read, null, 0);
                            meter?.Update(input.Position);
                        }
                    }
                }
                output.Flush(true);
                md5.TransformFinalBlock(buffer, 0, 0);
                meter?.Complete(input.Length);
                return Md5File.ToHex(md5.Hash);
            }
        }

        // The decoder reports corrupt input with all sorts of exceptions (even IndexOutOfRange):
        // turn them into one InvalidDataException. Real I/O errors and cancellation pass through.
        private static T Decode<T>(Func<T> step)
        {
            try
            {
                return step();
            }
            catch (Exception e) when (!(e is OperationCanceledException) && (!(e is IOException) || e is EndOfStreamException))
            {
                throw new InvalidDataException($"corrupt bzip2 data: {e.Message}", e);
            }
        }

        // True when the bytes at the current position begin another "BZh" stream header.
        private static bool StartsAnotherStream(FileStream input)
        {
            if (input.Length - input.Position < 4) return false;
            var start = input.Position;
            var header = new byte[3];
            var got = input.Read(header, 0, 3);
            input.Position = start;
            return got == 3 && header[0] == (byte)'B' && header[1] == (byte)'Z' && header[2] == (byte)'h';
        }
    }
}
