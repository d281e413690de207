// ps: DragonFly 6.4's command line (bin/ps/ps.c, bin/ps/keyword.c) in front of procps's ps,
// which the test guest keeps at /usr/libexec/dfvm/procps-ps.
//
// Checked as DragonFly checks it:
//   - getopt "aCcegHhjLlM:mN:O:o:p:rRSTt:U:uvwx" (PS_ARGS without LAZY_PS): no -A, no -e as
//     "every process", no GNU long options; a first word without '-' gets one ("ps ax"), and a
//     trailing number in it is a pid (kludge_oldps_options).
//   - -o/-O keywords from keyword.c's table, split at " \t,\n"; "kw=" names the column
//     (empty: no header); an alias ("stat", "comm", "args" is not there at all) with "=" is
//     "illegal keyword specification". DragonFly prints the other columns and exits 1; here
//     nothing is printed, so the mistake cannot pass unseen.
//   - the width: without a terminal a last "command" column ends the line at 79 columns
//     (ps.c's termwidth, print.c's command()), -w at 131, -ww never.
//   - without -x only processes with a controlling terminal are listed, so over SSH without a
//     terminal "ps -o ..." lists nothing on DragonFly; -a adds other users' processes.
//
// Imitated, so refused here when asked: the selections other than -ax, -x and -p PID (a
// DragonFly -a alone or no -x lists terminal processes only, which a test over SSH never
// wants), and the options DfVm does not use (-C -c -e -g -H -h -j -L -l -M -m -N -r -R -S -T
// -t -U -u -v: DragonFly's meanings differ from procps's for several of them).
package main

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// procpsPath is where the guest keeps procps's ps (build-guest.sh).
var procpsPath = "/usr/libexec/dfvm/procps-ps"

const psArgs = "aCcegHhjLlM:mN:O:o:p:rRSTt:U:uvwx"

// keyword.c's table: name -> procps's name for the same column ("" when not imitated here);
// aliases map to the keyword they stand for.
var psKeywords = map[string]string{
	"%cpu": "%cpu", "%mem": "%mem", "command": "args", "lstart": "lstart", "nice": "nice",
	"pgid": "pgid", "pid": "pid", "ppid": "ppid", "rss": "rss", "sess": "sess", "start": "start",
	"state": "stat", "tdev": "", "time": "time", "tt": "tt", "tty": "tty", "ucomm": "comm",
	"uid": "uid", "user": "user", "vsz": "vsz", "wchan": "wchan", "ruid": "ruid", "ruser": "ruser",
	"acflag": "", "batch": "", "cpu": "", "f": "", "inblk": "", "jail": "", "jobc": "", "ktrace": "",
	"lastcpu": "", "lim": "", "login": "", "majflt": "", "minflt": "", "msgrcv": "", "msgsnd": "",
	"nivcsw": "", "nlwp": "", "nsigs": "", "nswap": "", "nvcsw": "", "nwchan": "", "oublk": "",
	"p_ru": "", "paddr": "", "pagein": "", "pri": "", "re": "", "rgid": "", "rsz": "", "rtprio": "",
	"sig": "", "sigcatch": "", "sigignore": "", "sigmask": "", "sl": "", "svgid": "", "svuid": "",
	"tdpri": "", "tid": "", "tpgid": "", "tsess": "", "tsig": "", "tsiz": "", "xstat": "",
}

var psAliases = map[string]string{
	"acflg": "acflag", "blocked": "sigmask", "caught": "sigcatch", "comm": "ucomm", "cputime": "time",
	"flags": "f", "ignored": "sigignore", "inblock": "inblk", "logname": "login", "ni": "nice",
	"nsignals": "nsigs", "oublock": "oublk", "pcpu": "%cpu", "pending": "sig", "pmem": "%mem",
	"rssize": "rsz", "stat": "state", "vsize": "vsz",
}

func psUsage() int {
	os.Stderr.WriteString("usage: ps [-aCcefhHjlmrSTuvwx] [-M core] [-N system] [-O fmt] [-o fmt] [-p pid]\n" +
		"          [-t tty] [-U username]\n       ps [-L]\n")
	return 1
}

