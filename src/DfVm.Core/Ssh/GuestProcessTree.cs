using System.Globalization;

namespace DfVm.Core.Ssh
{
    /// <summary>
    /// The sh text that ends a process and everything below it in the guest: what a cancelled
    /// command (Ctrl+C) or an elevated run started, when no terminal tells them to stop.
    /// </summary>
    /// <remarks>
    /// Each round takes one snapshot of the process table (<c>ps -ax -o pid= -o ppid=</c>), lets awk
    /// find every descendant of what is known so far, and stops (SIGSTOP) the new ones, so the tree
    /// cannot grow while it is walked; when a round finds no new process, all of them get SIGKILL.
    /// That is one ps and one awk a round (two rounds for a quiet tree), where the walk it replaces
    /// started a pgrep per process and, on a loaded guest, ran out of its time halfway: the tree was
    /// left stopped, never killed. DragonFly's ps has no -A (bin/ps/ps.c, PS_ARGS
    /// "aCcegHhjLlM:mN:O:o:p:rRSTt:U:uvwx"): -ax lists every process there and in procps alike, and
    /// "pid=" gives an empty header (bin/ps/keyword.c, findvar splits at '=').
    /// </remarks>
    public static class GuestProcessTree
    {
        public static string KillScript(int pid)
        {
            string p = pid.ToString(CultureInfo.InvariantCulture);
            return
                "t=" + p + "; n=1; " +
                "while :; do " +
                "kill -STOP $t 2>/dev/null; " +
                "t=$(ps -ax -o pid= -o ppid= | awk -v t=\"$t\" " +
                "'BEGIN{split(t,a,\" \");for(i in a)s[a[i]]=1} NF==2{p[$1]=$2} " +
                "END{do{c=0;for(x in p)if(!(x in s)&&(p[x] in s)){s[x]=1;c=1}}while(c);for(x in s)printf \"%s \",x}'); " +
                "[ -n \"$t\" ] || t=" + p + "; " +
                "set -- $t; [ $# -le $n ] && break; n=$#; " +
                "done; " +
                "kill -KILL $t 2>/dev/null; :";
        }
    }
}
