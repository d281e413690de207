#!/bin/sh
# dfvm-go-exec: runs one Go test binary as root in the project's DfVm VM.
#
# Installed by Install-DfVmGoExec as go_<goos>_<goarch>_exec (go test picks that name from PATH when
# GOOS/GOARCH differ from the host's), and usable as `go test -exec dfvm-go-exec`. go test runs it as
#   dfvm-go-exec /tmp/go-build.../pkg.test -test.paniconexit0 -test.timeout=10m0s ...
# with the package's source directory as the current directory.
#
# What it does:
#   - finds the VM: $DFVM_PROJECT (else the first folder holding DfVm.config.psd1 from the current
#     directory up), $DFVM_VM (else the config's VmName, else dfly); port from vm/<name>/state.json;
#   - one shared SSH connection per VM (OpenSSH ControlMaster, made once under a lock, kept
#     $DFVM_GOEXEC_PERSIST seconds after the last use), the VM's own key, its pinned host key
#     (vm/<name>/known_hosts, StrictHostKeyChecking=yes: a changed host key is refused);
#   - the binary is cached in the guest by its sha256 (~/.cache/dfvm-goexec/<hash>): an unchanged
#     binary is not sent again; a new one goes gzip'ed unless DFVM_GOEXEC_COMPRESS=0. A gzip'ed
#     upload is kept only when gzip -dc took it whole (its CRC-32 and length trailer); a plain one
#     only when its sha256 is the host's. The cached copy's sha256 is
#     checked before each run (a copy cut short or damaged is sent again, never run). A hash this
#     host never sent to the VM is not asked for first ($ctl.sent): it goes at once;
#   - runs it (through doas -n when the login user is not root) in the guest copy of the package
#     directory (GuestProjectPath, else /root/<project folder name>; sync the project first), in the
#     foreground of the guest shell (so with the signal dispositions a guest build gives it),
#     stdout and stderr streamed as they come, and exits with its exit code;
#   - when this wrapper ends early (go test's timeout, Ctrl+C, kill -9), the SSH channel closes and
#     the guest side kills the test binary and everything it started.
# Exit codes of its own: 2 (cannot find or reach the VM), 255 (ssh failed, or the binary could not
# be copied whole). DFVM_GOEXEC_CONNECT_TIMEOUT: seconds for the SSH connection (default 30).
# DFVM_GOEXEC_LOG=<file>: appends "sent <hash> <bytes>" or "cached <hash>" per run (tests, bench).

