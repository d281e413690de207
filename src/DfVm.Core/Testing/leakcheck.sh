#!/bin/sh
# dfvm-leakcheck: runs one Go test binary and records, in the guest, the mount table and the process
# list just before and just after it (Invoke-DfVmTest's leak check, issue 23).
#
# Guest build: go test -exec '/bin/sh <this file>' runs it as  sh leakcheck.sh /tmp/go-build.../pkg.test ARGS
# with DFVM_LEAK (the run's marker), DFVM_LEAK_MOUNT ('-p' where `mount -p` works: DragonFly; '' on a
# Linux guest) and DFVM_LEAK_CLEAN (1: -CleanLeaks) in its environment. Host build: dfvm-go-exec.sh's guest
# script sources it with DFVM_LEAK_LIB=1 and calls dfvm_leak itself. Invoke-DfVmTest writes it once per run
# to /var/tmp/.dfvm-leakcheck-<id>.sh, <id> from a hash of this text (LeakCheck.PrepareAsync: written under
# the run's own name, then renamed into place), and leaves it for the next run: the path is in the -exec
# text, and go test keys a cached result on that text.
#
# What it prints after the binary ends, on the binary's standard output (so go test hands it on as the
# package's output, where Invoke-DfVmTest takes it out again: src/DfVm.Core/Testing/LeakRecord.cs):
#   <RS>DFVM-LEAK <marker> before      then `mount [-p]`, a line '@', `ps -ax -ww -o pid= -o ppid= -o state= -o command=`
#   <RS>DFVM-LEAK <marker> after       the same, after the binary
#   <RS>DFVM-LEAK <marker> clean <n>   (-CleanLeaks only) what was left after the clean-up: n unmounts or kills failed
#   <RS>DFVM-LEAK <marker> end
# The host computes the difference. The guest runs `mount` and `ps` once per binary (each program started
# costs tens of ms under TCG, more on a loaded host) and nothing else: the after-record is saved in
# /var/tmp/.dfvm-leak-<marker>.last and is the next binary's before-record (only the run's first binary
# takes both). The host removes the run's files when the run ends.
#
# One binary at a time: go test runs several test binaries at once (-p), and their records would mix. The
# run's lock (files created with set -C: only if absent, no program started; see dfvm_leak) serialises
# them: the packages of a leak-checked run run one after the other. A holder that is gone has released it.
#
# Guest build only: the binary is given -test.testlogfile in its go-build folder, as go test does when it
# runs a binary itself (with -exec it does not: cmd/go/internal/test/test.go), so go saves the result and a
# later run with the same -exec text shows it "(cached)". A cached package's binary does not run: go replays
# its saved output, with the record of the run that saved it (another marker), which the host drops.
#
# Commands used, all in DragonFly 6.4's base system, each checked against its DragonFly source:
#   mount [-p]: sbin/mount/mount.c, getopt "adF:fo:prwt:uv"; -p prints putfsent()'s
#     "from TAB on TAB type opts TAB freq passno", plain mount prmount()'s "source on mountpoint (type, flags)".
#   ps -ax -ww -o pid= -o ppid= -o state= -o command=: bin/ps/ps.c, PS_ARGS "aCcegHhjLlM:mN:O:o:p:rRSTt:U:uvwx"
#     (NO -A: `ps -A` is a usage error there; -a all users, -x without a terminal too, -ww no width cut);
#     pid, ppid, state, command are keywords of bin/ps/keyword.c's var[] (not aliases, so `kw=` is allowed:
#     makevarent() splits at '=' and takes the empty header), and bin/ps/print.c's printheader() prints no
#     header line when every header is empty; state's first letter is Z for a zombie (print.c, state()).
#     The Linux test guest's ps is a stand-in with DragonFly's getopt and keywords (tests/guest/bsdtools/ps.go).
#   umount [-f]: sbin/umount/umount.c, getopt "AaF:fh:t:v". sleep 0.2: bin/sleep/sleep.c reads a fraction.
#   awk -v (usr.bin/awk, the one true awk: split, sub, gsub), kill (sh built-in: -0, -TERM, -KILL);
#   the host's setup round trip: cat, mv -f (bin/mv), mount -p.

