using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation.Language;
using DfVm.Core;

namespace DfVm.PowerShell
{
    /// <summary>
    /// Reads DfVm.config.psd1 as data: parsed, never run. Only constant values are accepted
    /// (SafeGetValue), so a config cannot execute code. Errors name the file, the line and the key.
    /// </summary>
    internal static class ConfigReader
    {
        public const string FileName = "DfVm.config.psd1";

        private static readonly string[] KnownKeys =
        {
            "VmName", "VmDirectory", "DragonFlyVersion", "DiskSizeGB", "MemoryMB", "Cpus", "SshPort", "SshUser",
            "GuestProjectPath", "SyncExclude", "SyncIncludeGit", "BuildCommand", "Suites",
            "BuildOn", "LeakCheck", "FailOnLeak",
        };

        public static DfVmConfig Read(string path)
        {
            var ast = Parser.ParseFile(path, out _, out ParseError[] errors);
            if (errors.Length > 0)
            {
                var e = errors[0];
                throw Invalid(path, e.Extent.StartLineNumber, null, e.Message);
            }
            var table = ast.Find(a => a is HashtableAst, false) as HashtableAst;
            if (table == null) throw Invalid(path, 1, null, "the file must hold one hashtable: @{ ... }");

            var config = new DfVmConfig { Path = path, ProjectRoot = System.IO.Path.GetDirectoryName(path) };
            foreach (var pair in table.KeyValuePairs)
            {
                string key = (pair.Item1 as StringConstantExpressionAst)?.Value;
                int line = pair.Item1.Extent.StartLineNumber;
                if (key == null) throw Invalid(path, line, pair.Item1.Extent.Text, "keys must be plain names");
                string known = KnownKeys.FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
                if (known == null) throw Invalid(path, line, key, "unknown key. Known keys: " + string.Join(", ", KnownKeys));
                object value = Value(path, line, key, pair.Item2);
                try
                {
                    Apply(config, known, value, path, line);
                }
                catch (Exception ex) when (ex is InvalidCastException || ex is FormatException || ex is OverflowException)
                {
                    throw Invalid(path, line, key, ex.Message);
                }
            }
            if (config.VmDirectory != null && !System.IO.Path.IsPathRooted(config.VmDirectory))
            {
                config.VmDirectory = System.IO.Path.Combine(config.ProjectRoot, config.VmDirectory);
            }
            return config;
        }

        private static object Value(string path, int line, string key, StatementAst statement)
        {
            try
            {
                var expr = (statement as PipelineAst)?.GetPureExpression();
                if (expr == null) throw new InvalidOperationException("not a constant value");
                return expr.SafeGetValue();
            }
            catch (InvalidOperationException e)
            {
                throw Invalid(path, line, key, "only constant values are allowed (no commands or variables): " + e.Message);
            }
        }

        private static void Apply(DfVmConfig c, string key, object value, string path, int line)
        {
            switch (key)
            {
                case "VmName": c.VmName = Text(value); Core.Instances.VmStore.ValidateName(c.VmName); break;
                case "VmDirectory": c.VmDirectory = Text(value); break;
                case "DragonFlyVersion": c.DragonFlyVersion = Text(value); break;
                case "DiskSizeGB": c.DiskSizeGB = Convert.ToInt32(value); break;
                case "MemoryMB": c.MemoryMB = Convert.ToInt32(value); break;
                case "Cpus": c.Cpus = Convert.ToInt32(value); break;
                case "SshPort":
                    c.SshPort = value is string auto && string.Equals(auto, "Auto", StringComparison.OrdinalIgnoreCase) ? 0 : Convert.ToInt32(value);
                    if (c.SshPort < 0 || c.SshPort > 65535) throw new OverflowException("SshPort must be 'Auto' or 1-65535");
                    break;
                case "SshUser": c.SshUser = Text(value); break;
                case "GuestProjectPath": c.GuestProjectPath = Text(value); break;
                case "SyncExclude": c.SyncExclude = Strings(value); break;
                case "SyncIncludeGit": c.SyncIncludeGit = (bool)value; break;
                case "BuildCommand": c.BuildCommand = Text(value); break;
                case "LeakCheck": c.LeakCheck = (bool)value; break;
                case "FailOnLeak": c.FailOnLeak = (bool)value; break;
                case "BuildOn":
                    string where = Text(value);
                    c.BuildOn = string.Equals(where, "Host", StringComparison.OrdinalIgnoreCase) ? "Host"
                        : string.Equals(where, "Guest", StringComparison.OrdinalIgnoreCase) ? "Guest"
                        : throw new FormatException("BuildOn must be 'Guest' or 'Host'");
                    break;
                case "Suites":
                    var suites = value as Hashtable ?? throw new InvalidCastException("Suites must be a hashtable of suite name = @{ Command = '...' }");
                    c.Suites = new Dictionary<string, DfVmSuite>(StringComparer.OrdinalIgnoreCase);
                    foreach (DictionaryEntry entry in suites)
                    {
                        string name = entry.Key.ToString();
                        var body = entry.Value as Hashtable ?? throw new InvalidCastException($"suite '{name}' must be a hashtable");
                        var suite = new DfVmSuite { Name = name };
                        foreach (DictionaryEntry f in body)
                        {
                            switch (f.Key.ToString().ToLowerInvariant())
                            {
                                case "command": suite.Command = Text(f.Value); break;
                                case "elevate": suite.Elevate = (bool)f.Value; break;
                                case "include": suite.Include = Strings(f.Value); break;
                                default: throw new InvalidCastException($"suite '{name}' has an unknown key '{f.Key}' (Command, Elevate, Include)");
                            }
                        }
                        if (string.IsNullOrEmpty(suite.Command) == (suite.Include == null || suite.Include.Length == 0))
                        {
                            throw new InvalidCastException($"suite '{name}' needs either Command or Include");
                        }
                        c.Suites[name] = suite;
                    }
                    foreach (var s in c.Suites.Values.Where(s => s.Include != null))
                    {
                        var missing = s.Include.FirstOrDefault(i => !c.Suites.ContainsKey(i));
                        if (missing != null) throw new InvalidCastException($"suite '{s.Name}' includes '{missing}', which is not defined");
                    }
                    break;
            }
        }

        private static string Text(object v) => v as string ?? throw new InvalidCastException("expected a string");

        private static string[] Strings(object v)
        {
            if (v is string s) return new[] { s };
            if (v is object[] arr) return arr.Select(Text).ToArray();
            throw new InvalidCastException("expected a string or an array of strings");
        }

        private static DfVmException Invalid(string path, int line, string key, string why) =>
            new DfVmException(ErrorIds.ConfigInvalid, DfVmErrorKind.InvalidData,
                $"{path}:{line}: " + (key != null ? $"key '{key}': " : "") + why, path)
            {
                RecommendedAction = $"Correct line {line} of {path}: it is data, not a script (about_DfVm lists the keys; New-DfVmConfig writes each with its default).",
            };
    }
}
