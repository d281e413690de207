using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using DfVm.Core.Ssh;
using DfVm.Core.Util;
using Xunit;

namespace DfVm.Core.Tests.Ssh
{
    /// <summary>Issue 10 item 8: a crash between writing the private key and its .pub never costs the pair the guest trusts.</summary>
    public sealed class SshKeyPairTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "dfkey-" + Guid.NewGuid().ToString("N").Substring(0, 8));

        public SshKeyPairTests() { Directory.CreateDirectory(_dir); }

        public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

        private string Priv => Path.Combine(_dir, "id_ed25519");
        private string Pub => Path.Combine(_dir, "id_ed25519.pub");

        [Fact]
        public async Task A_private_key_left_without_its_pub_keeps_its_pair_and_the_pub_is_derived()
        {
            string line = SshKeyPair.EnsureExists(Priv, Pub, "dfvm@k");
            byte[] privateBytes = File.ReadAllBytes(Priv);
            File.Delete(Pub); // what a crash between the two writes leaves

            string again = SshKeyPair.EnsureExists(Priv, Pub, "dfvm@k");

            Assert.Equal(privateBytes, File.ReadAllBytes(Priv));
            Assert.Equal(line, again);
            Assert.Equal(line, File.ReadAllText(Pub).Trim());
            // OpenSSH itself derives the same public key from the private one.
            var o = await ProcessRunner.RunAsync("ssh-keygen", new[] { "-y", "-f", Priv }, TimeSpan.FromSeconds(30), CancellationToken.None);
            Assert.Equal(0, o.ExitCode);
            Assert.StartsWith(string.Join(" ", line.Split(' '), 0, 2), o.StdOut.Trim());
        }

        [Fact]
        public async Task A_new_pair_leaves_no_temp_files_and_a_0600_private_key()
        {
            SshKeyPair.EnsureExists(Priv, Pub, "dfvm@k");
            Assert.Equal(new[] { "id_ed25519", "id_ed25519.pub" }, Array.ConvertAll(Directory.GetFiles(_dir), Path.GetFileName).OrderBy());
            var o = await ProcessRunner.RunAsync("stat", new[] { "-c", "%a", Priv }, TimeSpan.FromSeconds(30), CancellationToken.None);
            Assert.Equal("600", o.StdOut.Trim());
        }

        [Fact]
        public void A_private_key_that_is_not_openssh_is_refused_not_replaced()
        {
            File.WriteAllText(Priv, "not a key\n");
            Assert.Throws<InvalidDataException>(() => SshKeyPair.EnsureExists(Priv, Pub, "dfvm@k"));
            Assert.Equal("not a key\n", File.ReadAllText(Priv));
            Assert.False(File.Exists(Pub));
        }
    }

    internal static class ArrayOrder
    {
        public static string[] OrderBy(this string[] a) { var c = (string[])a.Clone(); Array.Sort(c, StringComparer.Ordinal); return c; }
    }
}
