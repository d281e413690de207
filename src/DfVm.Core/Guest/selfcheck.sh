#!/bin/sh
#
# DfVm guest self-check, shipped with the DfVm module (Test-DfVmGuest, and the last step of
# Install-DfVm -Unattended). Runs over SSH as the VM's SSH user, from stdin:
#     /bin/sh -s -- /absolute/guest/project/path
# after a prefix DfVm writes in front of it: write_pax FILE (a small pax archive made by DfVm's
# own tar writer, the one the sync streams) and pax_name (the long name stored in it).
#
# Each check runs the command DfVm runs in the guest, with the flags it uses, and prints one line:
#     DFVM-CHECK <name> <ok|fail> <what was found>
# The host reads only these lines, only for names it knows, and decides the limits (Go version,
# free space, clock skew) itself. POSIX sh and DragonFly BSD 6.4's base system only. Everything
# this script writes is under one mktemp -d folder (removed at the end) and one probe file in the
# Go build cache (removed at once).

# pax_name and write_pax come from the prefix DfVm writes in front of this text.
# shellcheck disable=SC2154
project=${1:-/}

nl='
'
cr=$(printf '\r')
tab=$(printf '\t')
row() {
    # One line whatever the text holds: line breaks and tabs become spaces, at most 300 bytes.
    # A short one-line text is printed as it is: tr and cut cost three processes per row, which
    # under emulation (TCG) made up a third of the script's time. ${#3} is POSIX; DragonFly's sh
    # (bin/sh/expand.c) counts bytes in the C locale a DfVm login gets, as dash does on the test guest.
    case $3 in
        *"$nl"* | *"$cr"* | *"$tab"*) ;;
        *)
            if [ ${#3} -le 300 ]; then
                printf 'DFVM-CHECK %s %s %s\n' "$1" "$2" "$3"
                return
            fi
            ;;
    esac
    printf 'DFVM-CHECK %s %s %s\n' "$1" "$2" "$(printf '%s' "$3" | tr '\n\r\t' '   ' | cut -c 1-300)"
}

# 1. The clock first: the host compares it with its own as the line arrives.
row clock ok "$(date -u +%s 2>&1)"

t=$(mktemp -d "${TMPDIR:-/tmp}/dfvm-selfcheck.XXXXXX" 2>/dev/null) || t=''
if [ -z "$t" ] || [ ! -d "$t" ]; then
    t=''
fi
# shellcheck disable=SC2317 # called from the traps
cleanup() {
    if [ -n "$t" ]; then rm -rf -- "$t"; fi
}
trap cleanup EXIT
trap 'cleanup; exit 129' HUP
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
notemp="no scratch folder: mktemp -d in ${TMPDIR:-/tmp} failed"

# 2. tar reads a pax stream on stdin (Sync-DfVmProject: tar -xpf -; Copy-DfVmItem to the guest:
#    tar -xpf - -C dir). The sync runs /usr/bin/tar when there is one, else tar from PATH: both.
if [ -z "$t" ]; then
    row tar-extract fail "$notemp"
else
    tars=$(command -v tar 2>/dev/null)
    if [ -x /usr/bin/tar ] && [ "$tars" != /usr/bin/tar ]; then
        tars="$tars /usr/bin/tar"
    fi
    if [ -z "$tars" ]; then
        row tar-extract fail "no tar on PATH ($PATH)"
    elif ! write_pax "$t/pax.tar" 2>/dev/null; then
        row tar-extract fail "could not write the test archive into $t"
    else
        st=ok
        found=''
        n=0
        for tb in $tars; do
            n=$((n + 1))
            mkdir "$t/x$n" "$t/c$n"
            err=$(cd "$t/x$n" && "$tb" -xpf - <"$t/pax.tar" 2>&1)
            rc=$?
            err2=$("$tb" -xpf - -C "$t/c$n" <"$t/pax.tar" 2>&1)
            rc2=$?
            if [ $rc -ne 0 ]; then
                st=fail
                found="$found $tb -xpf -: exit $rc $err;"
            elif [ $rc2 -ne 0 ]; then
                st=fail
                found="$found $tb -xpf - -C: exit $rc2 $err2;"
            elif [ "$(cat "$t/x$n/dfvm-pax/$pax_name" 2>/dev/null)" != 'dfvm pax check' ] ||
                [ "$(cat "$t/c$n/dfvm-pax/$pax_name" 2>/dev/null)" != 'dfvm pax check' ]; then
                st=fail
                found="$found $tb: the file with a $(printf '%s' "$pax_name" | wc -c | tr -d ' ')-byte name (a pax path record) is missing or wrong after extracting;"
            elif [ ! -h "$t/x$n/dfvm-pax/link" ]; then
                st=fail
                found="$found $tb: the symlink was not extracted as a symlink;"
            else
                found="$found $tb: pax archive extracted (long name, symlink);"
            fi
        done
        row tar-extract "$st" "${found# }"
    fi
fi

# 3. tar writes an archive of ./names (Copy-DfVmItem -FromGuest: tar -cf - -- ./name ...), and the
#    base64 armour around it (uuencode -m -).
if [ -z "$t" ] || [ ! -d "$t/x1/dfvm-pax" ]; then
    row tar-create fail "${t:+nothing extracted to archive (see tar-extract)}${t:-$notemp}"
else
    mkdir "$t/y"
    err=$(cd "$t/x1/dfvm-pax" && tar -cf - -- ./link "./$pax_name" 2>&1 >"$t/c.tar")
    rc=$?
    if [ $rc -ne 0 ]; then
        row tar-create fail "tar -cf - -- ./name: exit $rc $err"
    elif ! (cd "$t/y" && tar -xpf - <"$t/c.tar") 2>/dev/null ||
        [ "$(cat "$t/y/$pax_name" 2>/dev/null)" != 'dfvm pax check' ] || [ ! -h "$t/y/link" ]; then
        row tar-create fail "tar -cf - -- ./name wrote an archive that does not extract to the same files"
    else
        row tar-create ok "tar -cf - -- ./name: $(tar --version 2>/dev/null | head -n 1)"
    fi
fi

u=$(printf 'dfvm' | uuencode -m - 2>&1)
rc=$?
first=$(printf '%s\n' "$u" | head -n 1)
last=$(printf '%s\n' "$u" | tail -n 1)
if [ $rc -ne 0 ]; then
    row uuencode fail "uuencode -m -: exit $rc $first"
elif [ "${first#begin-base64 }" = "$first" ] || [ "$last" != '====' ] || ! printf '%s\n' "$u" | grep -qx 'ZGZ2bQ=='; then
    row uuencode fail "uuencode -m - printed no base64 armour: $first ... $last"
else
    row uuencode ok "uuencode -m -: $first ... $last"
fi

# 4. The hash the sync's -Verify uses: sha256sum where there is one, else sha256 -r.
if [ -z "$t" ]; then
    row sha256 fail "$notemp"
else
    printf 'abc' >"$t/abc"
    want=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
    if command -v sha256sum >/dev/null 2>&1; then
        how='sha256sum'
        h=$(cd "$t" && sha256sum ./abc 2>&1)
    else
        how='sha256 -r'
        h=$(cd "$t" && sha256 -r ./abc 2>&1)
    fi
    case $h in
        "$want "*./abc) row sha256 ok "$how: $h" ;;
        *) row sha256 fail "$how ./abc printed: $h" ;;
    esac
