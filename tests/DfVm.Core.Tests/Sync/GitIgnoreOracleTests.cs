using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using DfVm.Core.Sync;
using Xunit;

namespace DfVm.Core.Tests.Sync
{
    /// <summary>The exclusion rules against the real oracle: git check-ignore --no-index on the same tree.</summary>
    [Collection("Sync")]
    public sealed class GitIgnoreOracleTests
    {
        private const string RootIgnore =
            "# a comment\n" +
            "\\#hash\n" +
            "\\!bang\n" +
            "*.log\n" +
            "!keep.log\n" +
            "/anchored\n" +
            "mid/slash\n" +
            "build/\n" +
            "**/deep\n" +
            "foo/**/bar\n" +
            "lib/**\n" +
            "trail\\ \n" +
            "spaces   \n" +
            "?x\n" +
            "[abc]z\n" +
            "[!d-f]q\n" +
            "[[:digit:]]num\n" +
            "docs/*.md\n" +
            "*.tmp\n" +
            "!/important.tmp\n" +
            "a**b\n" +
            "\\*lit\n" +
            "gen/\n" +
            "!gen/keep.go\n" +
            "onlydir/\n" +
            "crlf.out\r\n" +
            "w?ld/*/card\n" +
            "**/globstar/**/end\n" +
            "x[]]y\n";

        private const string SubIgnore =
            "*.txt\n" +
            "!note.txt\n" +
            "/only-here\n" +
            "inner/\n" +
            "re/*\n" +
            "!re/back\n";

        private const string DeeperIgnore =
            "!*.log\n" +
            "x/y\n";

        private static readonly string[] Files =
        {
            "#hash", "!bang", "a.log", "keep.log", "sub/keep.log", "anchored", "sub/anchored", "mid/slash",
            "x/mid/slash", "build/out.o", "src/build", "deep", "x/y/deep", "deep2/f", "foo/bar", "foo/a/b/bar", "foo/barn",
            "lib/a", "lib/x/y", "trail ", "trail", "spaces", "ax", "abx", "az", "dz", "aq", "dq", "fq", "1num", "xnum",
            "docs/a.md", "docs/sub/b.md", "x.tmp", "important.tmp", "sub/important.tmp", "ab", "aXXb", "a/b",
            "*lit", "xlit", "gen/keep.go", "gen/other.go", "onlydir", "d/onlydir/f", "crlf.out",
            "wild/a/card", "wxld/a/b/card", "globstar/end", "p/globstar/q/r/end", "x]y", "xy",
            "sub/a.txt", "sub/note.txt", "sub/only-here", "sub/x/only-here", "sub/inner/f", "sub/x/inner",
            "sub/re/a", "sub/re/back", "sub/deeper/z.log", "sub/deeper/x/y", "sub/x/y", "sub/deeper/q/x/y",
            "plain.go", "dir with space/f.log", "dir with space/f.go",
        };

        [Fact]
        public void ScannerKeepsExactlyWhatGitDoesNotIgnore()
        {
            using var box = new SyncSandbox();
            foreach (string f in Files)
            {
                box.Write(f, "x");
            }
            box.Dir("emptydir/build");
            box.Write(".gitignore", RootIgnore);
            box.Write("sub/.gitignore", SubIgnore);
            box.Write("sub/deeper/.gitignore", DeeperIgnore);
            Git(box.Source, "init", "-q", ".");

            List<string> all = AllPaths(box.Source);
            Assert.True(all.Count > 80);
            HashSet<string> ignored = GitIgnored(box.Source, all);
            Assert.Contains("a.log", ignored); // the oracle really ran
            Assert.InRange(ignored.Count, 40, all.Count - 20);
            Assert.DoesNotContain("keep.log", ignored);

            var filter = new ExclusionFilter(false, new string[0]);
            HostTree tree = new HostTreeScanner(filter, null).Scan(box.Source, CancellationToken.None);
            var kept = new HashSet<string>(tree.Entries.Select(e => e.RelativePath));
            var expected = new HashSet<string>(all.Where(p => !ignored.Contains(p)));

            var wrong = new StringBuilder();
            foreach (string p in all.OrderBy(p => p, StringComparer.Ordinal))
            {
                if (kept.Contains(p) != expected.Contains(p))
                {
                    wrong.AppendLine(p + ": git " + (expected.Contains(p) ? "keeps" : "ignores") + ", scanner " + (kept.Contains(p) ? "keeps" : "drops"));
                }
            }
            Assert.True(wrong.Length == 0, wrong.ToString());
            Assert.Equal(expected.Count, kept.Count);

            // The same rules through the path-only check used for guest listings.
            foreach (string p in all)
            {
                bool isDir = Directory.Exists(Path.Combine(box.Source, p)) && !File.Exists(Path.Combine(box.Source, p));
                Assert.True(filter.IsExcludedPath(p, isDir) == ignored.Contains(p), "IsExcludedPath disagrees with git on " + p);
            }
        }