set -u
prog=${0##*/}

die() {
    printf '%s: %s\n' "$prog" "$*" >&2
    exit 2
}

[ $# -ge 1 ] || die "usage: $prog TEST-BINARY [ARGUMENT...]"
bin=$1
shift
[ -f "$bin" ] || die "no such test binary: $bin"

find_project() {
    d=$(pwd -P)
    while :; do
        if [ -f "$d/DfVm.config.psd1" ]; then
            printf '%s\n' "$d"
            return 0
        fi
        [ "$d" = / ] && return 1
        d=$(dirname "$d")
    done
}

if [ -n "${DFVM_PROJECT:-}" ]; then
    root=$(cd "$DFVM_PROJECT" 2>/dev/null && pwd -P) || die "DFVM_PROJECT=$DFVM_PROJECT is not a folder"
else
    root=$(find_project) || die "no DfVm.config.psd1 in $(pwd) or above: run go test inside a DfVm project, or set DFVM_PROJECT"
fi
config=$root/DfVm.config.psd1

# A top-level string setting of the config, read as PowerShell reads the data file: '#' and '<# #>'
# comments skipped, key names case-insensitive, 'single' ('' escapes) and "double" (`x escapes)
# quoted values, keys of nested hashtables (Suites) not taken. Prints nothing when the key is absent
# or its value is not a plain string.
setting() {
    [ -f "$config" ] || return 0
    awk -v want="$1" '
function tok(t, v) {
    if (t == "nl" && (state == 1 || state == 2)) return
    if (state == 4) {
        # the rest of a value that is not one plain string: up to the end of the entry
        if (t == "nl" || t == ";" || (t == "}" && depth == 1)) state = 0
        return
    }
    if (state == 3) {
        if (t == "nl" || t == ";" || t == "}") {
            if (key == want && !found) { found = 1; value = val }
            state = 0
        } else {
            state = 4
        }
        return
    } else if (state == 2) {
        if (t == "s") { val = v; state = 3; return }
        state = (t == "{") ? 0 : 4
        return
    } else if (state == 1) {
        state = (t == "=") ? 2 : 0
        return
    }
    if (state == 0 && (t == "w" || t == "s") && depth == 1) { key = tolower(v); state = 1 }
}
{ text = text $0 "\n" }
END {
    want = tolower(want); n = length(text); i = 1; depth = 0; state = 0; found = 0
    while (i <= n) {
        c = substr(text, i, 1)
        if (c == " " || c == "\t" || c == "\r") { i++; continue }
        if (c == "\n") { tok("nl", ""); i++; continue }
        if (c == "<" && substr(text, i + 1, 1) == "#") {
            j = index(substr(text, i + 2), "#>"); if (j == 0) break
            i = i + j + 3; continue
        }
        if (c == "#") { j = index(substr(text, i), "\n"); if (j == 0) break; i = i + j - 1; continue }
        if (c == "@" && substr(text, i + 1, 1) == "{") { tok("{", ""); depth++; i += 2; continue }
        if (c == "{") { tok("{", ""); depth++; i++; continue }
        if (c == "}") { tok("}", ""); depth--; i++; continue }
        if (c == "=" || c == ";") { tok(c, ""); i++; continue }
        if (c == "\047") {
            v = ""; i++
            while (i <= n) {
                c = substr(text, i, 1)
                if (c == "\047") { if (substr(text, i + 1, 1) != "\047") { i++; break }; i++ }
                v = v c; i++
            }
            tok("s", v); continue
        }
        if (c == "\"") {
            v = ""; i++
            while (i <= n) {
                c = substr(text, i, 1)
                if (c == "`") { i++; c = substr(text, i, 1) }
                else if (c == "\"") { if (substr(text, i + 1, 1) != "\"") { i++; break }; i++ }
                v = v c; i++
            }
            tok("s", v); continue
        }
        if (c ~ /[A-Za-z0-9_]/) {
            v = ""
            while (i <= n && substr(text, i, 1) ~ /[A-Za-z0-9_]/) { v = v substr(text, i, 1); i++ }
            tok("w", v); continue
        }
        tok("?", c); i++
    }
    if (found) print value
}' "$config"
}

# A "Key": value of a JSON file the module wrote (one key per line)
json_value() {
    sed -n "s/^[[:space:]]*\"$2\"[[:space:]]*:[[:space:]]*\"\\{0,1\\}\\([^\",]*\\)\"\\{0,1\\},\\{0,1\\}[[:space:]]*\$/\\1/p" "$1" | head -n 1
}

vm=${DFVM_VM:-$(setting VmName)}
vm=${vm:-dfly}
case $vm in
    [A-Za-z0-9]*) case $vm in *[!A-Za-z0-9_-]*) die "'$vm' is not a VM name (letters, digits, '-' and '_')" ;; esac ;;
    *) die "'$vm' is not a VM name (letters, digits, '-' and '_')" ;;