fi

# 5. find as the sync and the go exec wrapper use it, and od -A n -v -t x1 (the sync listing).
if [ -z "$t" ]; then
    row find fail "$notemp"
    row od fail "$notemp"
else
    mkdir -p "$t/f/keep" "$t/f/skip"
    : >"$t/f/keep/a"
    : >"$t/f/skip/b"
    l=$(cd "$t/f" && find . \( -path './skip' \) -prune -o ! -type d -print0 2>&1 | tr '\0' '|')
    e=$(cd "$t/f" && find . -type f ! -name '*x*' -exec echo {} + 2>&1)
    m=$(find "$t/f" -mindepth 1 -maxdepth 1 -type d -mtime +2 -exec echo {} + 2>&1)
    rc=$?
    if [ "$l" != './keep/a|' ]; then
        row find fail "find . -prune -o ! -type d -print0 printed: $l"
    elif [ "$e" != './keep/a ./skip/b' ] && [ "$e" != './skip/b ./keep/a' ]; then
        row find fail "find . -type f -exec echo {} + printed: $e"
    elif [ $rc -ne 0 ] || [ -n "$m" ]; then
        row find fail "find -mindepth 1 -maxdepth 1 -type d -mtime +2: exit $rc $m"
    else
        row find ok "find -print0, -prune, -exec {} +, -mindepth/-maxdepth/-mtime"
    fi
    o=$(printf 'a\0' | od -A n -v -t x1 2>&1 | tr -s ' \n' '  ')
    case $o in
        ' 61 00 '|' 61 00'|'61 00 '|'61 00') row od ok "od -A n -v -t x1: $o" ;;
        *) row od fail "od -A n -v -t x1 printed: $o" ;;
    esac