dfvm_leak_snap() {
    # $1: '-p' or ''. Both tables in one command substitution: two programs, no file.
    # shellcheck disable=SC2086 # $1 is '-p' or empty
    mount $1 2>/dev/null
    echo @
    exec ps -ax -ww -o pid= -o ppid= -o state= -o command=
}

dfvm_leak_clean() {
    # $1 before, $2 after: unmounts what was mounted (deepest first, with retries) and ends the orphans the
    # binary left (TERM, then KILL); prints how many could not be undone.
    # A mount is its source, mount point and type, as LeakCheck.Compare keys it: not its options, so a remount
    # (mount -u) of what was there before is not unmounted.
    printf '%s\n%%\n%s\n' "$1" "$2" | awk -v self="$$" '
        function key(line,   f, t) {
            if (index(line, "\t") > 0) { split(line, f, "\t"); t = f[3]; sub(/ .*$/, "", t); return f[1] "\t" f[2] "\t" t }
            if (match(line, / type [^ ]+ \(.*\)$/)) { t = substr(line, RSTART + 6); sub(/ .*$/, "", t); return substr(line, 1, RSTART - 1) "\t" t }
            if (match(line, / \([^,()]+(, .*)?\)$/)) { t = substr(line, RSTART + 2); sub(/[,)].*$/, "", t); return substr(line, 1, RSTART - 1) "\t" t }
            return line
        }
        /^%$/ { part = 1; sec = 0; next }
        /^@$/ { sec = 1; next }
        sec == 0 && part == 0 { seen[key($0)]++; next }
        sec == 0 && part == 1 { k = key($0); if (seen[k] > 0) { seen[k]--; next } mnt[++nm] = $0; next }
        sec == 1 && part == 0 { old[$1] = 1; next }
        sec == 1 && part == 1 { ppid[$1] = $2; if ($3 !~ /^Z/) live[$1] = 1; next }
        END {
            for (p in live) {
                if (p in old || p == self) continue
                q = p; orphan = 0
                while (q != "" && !(q in old)) { if (ppid[q] == 1) { orphan = 1; break } q = ppid[q]; if (q == p) break }
                if (orphan) print "k " p
            }
            for (i = 1; i <= nm; i++) {
                line = mnt[i]
                if (index(line, "\t") > 0) { split(line, f, "\t"); mp = f[2] }
                else { mp = line; sub(/^.* on /, "", mp); sub(/ (type [^ ]+ )?\(.*$/, "", mp) }
                d = gsub(/\//, "/", mp); depth[i] = d; point[i] = mp
            }
            for (d = 64; d >= 0; d--) for (i = 1; i <= nm; i++) if (depth[i] == d) print "u " point[i]
        }' | {
        failed=0
        pids=''
        while IFS= read -r line; do
            case $line in
                'k '*) pids="$pids ${line#k }" ;;
                'u '*)
                    mp=${line#u }
                    n=0
                    until umount "$mp" 2>/dev/null; do
                        n=$((n + 1))
                        if [ $n -ge 5 ]; then umount -f "$mp" 2>/dev/null || failed=$((failed + 1)); break; fi
                        sleep 0.2 2>/dev/null || sleep 1
                    done
                    ;;
            esac
        done
        if [ -n "$pids" ]; then
            # shellcheck disable=SC2086 # a list of pids
            kill -TERM $pids 2>/dev/null
            sleep 0.3 2>/dev/null || sleep 1
            # shellcheck disable=SC2086
            kill -KILL $pids 2>/dev/null
        fi
        echo "$failed"
    }
}

