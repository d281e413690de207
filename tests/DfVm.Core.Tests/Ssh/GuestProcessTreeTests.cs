using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using DfVm.Core.Ssh;
using Xunit;

namespace DfVm.Core.Tests.Ssh
{
    /// <summary>
    /// The guest's tree-kill script, run by dash (the strict guest's /bin/sh) against real process
    /// trees on this host: nested shells, a subshell, and a loop that keeps starting children while
    /// the walk goes on.
    /// </summary>
    public class GuestProcessTreeTests
    {
        [Fact]
        public void EndsEveryDescendantIncludingOnesStartedDuringTheWalk()
        {
            string tag = "3000." + new Random().Next(100000, 999999).ToString(CultureInfo.InvariantCulture);
            string tree =
                "sh -c 'sleep " + tag + "' & sleep " + tag + " & " +
                "( sleep " + tag + "; true ) & " +
                "( while :; do sleep " + tag + " & sleep 0.02; done ) & wait";
            using (var root = Start("dash", "-c", tree))
            {
                try
                {
                    Assert.True(WaitFor(() => Count(tag) >= 8, TimeSpan.FromSeconds(20)), "the tree started");
                    using (var kill = Start("dash", "-c", GuestProcessTree.KillScript(root.Id)))
                    {
                        Assert.True(kill.WaitForExit(30000), "the kill script ends");
                        Assert.Equal(0, kill.ExitCode);
                    }
                    Assert.True(root.WaitForExit(10000), "the root was killed");
                    Assert.True(WaitFor(() => Count(tag) == 0, TimeSpan.FromSeconds(10)),
                        "no descendant left, stopped or running: " + Count(tag));
                }
                finally
                {
                    if (!root.HasExited) root.Kill();
                }
            }
        }

        [Fact]
        public void AGonePidKillsNothingElse()
        {
            string tag = "3001." + new Random().Next(100000, 999999).ToString(CultureInfo.InvariantCulture);
            using (var bystander = Start("sleep", tag))
            using (var gone = Start("true"))
            {
                try
                {
                    gone.WaitForExit();
                    using (var kill = Start("dash", "-c", GuestProcessTree.KillScript(gone.Id)))
                    {
                        Assert.True(kill.WaitForExit(30000));
                        Assert.Equal(0, kill.ExitCode);
                    }
                    Assert.False(bystander.HasExited, "a process outside the tree lives on");
                }
                finally
                {
                    if (!bystander.HasExited) bystander.Kill();
                }
            }
        }

        private static Process Start(string file, params string[] args)
        {
            var psi = new ProcessStartInfo(file) { UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            return Process.Start(psi);
        }

        private static int Count(string tag)
        {
            var psi = new ProcessStartInfo("ps", "-ax -o args=") { UseShellExecute = false, RedirectStandardOutput = true };
            using (var p = Process.Start(psi))
            {
                string all = p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                return all.Split('\n').Count(l => l.Contains("sleep " + tag));
            }
        }

        private static bool WaitFor(Func<bool> condition, TimeSpan limit)
        {
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < limit)
            {
                if (condition()) return true;
                Thread.Sleep(50);
            }
            return condition();
        }
    }
}
