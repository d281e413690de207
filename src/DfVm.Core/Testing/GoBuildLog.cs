using System;
using System.Collections.Generic;
using System.Text;

namespace DfVm.Core.Testing
{
    /// <summary>
    /// Compiler and setup messages, kept until the package they belong to ends:
    /// before Go 1.24 they are plain text on stderr in blocks headed "# import/path";
    /// since Go 1.24 they are build-output events keyed by ImportPath.
    /// Only failing builds leave text here, so it stays small.
    /// </summary>
    internal sealed class GoBuildLog
    {
        private const int BlockLimit = 256 * 1024;

        private readonly Dictionary<string, OutputBuffer> stderrBlocks = new Dictionary<string, OutputBuffer>(StringComparer.Ordinal);
        private readonly List<string> stderrOrder = new List<string>();
        private readonly HashSet<string> closedBlocks = new HashSet<string>(StringComparer.Ordinal);
        private readonly Dictionary<string, OutputBuffer> buildOutputs = new Dictionary<string, OutputBuffer>(StringComparer.Ordinal);
        private readonly OutputBuffer unattributed = new OutputBuffer(BlockLimit);
        private string currentBlock;

        /// <summary>Adds one stderr line. Returns the package whose block it closed (a new header began), or null.</summary>
        public string AddStderrLine(string line)
        {
            if (line.StartsWith("# ", StringComparison.Ordinal))
            {
                string closed = CloseCurrent();
                string key = PackageOfHeader(line.Substring(2));
                if (!stderrBlocks.TryGetValue(key, out OutputBuffer block))
                {
                    block = new OutputBuffer(BlockLimit);
                    stderrBlocks.Add(key, block);
                    stderrOrder.Add(key);
                }

                closedBlocks.Remove(key);
                currentBlock = key;
                block.Append(line + "\n");
                return closed;
            }

            if (currentBlock != null)
            {
                stderrBlocks[currentBlock].Append(line + "\n");
            }
            else
            {
                unattributed.Append(line + "\n");
            }

            return null;
        }

        /// <summary>Ends the block being written, if any; returns its package.</summary>
        public string CloseCurrent()
        {
            string closed = currentBlock;
            if (closed != null)
            {
                closedBlocks.Add(closed);
            }

            currentBlock = null;
            return closed;
        }

        public bool HasClosedBlock(string package) => closedBlocks.Contains(package);

        /// <summary>Removes and returns the stderr block headed by this package, or null.</summary>
        public string TakeStderrBlock(string package)
        {
            if (!stderrBlocks.TryGetValue(package, out OutputBuffer block))
            {
                return null;
            }

            stderrBlocks.Remove(package);
            stderrOrder.Remove(package);
            closedBlocks.Remove(package);
            if (currentBlock == package)
            {
                currentBlock = null;
            }

            return block.ToString();
        }

        /// <summary>
        /// Blocks no package claimed (errors in a dependency, whose failure go reports on each importer)
        /// and stderr text outside any block. Not removed: several packages may share them.
        /// </summary>
        public string UnclaimedText()
        {
            var sb = new StringBuilder();
            foreach (string key in stderrOrder)
            {
                AppendLine(sb, stderrBlocks[key].ToString());
            }

            AppendLine(sb, unattributed.ToString());
            return sb.ToString();
        }

        public string UnattributedText() => unattributed.ToString();

        public void AddBuildOutput(string importPath, string output)
        {
            string key = importPath ?? string.Empty;
            if (!buildOutputs.TryGetValue(key, out OutputBuffer block))
            {
                block = new OutputBuffer(BlockLimit);
                buildOutputs.Add(key, block);
            }

            block.Append(output);
        }

        /// <summary>The build-output text of an ImportPath (kept: a failed dependency fails every importer).</summary>
        public string BuildOutputFor(string importPath)
        {
            return importPath != null && buildOutputs.TryGetValue(importPath, out OutputBuffer block) ? block.ToString() : null;
        }

        /// <summary>"example.com/x [example.com/x.test]" and "[example.com/x]" both name example.com/x.</summary>
        internal static string PackageOfHeader(string header)
        {
            string h = header.Trim();
            if (h.StartsWith("[", StringComparison.Ordinal) && h.EndsWith("]", StringComparison.Ordinal))
            {
                h = h.Substring(1, h.Length - 2);
            }

            int space = h.IndexOf(' ');
            return space > 0 ? h.Substring(0, space) : h;
        }

        private static void AppendLine(StringBuilder sb, string text)
        {
            if (text.Length == 0)
            {
                return;
            }

            if (sb.Length > 0)
            {
                sb.Append('\n');
            }

            sb.Append(text);
        }
    }
}