// psKludge is kludge_oldps_options: "ax" -> "-ax", "ax123" -> "-axp123".
func psKludge(s string) string {
	out := s
	if !strings.HasPrefix(s, "-") {
		out = "-" + s
	}
	end := len(out)
	for end > 1 && out[end-1] >= '0' && out[end-1] <= '9' {
		end--
	}
	if end < len(out) && out[end-1] != 'p' && out[end-1] != 't' {
		out = out[:end] + "p" + out[end:]
	}
	return out
}

// psColumns turns one -o argument into procps columns; false after DragonFly's message.
func psColumns(format string, into *[]string) bool {
	for _, w := range strings.FieldsFunc(format, func(r rune) bool { return strings.ContainsRune(" \t,\n", r) }) {
		name, header, named := w, "", false
		if i := strings.IndexByte(w, '='); i >= 0 {
			name, header, named = w[:i], w[i+1:], true
		}
		if real, ok := psAliases[name]; ok {
			if named {
				warnx("%s: illegal keyword specification", name)
				return false
			}
			name = real
		}
		procps, ok := psKeywords[name]
		if !ok {
			warnx("%s: keyword not found", name)
			return false
		}
		if procps == "" {
			warnx("%s: DragonFly has this keyword, the test guest does not imitate it", name)
			return false
		}
		if named {
			*into = append(*into, procps+"="+header)
		} else {
			*into = append(*into, procps+"="+strings.ToUpper(name))
		}
	}
	return true
}

func psMain(args []string) int {
	if len(args) > 0 {
		nocludge := false
		if strings.HasPrefix(args[0], "-") && len(args[0]) > 1 {
			if k := strings.IndexByte(psArgs, args[0][1]); k >= 0 && k+1 < len(psArgs) && psArgs[k+1] == ':' {
				nocludge = true
			}
		}
		if !nocludge {
			args = append([]string{psKludge(args[0])}, args[1:]...)
		}
	}
	opts, rest, ok := getopt(args, psArgs)
	if !ok {
		return psUsage()
	}
	if len(rest) > 0 {
		warnx("%s: kvm_openfiles: not a kernel image (operands are a namelist and a core file)", rest[0])
		return 1
	}
	all, xflag, width := false, false, 0
	pid := ""
	var columns []string
	for _, o := range opts {
		switch o.c {
		case 'a':
			all = true
		case 'x':
			xflag = true
		case 'w':
			width++
		case 'p':
			pid = o.arg
			xflag = true
		case 'o':
			if !psColumns(o.arg, &columns) {
				return 1
			}
		default:
			warnx("-%c is DragonFly's, but the test guest's ps does not imitate it", o.c)
			return 1
		}
	}
	var sel []string
	switch {
	case pid != "":
		sel = []string{"-p", pid}
	case all && xflag:
		sel = []string{"-e"}
	case xflag:
		sel = []string{"-u", strconv.Itoa(os.Getuid())}
	default:
		warnx("without -x DragonFly's ps lists only processes with a terminal (none over SSH without one): use -ax or -x")
		return 1
	}
	if len(columns) == 0 {
		columns = []string{"pid=PID", "tt=TT", "stat=STAT", "time=TIME", "args=COMMAND"}
	}
	cmdArgs := append(sel, "-ww")
	for _, c := range columns {
		cmdArgs = append(cmdArgs, "-o", c)
	}
	cmd := exec.Command(procpsPath, cmdArgs...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		warnx("%v", err)
		return 1
	}
	if err := cmd.Start(); err != nil {
		warnx("%v", err)
		return 1
	}
	// print.c's command(): only a last "command" column is cut, so the line fits termwidth
	limit := 79
	if !strings.HasPrefix(columns[len(columns)-1], "args=") {
		limit = 0
	} else if width == 1 {
		limit = 131
	} else if width > 1 {
		limit = 0
	}
	w := bufio.NewWriter(os.Stdout)
	r := bufio.NewReader(out)
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			text := strings.TrimSuffix(line, "\n")
			if limit > 0 && len([]rune(text)) > limit {
				text = string([]rune(text)[:limit])
			}
			w.WriteString(text + "\n")
		}
		if err != nil {
			break
		}
	}
	w.Flush()
	if err := cmd.Wait(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		return 1
	}
	return 0
}