# dfvm_leak MARKER MOUNTFLAG TESTLOG CLEAN BINARY [ARGUMENT...]: runs BINARY (stdin /dev/null, in the
# foreground: with the signal dispositions go test gives it) between the two records; returns its status.
dfvm_leak() {
    _lk_m=$1 _lk_f=$2 _lk_t=$3 _lk_c=$4
    shift 4
    _lk_b=$1
    shift
    case $_lk_m in '' | *[!0-9a-f]*) echo "dfvm-leakcheck: bad marker" >&2; return 125 ;; esac
    # The lock is a series of files .lock.0, .lock.1, ...: a binary holds the run's lock while it is the live
    # writer of the newest one. It takes turn k by creating .lock.k (set -C: only if absent; a built-in
    # redirection, no program), once the holder of turn k-1 has ended (kill -0, built in). Nothing is removed
    # per binary (an rm is a program start: tens of ms under TCG); the host removes the run's files at its end.
    # .turn remembers the newest turn, so a run of many packages does not walk the list from 0 each time.
    _lk_k=0
    read -r _lk_k <"/var/tmp/.dfvm-leak-$_lk_m.turn" 2>/dev/null
    case $_lk_k in '' | *[!0-9]*) _lk_k=0 ;; esac
    _lk_e=0
    set -C
    while :; do
        _lk_l=/var/tmp/.dfvm-leak-$_lk_m.lock.$_lk_k
        { echo $$ >"$_lk_l"; } 2>/dev/null && break
        _lk_h=''
        read -r _lk_h <"$_lk_l" 2>/dev/null
        [ -n "$_lk_h" ] || _lk_e=$((_lk_e + 1))
        # turn k has ended when its holder is gone, or when it stayed empty for about 5 s (a holder killed
        # between creating the file and writing its pid): try the next
        if { [ -n "$_lk_h" ] && ! kill -0 "$_lk_h" 2>/dev/null; } || [ "$_lk_e" -ge 100 ]; then
            _lk_k=$((_lk_k + 1))
            _lk_e=0
            continue
        fi
        sleep 0.05 2>/dev/null || sleep 1 # held (or being written): wait
    done
    echo "$_lk_k" >|"/var/tmp/.dfvm-leak-$_lk_m.turn"
    set +C
    # The before-record: what the binary before this one left (saved below; these binaries run one at a
    # time, so it is the table as this one finds it), else taken now. Read with sh's read: no program.
    _lk_s=/var/tmp/.dfvm-leak-$_lk_m.last
    _lk_B=''
    if [ -f "$_lk_s" ]; then
        while IFS= read -r _lk_x; do
            _lk_B="$_lk_B$_lk_x
"
        done <"$_lk_s"
        _lk_B=${_lk_B%?}
    fi
    [ -n "$_lk_B" ] || _lk_B=$(dfvm_leak_snap "$_lk_f")
    if [ "$_lk_t" = 1 ]; then
        "$_lk_b" -test.testlogfile="${_lk_b%/*}/testlog.txt" "$@" </dev/null
    else
        "$_lk_b" "$@" </dev/null
    fi
    _lk_rc=$?
    _lk_A=$(dfvm_leak_snap "$_lk_f")
    _lk_x=''
    if [ "$_lk_c" = 1 ]; then
        _lk_x=$(dfvm_leak_clean "$_lk_B" "$_lk_A")
        : >|"$_lk_s" # the table changed: the next binary takes its own before-record
    else
        printf '%s\n' "$_lk_A" >|"$_lk_s"
    fi
    printf '\036DFVM-LEAK %s before\n%s\n\036DFVM-LEAK %s after\n%s\n' "$_lk_m" "$_lk_B" "$_lk_m" "$_lk_A"
    [ -n "$_lk_x" ] && printf '\036DFVM-LEAK %s clean %s\n' "$_lk_m" "$_lk_x"
    printf '\036DFVM-LEAK %s end\n' "$_lk_m"
    return $_lk_rc # the lock is released when this shell ends (the next binary sees its pid gone)
}

if [ "${DFVM_LEAK_LIB:-}" != 1 ]; then
    _lk_marker=${DFVM_LEAK:-}
    _lk_flag=${DFVM_LEAK_MOUNT:-}
    _lk_clean=${DFVM_LEAK_CLEAN:-0}
    unset DFVM_LEAK DFVM_LEAK_MOUNT DFVM_LEAK_CLEAN # not the test binary's business
    [ $# -ge 1 ] || { echo "usage: dfvm-leakcheck TEST-BINARY [ARGUMENT...]" >&2; exit 2; }
    _lk_testlog=1
    for _lk_a in "$@"; do
        case $_lk_a in -test.testlogfile=*) _lk_testlog=0 ;; esac
    done
    dfvm_leak "$_lk_marker" "$_lk_flag" "$_lk_testlog" "$_lk_clean" "$@"
    exit $?
fi