esac
vmroot=$(setting VmDirectory)
vmroot=${vmroot:-vm}
case $vmroot in
    /*) ;;
    *) vmroot=$root/$vmroot ;;
esac
vmdir=${DFVM_VM_DIR:-$vmroot/$vm}
[ -f "$vmdir/instance.json" ] || die "VM '$vm' does not exist in $vmroot (New-DfVm, or set DFVM_VM)"
[ -f "$vmdir/state.json" ] || die "VM '$vm' is not running (Start-DfVm -Name $vm)"
port=$(json_value "$vmdir/state.json" SshPort)
case $port in
    '' | 0 | *[!0-9]*) die "VM '$vm' is not running (Start-DfVm -Name $vm)" ;;
esac
user=$(json_value "$vmdir/instance.json" SshUser)
user=${user:-root}
[ -s "$vmdir/known_hosts" ] || die "VM '$vm' has no pinned host key yet in $vmdir/known_hosts: start it with Start-DfVm, which pins it"

guestroot=${DFVM_GUEST_PATH:-$(setting GuestProjectPath)}
guestroot=${guestroot:-/root/${root##*/}}
here=$(pwd -P)
case $here in
    "$root") guestdir=$guestroot ;;
    "$root"/*) guestdir=$guestroot/${here#"$root"/} ;;
    *) guestdir=$guestroot ;;
esac

# One control socket per VM and port, in a private folder (unix socket paths must stay short).
ctlbase=${XDG_RUNTIME_DIR:-${TMPDIR:-/tmp}}
ctldir=$ctlbase/dfvm-goexec-$(id -u)
[ -d "$ctldir" ] || mkdir -m 700 "$ctldir" 2>/dev/null
if ! [ -d "$ctldir" ] || ! [ -O "$ctldir" ] || [ -L "$ctldir" ]; then
    die "$ctldir is not a folder of this user"
fi
chmod 700 "$ctldir"

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    else
        sha256 -q "$1"
    fi
}
key=$(printf '%s|%s|%s' "$vmdir" "$port" "$user" | cksum | cut -d' ' -f1)
ctl=$ctldir/$key

# The test's arguments, sh-quoted for the guest script; then $@ becomes the ssh options.
quote() {
    printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}
targs=''
for a in "$@"; do
    targs="$targs $(quote "$a")"
done
set -- -F /dev/null -i "$vmdir/id_ed25519" -p "$port" -l "$user" \
    -o IdentitiesOnly=yes -o BatchMode=yes -o PasswordAuthentication=no \
    -o UserKnownHostsFile="$vmdir/known_hosts" -o GlobalKnownHostsFile=/dev/null \
    -o HostKeyAlias="dfvm-$vm" -o StrictHostKeyChecking=yes -o CheckHostIP=no -o UpdateHostKeys=no \
    -o LogLevel=ERROR -o ConnectTimeout="${DFVM_GOEXEC_CONNECT_TIMEOUT:-30}" \
    -o ServerAliveInterval=15 -o ServerAliveCountMax=4 \
    -o ControlPath="$ctl"

# sh text -> the one exec string for ssh: the guest's login shell may be csh (DragonFly's root), so
# the text always runs as /bin/sh -c '...', carried as printf octal escapes (no quote, !, newline).
remote() {
    printf "/bin/sh -c 'eval \"\$(printf \"%s\")\"'" "$(printf '%s' "$1" | od -An -v -t o1 | tr -d '\n' | sed 's/^ *//; s/ *$//; s/  */ /g; s/ /\\/g; s/^/\\/')"
}