        [Fact]
        public void ExtraPatternsWinOverGitignoreAndUseTheSameSyntax()
        {
            using var box = new SyncSandbox();
            box.Write(".gitignore", "*.gen\n");
            box.Write("a.gen", "x");
            box.Write("keep/b.gen", "x");
            box.Write("secret/key", "x");
            box.Write("notes.md", "x");
            box.Write("vm/disk.qcow2", "x");
            box.Write("sub/vm/file", "x");
            box.Write(".git/HEAD", "x");
            box.Write("sub/.git", "gitdir: ../.git/modules/sub");
            var filter = new ExclusionFilter(false, new[] { "/secret/", "*.md", "!keep/*.gen" }, new[] { "vm" });
            HostTree tree = new HostTreeScanner(filter, null).Scan(box.Source, CancellationToken.None);
            var kept = tree.Entries.Select(e => e.RelativePath).OrderBy(p => p, StringComparer.Ordinal).ToArray();
            Assert.Equal(new[] { ".gitignore", "keep", "keep/b.gen", "sub", "sub/vm", "sub/vm/file" }, kept);

            var withGit = new ExclusionFilter(true, null, new[] { "vm" });
            HostTree tree2 = new HostTreeScanner(withGit, null).Scan(box.Source, CancellationToken.None);
            Assert.Contains(".git/HEAD", tree2.ByPath.Keys);
            Assert.Contains("sub/.git", tree2.ByPath.Keys);
            Assert.DoesNotContain("vm/disk.qcow2", tree2.ByPath.Keys);
        }

        [Theory]
        [InlineData("*.c", "a.c", true, true)]
        [InlineData("a/*/c", "a/b/c", true, true)]
        [InlineData("a/*/c", "a/b/x/c", true, false)]
        [InlineData("a/**/c", "a/b/x/c", true, true)]
        [InlineData("a/**/c", "a/c", true, true)]
        [InlineData("**/c", "x/y/c", true, true)]
        [InlineData("a/**", "a/b/c", true, true)]
        [InlineData("a?c", "a/c", true, false)]
        [InlineData("[a-c]x", "bx", true, true)]
        [InlineData("[!a-c]x", "bx", true, false)]
        [InlineData("[^a-c]x", "dx", true, true)]
        [InlineData("\\*x", "*x", true, true)]
        [InlineData("\\*x", "ax", true, false)]
        [InlineData("[[:upper:]]*", "Readme", true, true)]
        [InlineData("a**b", "a/x/b", false, true)]
        [InlineData("x[]]y", "x]y", true, true)]
        public void WildMatchCases(string pattern, string text, bool pathName, bool expected)
        {
            Assert.Equal(expected, WildMatch.IsMatch(pattern, text, pathName));
        }

        private static List<string> AllPaths(string root)
        {
            var result = new List<string>();
            foreach (string p in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories))
            {
                string rel = Path.GetRelativePath(root, p).Replace('\\', '/');
                if (rel == ".git" || rel.StartsWith(".git/", StringComparison.Ordinal))
                {
                    continue;
                }
                result.Add(rel);
            }
            return result;
        }

        private static HashSet<string> GitIgnored(string root, List<string> paths)
        {
            var psi = new ProcessStartInfo("git")
            {
                WorkingDirectory = root,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string a in new[] { "check-ignore", "--no-index", "--stdin", "-z", "-v", "-n" })
            {
                psi.ArgumentList.Add(a);
            }
            using var p = Process.Start(psi);
            var input = new StringBuilder();
            foreach (string path in paths)
            {
                input.Append(path).Append('\0');
            }
            var writer = new StreamWriter(p.StandardInput.BaseStream, new UTF8Encoding(false));
            writer.Write(input.ToString());
            writer.Close();
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0 || p.ExitCode == 1, "git check-ignore failed: " + p.StandardError.ReadToEnd());
            string[] f = output.Split('\0');
            var ignored = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i + 3 < f.Length; i += 4)
            {
                string source = f[i], pattern = f[i + 2], path = f[i + 3];
                if (source.Length > 0 && !pattern.StartsWith("!", StringComparison.Ordinal))
                {
                    ignored.Add(path);
                }
            }
            return ignored;
        }

        private static void Git(string dir, params string[] args)
        {
            var psi = new ProcessStartInfo("git") { WorkingDirectory = dir, UseShellExecute = false, RedirectStandardOutput = true };
            foreach (string a in args)
            {
                psi.ArgumentList.Add(a);
            }
            using var p = Process.Start(psi);
            p.WaitForExit();
            Assert.Equal(0, p.ExitCode);
        }
    }
}
