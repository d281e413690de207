using System;
using System.Collections.Generic;
using System.Text;
using DfVm.Core.Util;

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

        private readonly Dictionary<string, CappedText> _stderrBlocks = new Dictionary<string, CappedText>(StringComparer.Ordinal);
        private readonly List<string> _stderrOrder = new List<string>();
        private readonly HashSet<string> _closedBlocks = new HashSet<string>(StringComparer.Ordinal);
        private readonly Dictionary<string, CappedText> _buildOutputs = new Dictionary<string, CappedText>(StringComparer.Ordinal);
        private readonly CappedText _unattributed = CappedText.ForText(BlockLimit);
        private string _currentBlock;

        /// <summary>Adds one stderr line. Returns the package whose block it closed (a new header began), or null.</summary>
        public string AddStderrLine(string line)
        {
            if (line.StartsWith("# ", StringComparison.Ordinal))
            {
                string closed = CloseCurrent();
                string key = PackageOfHeader(line.Substring(2));
                if (!_stderrBlocks.TryGetValue(key, out CappedText block))
                {
                    block = CappedText.ForText(BlockLimit);
                    _stderrBlocks.Add(key, block);
                    _stderrOrder.Add(key);
                }

                _closedBlocks.Remove(key);
                _currentBlock = key;
                block.Append(line + "\n");
                return closed;
            }

            if (_currentBlock != null)
            {
                _stderrBlocks[_currentBlock].Append(line + "\n");
            }
            else
            {
                _unattributed.Append(line + "\n");
            }

            return null;
        }

        /// <summary>Ends the block being written, if any; returns its package.</summary>
        public string CloseCurrent()
        {
            string closed = _currentBlock;
            if (closed != null)
            {
                _closedBlocks.Add(closed);
            }

            _currentBlock = null;
            return closed;
        }

        public bool HasClosedBlock(string package) => _closedBlocks.Contains(package);

        /// <summary>Removes and returns the stderr block headed by this package, or null.</summary>
        public string TakeStderrBlock(string package)
        {
            if (!_stderrBlocks.TryGetValue(package, out CappedText block))
            {
                return null;
            }

            _stderrBlocks.Remove(package);
            _stderrOrder.Remove(package);
            _closedBlocks.Remove(package);
            if (_currentBlock == package)
            {
                _currentBlock = null;
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
            foreach (string key in _stderrOrder)
            {
                AppendLine(sb, _stderrBlocks[key].ToString());
            }

            AppendLine(sb, _unattributed.ToString());
            return sb.ToString();
        }

        public string UnattributedText() => _unattributed.ToString();

        public void AddBuildOutput(string importPath, string output)
        {
            string key = importPath ?? string.Empty;
            if (!_buildOutputs.TryGetValue(key, out CappedText block))
            {
                block = CappedText.ForText(BlockLimit);
                _buildOutputs.Add(key, block);
            }

            block.Append(output);
        }

        /// <summary>The build-output text of an ImportPath (kept: a failed dependency fails every importer).</summary>
        public string BuildOutputFor(string importPath)
        {
            return importPath != null && _buildOutputs.TryGetValue(importPath, out CappedText block) ? block.ToString() : null;
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