fi

# 6. gzip -dc: the go exec wrapper sends test binaries gzip'ed.
g=$(printf 'dfvm' | gzip -1 -c 2>/dev/null | gzip -dc 2>&1)
if [ "$g" = dfvm ]; then
    row gzip ok "gzip -dc"
else
    row gzip fail "gzip -1 -c | gzip -dc printed: $g"
fi

# 7. The process tree: pgrep -P (the go exec wrapper), ps -ax (DfVm's tree kill), kill -STOP / -KILL.
sleep 60 &
child=$!
kids=$(pgrep -P $$ 2>&1)
rc=$?
table=$(ps -ax -o pid= -o ppid= 2>&1)
psrc=$?
kill -STOP "$child" 2>/dev/null
kill -KILL "$child" 2>/dev/null
wait "$child" 2>/dev/null
if [ $rc -ne 0 ] && [ -z "$kids" ]; then
    row pgrep fail "pgrep -P: exit $rc, no child listed"
elif printf '%s\n' "$kids" | grep -qx "$child"; then
    row pgrep ok "pgrep -P lists this shell's child $child"
else
    row pgrep fail "pgrep -P printed: $kids"
fi
# DfVm's tree kill (GuestProcessTree.cs) reads `ps -ax -o pid= -o ppid=` (bin/ps/ps.c: no -A).
if printf '%s\n' "$table" | awk -v c="$child" -v p="$$" '$1 == c && $2 == p { found = 1 } END { exit !found }'; then
    row ps ok "ps -ax -o pid= -o ppid= lists child $child of $$"
else
    row ps fail "ps -ax -o pid= -o ppid=: exit $psrc, child $child of $$ not listed: $(printf '%s' "$table" | head -n 3 | tr '\n' ' ')"
fi

# 8. doas for the SSH user: elevated suites and the go exec wrapper run doas -n.
me=$(id -un 2>/dev/null)
if [ "$(id -u)" = 0 ]; then
    row doas ok "SSH user ${me:-root} is root: DfVm runs nothing through doas"
elif ! command -v doas >/dev/null 2>&1; then
    row doas fail "no doas on PATH ($PATH) for $me"
else
    d=$(doas -n /bin/sh -c 'id -u' 2>&1 </dev/null)
    if [ "$d" = 0 ]; then
        row doas ok "doas -n /bin/sh -c runs as root for $me"
    else
        row doas fail "doas -n as $me: $d"
    fi
fi