# The shared connection: made once, under a lock, by the first wrapper that finds none.
connection_up() {
    ssh "$@" -O check 127.0.0.1 >/dev/null 2>&1
}
if ! connection_up "$@"; then
    lock=$ctl.lock
    waited=0
    until mkdir "$lock" 2>/dev/null; do
        if connection_up "$@"; then
            break
        fi
        waited=$((waited + 1))
        if [ $waited -ge 1200 ]; then # 60 s: a wrapper killed while holding the lock
            rmdir "$lock" 2>/dev/null
            waited=0
        fi
        sleep 0.05 2>/dev/null || sleep 1
    done
    if [ -d "$lock" ] && ! connection_up "$@"; then
        errfile=$ctl.err
        if ! ssh "$@" -o ControlMaster=yes -o ControlPersist="${DFVM_GOEXEC_PERSIST:-600}" -f -N 127.0.0.1 \
            </dev/null >/dev/null 2>"$errfile"; then
            rmdir "$lock" 2>/dev/null
            err=$(cat "$errfile" 2>/dev/null)
            rm -f "$errfile"
            case $err in
                *'Host key verification failed'* | *'REMOTE HOST IDENTIFICATION HAS CHANGED'* | *'host key'*)
                    printf '%s: the SSH host key of VM %s does not match the one pinned in %s: refused (something other than your guest may be answering). If you rebuilt the guest on purpose, run Reset-DfVmHostKey -Name %s.\n%s\n' \
                        "$prog" "$vm" "$vmdir/known_hosts" "$vm" "$err" >&2
                    exit 255
                    ;;
            esac
            case $err in
                *'timed out'* | *'Timeout'* | *'timeout'*)
                    err="$err (no SSH answer within ${DFVM_GOEXEC_CONNECT_TIMEOUT:-30} s: is the VM paused, hung or still booting? Get-DfVm -Name $vm)" ;;
            esac
            printf '%s: cannot connect to VM %s on 127.0.0.1:%s: %s\n' "$prog" "$vm" "$port" "$err" >&2
            exit 255
        fi
        rm -f "$errfile"
    fi
    rmdir "$lock" 2>/dev/null
fi

hash=$(sha256_of "$bin") || die "cannot hash $bin"
case $hash in
    *[!0-9a-f]* | '') die "cannot hash $bin" ;;
esac
name=${bin##*/}
log() {
    [ -n "${DFVM_GOEXEC_LOG:-}" ] && printf '%s\n' "$*" >>"$DFVM_GOEXEC_LOG"
    return 0
}

elevate=''
[ "$user" = root ] || elevate='doas -n '
case $user in
    '' | -* | *[!A-Za-z0-9._-]*) die "VM '$vm' has an SSH user name this wrapper does not handle: $user" ;;
esac
# The login user's cache folder, named by its login (~user, not $HOME, which doas changes to root's):
#   <hash>/<name>      a verified binary (its sha256 is <hash>), shared by later runs;
#   .run/<token>/<name> this run's own hard link to it, made after the hash was checked and removed
#                      when the run ends: a clean-up of <hash> meanwhile, or another wrapper replacing
#                      it, cannot touch what this run executes.
token=r$$-$(date +%s)-$(printf '%s' "$hash$bin" | cksum | cut -d' ' -f1)
vars="c=~$user/.cache/dfvm-goexec; h=$hash; n=$(quote "$name"); r=\$c/.run/$token"

