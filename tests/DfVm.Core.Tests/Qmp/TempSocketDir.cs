using System;
using System.IO;

namespace DfVm.Core.Tests.Qmp
{
    /// <summary>A short-named temp directory for unix sockets (sun_path is limited to 107 bytes).</summary>
    internal sealed class TempSocketDir : IDisposable
    {
        public TempSocketDir()
        {
            Path = System.IO.Path.Combine("/tmp", "dfvm-qmp-" + Guid.NewGuid().ToString("N").Substring(0, 10));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