# 9. Go: on the PATH a suite runs with; the host checks the version.
if command -v go >/dev/null 2>&1; then
    if v=$(go version 2>&1); then
        row go ok "$v ($(command -v go))"
    else
        row go fail "go version: $v"
    fi
    c=$(go env GOCACHE 2>&1)
    case $c in
        /*"$nl"* | '') ok=0 ;;
        /*) ok=1 ;;
        *) ok=0 ;;
    esac
    if [ $ok -eq 0 ]; then
        row go-cache fail "go env GOCACHE printed no absolute path: '$c'"
    elif ! mkdir -p "$c" 2>/dev/null; then
        row go-cache fail "cannot create $c as $me"
    else
        p="$c/dfvm-selfcheck.$$"
        if (: >"$p") 2>/dev/null && [ -f "$p" ]; then
            rm -f -- "$p"
            row go-cache ok "$c is writable by $me"
        else
            row go-cache fail "cannot write into $c as $me"
        fi
    fi
else
    row go fail "no go on PATH ($PATH)"
    row go-cache fail "no go on PATH"
fi

# 10. The file system types root-only suites mount (worker chroots): lsvfs names the loaded ones.
if command -v lsvfs >/dev/null 2>&1; then
    vfs=$(lsvfs 2>/dev/null | awk 'NR > 2 { print $1 }')
    for fs in nullfs tmpfs devfs procfs; do
        if printf '%s\n' "$vfs" | grep -qx "$fs"; then
            row "vfs-$fs" ok "lsvfs lists $fs"
        else
            row "vfs-$fs" fail "lsvfs does not list $fs (it lists: $(printf '%s' "$vfs" | tr '\n' ' '))"
        fi
    done
else
    for fs in nullfs tmpfs devfs procfs; do
        row "vfs-$fs" fail "no lsvfs on PATH ($PATH)"
    done
fi

# 11. The console on the serial port: DfVm reads panics and install progress from it. DragonFly's
# loader takes it from the kenv `console` (stand/boot: set by /boot/loader.conf); a Linux guest from
# its kernel command line (/sys/class/tty/console/active). The loader setting is asked first: the test
# guest's loader imitation writes /boot/loader.conf like an installed DragonFly.
k=$(kenv console 2>/dev/null)
if [ -z "$k" ] && [ -r /boot/loader.conf ]; then
    k=$(sed -n 's/^[[:space:]]*console[[:space:]]*=[[:space:]]*"\{0,1\}\([^"#]*\)"\{0,1\}.*/\1/p' /boot/loader.conf | tail -n 1)
fi
if [ -n "$k" ]; then
    case $k in
        *comconsole*) row serial-console ok "console=$k" ;;
        *) row serial-console fail "console=$k, without comconsole" ;;
    esac
elif [ -r /sys/class/tty/console/active ]; then
    a=$(cat /sys/class/tty/console/active 2>/dev/null)
    case " $a " in
        *' ttyS0 '*) row serial-console ok "kernel console: $a" ;;
        *) row serial-console fail "kernel console: '$a', not ttyS0" ;;
    esac
else
    row serial-console fail "no console setting (kenv console, /boot/loader.conf)"
fi

# 12. Free space where the project goes (the host checks the amount).
p=$project
while [ ! -e "$p" ] && [ "$p" != / ]; do
    p=$(dirname "$p")
done
dfl=$(df -k "$p" 2>/dev/null | tail -n 1)
# A long device name can push the numbers onto a line of their own: then avail is the 3rd field.
avail=$(printf '%s\n' "$dfl" | awk '{ if (NF == 5) print $3; else print $4 }')
case $avail in
    '' | *[!0-9]*) row disk-free fail "df -k $p printed: $dfl" ;;
    *) row disk-free ok "$avail $p" ;;
esac

# 13. uname -s / -m: -BuildOn Host picks GOOS and GOARCH from them.
row uname ok "$(uname -s 2>&1) $(uname -m 2>&1) $(uname -r 2>&1)"

exit 0