# Links the cached binary for this run when its hash is right (a damaged copy is removed): prints
# cached or missing.
prepare="$vars; umask 077
mkdir -p \"\$r\" || exit 3
if ln \"\$c/\$h/\$n\" \"\$r/\$n\" 2>/dev/null; then
    if [ \"\$(sha256 -q \"\$r/\$n\" 2>/dev/null)\" = \"\$h\" ]; then touch \"\$c/\$h\"; echo cached; exit 0; fi
    rm -f \"\$r/\$n\"; rm -rf \"\$c/\$h\"
fi
echo missing"

# The binary from stdin into this run's folder; kept (and shared in the cache) only when it checks
# out: an upload cut short leaves nothing behind. It is shared by a hard link into <hash>/ unless a
# copy is there already (another wrapper's; a damaged one is removed by the sha256 check of the next
# run that would use it, which then sends it again).
upload() {
    size=$(wc -c <"$bin" | tr -d ' ')
    # A gzip'ed copy is checked by gzip -dc itself: the stream's trailer holds the CRC-32 and the length
    # of what it inflates, and a stream cut short is an error (the host sends one member). No second
    # pass over it in the guest, and no more programs: each start costs 40-60 ms under TCG
    # (bench/leaks.bench.ps1). A plain copy has no check of its own: its sha256.
    if [ "${DFVM_GOEXEC_COMPRESS:-1}" = 0 ]; then
        unpack='cat'
        check="s=\$(sha256 -q \"\$t\" 2>/dev/null); [ \"\$s\" = \"\$h\" ]"
    else
        unpack='gzip -dc'
        check=":"
    fi
    # The sweep of copies unused for two days runs once an hour, not on every upload.
    sweep=''
    if [ -z "$(find "$ctl.swept" -mmin -60 2>/dev/null)" ]; then
        : >"$ctl.swept"
        # the list of hashes sent starts again past 1 MiB: a hash missing from it costs one upload
        if [ -n "$(find "$ctl.sent" -size +2048 2>/dev/null)" ]; then : >"$ctl.sent"; fi
        # here too, the lists of VM/port pairs unused for two days go (a VM on a free port gets a new pair at
        # each start, and a removed VM leaves its own): only this folder's .sent/.swept files, which the
        # wrapper wrote; a live pair's are written at each upload (.sent) or hour (.swept)
        find "$ctldir" -maxdepth 1 -type f \( -name '*.sent' -o -name '*.swept' \) -mtime +2 -exec rm -f {} + 2>/dev/null
        sweep="find \"\$c\" -mindepth 1 -maxdepth 1 -type d ! -name .run -mtime +2 -exec rm -rf {} + 2>/dev/null
find \"\$c/.run\" -mindepth 1 -maxdepth 1 -type d -mtime +2 -exec rm -rf {} + 2>/dev/null"
    fi
    u="$vars; umask 077
$sweep
mkdir -p \"\$r\" \"\$c/\$h\" || exit 3
t=\$r/.part
$unpack >\"\$t\" || { rm -f \"\$t\"; printf 'dfvm-go-exec: the copy that reached the guest is incomplete or damaged: not kept\\n' >&2; exit 4; }
if ! { $check; }; then
    rm -f \"\$t\"
    printf 'dfvm-go-exec: the copy that reached the guest is incomplete or damaged (%s, not %s): not kept\\n' \"\${s:-unknown}\" $(quote "$size $hash") >&2
    exit 4
fi
chmod 700 \"\$t\" && mv -f \"\$t\" \"\$r/\$n\" || exit 3
ln \"\$r/\$n\" \"\$c/\$h/\$n\" 2>/dev/null
exit 0"
    if [ "${DFVM_GOEXEC_COMPRESS:-1}" = 0 ]; then
        ssh "$@" -o ControlMaster=no 127.0.0.1 "$(remote "$u")" <"$bin"
    else
        gzip -1 -c "$bin" | ssh "$@" -o ControlMaster=no 127.0.0.1 "$(remote "$u")"
    fi
}

# The guest side of one run. The binary runs in the foreground of the guest sh, stdin from
# /dev/null, so it starts with the signal dispositions a guest build gives it (a background job of
# a non-interactive sh would start with SIGINT and SIGQUIT ignored). A watcher in the background
# reads the SSH channel's stdin, which reaches EOF only when the host side goes away: then it kills
# the binary's process tree. The host keeps the channel's stdin open for as long as it waits (a FIFO
# it holds). The run's folder is removed in the background after the binary: the wrapper's exit, which
# go test waits for, does not wait for that program start (40-60 ms under TCG).
# Invoke-DfVmTest's leak check (DFVM_LEAK: the run's marker): the binary runs inside the dfvm_leak
# function of the leakcheck.sh the run wrote in the guest (/var/tmp/.dfvm-leakcheck-<DFVM_LEAK_SCRIPT>.sh).
leakrun=''
leaklib=''
if [ -n "${DFVM_LEAK:-}" ]; then
    case $DFVM_LEAK in *[!0-9a-f]*) die "DFVM_LEAK is not a marker: $DFVM_LEAK" ;; esac
    case ${DFVM_LEAK_MOUNT:-} in '' | -p) ;; *) die "DFVM_LEAK_MOUNT must be -p or empty" ;; esac
    case ${DFVM_LEAK_CLEAN:-0} in 0 | 1) ;; *) die "DFVM_LEAK_CLEAN must be 0 or 1" ;; esac
    case ${DFVM_LEAK_SCRIPT:-} in '' | *[!0-9a-f]*) die "DFVM_LEAK_SCRIPT is not a script id: ${DFVM_LEAK_SCRIPT:-}" ;; esac
    leaklib="DFVM_LEAK_LIB=1
