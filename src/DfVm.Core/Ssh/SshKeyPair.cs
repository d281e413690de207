using System;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using DfVm.Core.Util;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace DfVm.Core.Ssh
{
    /// <summary>
    /// The per-VM ed25519 key pair, made by the module itself (no ssh-keygen), written in
    /// OpenSSH's formats: id_ed25519 (0600 from its first byte) and id_ed25519.pub. The private key
    /// is the one truth: it is written (whole, by rename) before the .pub, and a private key found
    /// without its .pub (a crash between the two) gets the .pub derived from it, never a new pair
    /// over the one the guest already trusts.
    /// </summary>
    public static class SshKeyPair
    {
        private const string Magic = "openssh-key-v1\0";

        public static string EnsureExists(string privateKeyPath, string publicKeyPath, string comment)
        {
            if (File.Exists(privateKeyPath))
            {
                if (File.Exists(publicKeyPath)) return File.ReadAllText(publicKeyPath).Trim();
                string derived = "ssh-ed25519 " + Convert.ToBase64String(ReadPublicBlob(privateKeyPath)) + " " + comment;
                AtomicFile.WriteAllText(publicKeyPath, derived + "\n", 0x1A4 /* 0644 */);
                return derived;
            }

            var priv = new Ed25519PrivateKeyParameters(new SecureRandom());
            byte[] seed = priv.GetEncoded();
            byte[] pub = priv.GeneratePublicKey().GetEncoded();

            byte[] publicBlob = PublicBlob(pub);
            string publicLine = "ssh-ed25519 " + Convert.ToBase64String(publicBlob) + " " + comment;

            AtomicFile.WriteAllText(privateKeyPath, PrivateKeyPem(seed, pub, publicBlob, comment), 0x180 /* 0600 */);
            AtomicFile.WriteAllText(publicKeyPath, publicLine + "\n", 0x1A4 /* 0644 */);
            return publicLine;
        }

        /// <summary>The public key blob stored in an unencrypted OpenSSH private key file.</summary>
        public static byte[] ReadPublicBlob(string privateKeyPath)
        {
            string text = File.ReadAllText(privateKeyPath);
            int begin = text.IndexOf("-----BEGIN OPENSSH PRIVATE KEY-----", StringComparison.Ordinal);
            int end = text.IndexOf("-----END OPENSSH PRIVATE KEY-----", StringComparison.Ordinal);
            try
            {
                if (begin < 0 || end < begin) throw new FormatException("no OpenSSH private key block");
                begin += "-----BEGIN OPENSSH PRIVATE KEY-----".Length;
                byte[] data = Convert.FromBase64String(text.Substring(begin, end - begin).Replace("\n", "").Replace("\r", "").Trim());
                var r = new SshReader(data);
                if (Encoding.ASCII.GetString(r.Raw(Magic.Length)) != Magic) throw new FormatException("not openssh-key-v1");
                r.String(); r.String(); r.String(); // cipher, kdf, kdf options
                if (r.UInt32() != 1) throw new FormatException("not exactly one key");
                byte[] blob = r.Bytes();
                if (new SshReader(blob).StringText() != "ssh-ed25519") throw new FormatException("not an ed25519 key");
                return blob;
            }
            catch (Exception e) when (e is FormatException || e is ArgumentException)
            {
                throw new InvalidDataException($"{privateKeyPath} is not an OpenSSH ed25519 private key ({e.Message}), so its public half cannot be derived. Restore it, or delete it (the guest then no longer accepts the VM's key).", e);
            }
        }

        private static byte[] PublicBlob(byte[] pub)
        {
            var w = new SshWriter();
            w.String("ssh-ed25519");
            w.Bytes(pub);
            return w.ToArray();
        }

        private static string PrivateKeyPem(byte[] seed, byte[] pub, byte[] publicBlob, string comment)
        {
            var inner = new SshWriter();
            var check = new byte[4];
            using (var rng = RandomNumberGenerator.Create()) rng.GetBytes(check);
            inner.Raw(check);
            inner.Raw(check);
            inner.String("ssh-ed25519");
            inner.Bytes(pub);
            var secret = new byte[64];
            Buffer.BlockCopy(seed, 0, secret, 0, 32);
            Buffer.BlockCopy(pub, 0, secret, 32, 32);
            inner.Bytes(secret);
            inner.String(comment);
            for (byte pad = 1; inner.Length % 8 != 0; pad++) inner.Raw(new[] { pad });

            var outer = new SshWriter();
            outer.Raw(Encoding.ASCII.GetBytes("openssh-key-v1\0"));
            outer.String("none");
            outer.String("none");
            outer.String("");
            outer.UInt32(1);
            outer.Bytes(publicBlob);
            outer.Bytes(inner.ToArray());

            string b64 = Convert.ToBase64String(outer.ToArray());
            var sb = new StringBuilder("-----BEGIN OPENSSH PRIVATE KEY-----\n");
            for (int i = 0; i < b64.Length; i += 70) sb.Append(b64, i, Math.Min(70, b64.Length - i)).Append('\n');
            sb.Append("-----END OPENSSH PRIVATE KEY-----\n");
            return sb.ToString();
        }

        private sealed class SshReader
        {
            private readonly byte[] _data;
            private int _at;
            public SshReader(byte[] data) { _data = data; }
            public byte[] Raw(int n)
            {
                if (n < 0 || _at + n > _data.Length) throw new FormatException("truncated");
                var b = new byte[n];
                Buffer.BlockCopy(_data, _at, b, 0, n);
                _at += n;
                return b;
            }
            public uint UInt32() { var b = Raw(4); return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]); }
            public byte[] Bytes() { uint n = UInt32(); return Raw(n > int.MaxValue ? -1 : (int)n); }
            public void String() => Bytes();
            public string StringText() => Encoding.UTF8.GetString(Bytes());
        }

        private sealed class SshWriter
        {
            private readonly MemoryStream _ms = new MemoryStream();
            public long Length => _ms.Length;
            public void Raw(byte[] b) => _ms.Write(b, 0, b.Length);
            public void UInt32(uint v) => Raw(new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v });
            public void Bytes(byte[] b) { UInt32((uint)b.Length); Raw(b); }
            public void String(string s) => Bytes(Encoding.UTF8.GetBytes(s));
            public byte[] ToArray() => _ms.ToArray();
        }
    }
}