. /var/tmp/.dfvm-leakcheck-$DFVM_LEAK_SCRIPT.sh || exit 125
"
    leakrun="dfvm_leak $DFVM_LEAK '${DFVM_LEAK_MOUNT:-}' 0 ${DFVM_LEAK_CLEAN:-0} "
fi
missing="dfvm-go-exec: the package directory $guestdir is not in VM $vm: sync the project first (Sync-DfVmProject, or Invoke-DfVmTest -Sync)"
script="$leaklib$vars
cd $(quote "$guestdir") 2>/dev/null || { printf '%s\\n' $(quote "$missing") >&2; rm -rf \"\$r\"; exit 1; }
[ -f \"\$r/\$n\" ] || { echo 'dfvm-go-exec: the binary of this run went away in the guest' >&2; exit 125; }
k() { kill -STOP \"\$1\" 2>/dev/null; for q in \$(pgrep -P \"\$1\" 2>/dev/null); do k \"\$q\"; done; kill -KILL \"\$1\" 2>/dev/null; }
exec 3<&0
( while read -r _; do :; done
  me=\$(exec /bin/sh -c 'echo \"\$PPID\"')
  for q in \$(pgrep -P \$\$ 2>/dev/null); do [ \"\$q\" = \"\$me\" ] || k \"\$q\"; done ) <&3 >/dev/null 2>&1 &
w=\$!
exec 3<&-
$leakrun\"\$r/\$n\"$targs </dev/null
rc=\$?
kill -KILL \$w 2>/dev/null
rm -rf \"\$r\" </dev/null >/dev/null 2>&1 &
exit \$rc"

fifo=$ctldir/run.$$
run() {
    rm -f "$fifo"
    mkfifo -m 600 "$fifo" || die "cannot make $fifo"
    ssh "$@" -o ControlMaster=no 127.0.0.1 "$elevate$(remote "$script")" <"$fifo" &
    sshpid=$!
    exec 9>"$fifo" # the channel's stdin stays open while this process (or its fd 9) lives
    rm -f "$fifo"
    wait $sshpid
    rc=$?
    exec 9>&-
    return $rc
}

# shellcheck disable=SC2317 # called from the traps below
stop() {
    exec 9>&- # EOF to the guest watcher: it kills the test binary
    [ -n "${sshpid:-}" ] && kill -TERM "$sshpid" 2>/dev/null
    rm -f "$fifo"
    exit "$1"
}
trap 'stop 130' INT
trap 'stop 143' TERM
trap 'stop 131' QUIT
trap 'stop 129' HUP

# The hashes this host sent to the VM: one it never sent is sent at once, without asking the guest
# first (a fresh build of an edited package, the edit loop's case). One it sent may be cached there.
sent=$ctl.sent
state=missing
if grep -qx "$hash" "$sent" 2>/dev/null; then
    state=$(ssh "$@" -o ControlMaster=no 127.0.0.1 "$(remote "$prepare")" </dev/null) || {
        printf '%s: cannot prepare the run of %s in VM %s (ssh exit %s)\n' "$prog" "$bin" "$vm" "$?" >&2
        exit 255
    }
fi
case $state in
    cached) log "cached $hash" ;;
    missing)
        upload "$@" || { printf '%s: could not copy %s into VM %s\n' "$prog" "$bin" "$vm" >&2; exit 255; }
        printf '%s\n' "$hash" >>"$sent"
        log "sent $hash $(wc -c <"$bin" | tr -d ' ')"
        ;;
    *)
        printf '%s: unexpected answer from VM %s while preparing the run\n' "$prog" "$vm" >&2
        exit 255
        ;;
esac
run "$@"
exit $?
