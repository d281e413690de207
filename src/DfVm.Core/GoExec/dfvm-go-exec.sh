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
#     binary is not sent again; a new one goes gzip'ed unless DFVM_GOEXEC_COMPRESS=0;
#   - runs it (through doas -n when the login user is not root) in the guest copy of the package
#     directory (GuestProjectPath, else /root/<project folder name>; sync the project first),
#     stdout and stderr streamed as they come, and exits with its exit code;
#   - when this wrapper ends early (go test's timeout, Ctrl+C, kill -9), the SSH channel closes and
#     the guest side kills the test binary and everything it started.
# Exit codes of its own: 2 (cannot find or reach the VM), 255 (ssh failed).
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

# A string setting of the config: Key = 'value', on a line of its own (as New-DfVmConfig writes it)
# or after '@{' or ';' (a one-line config)
setting() {
    [ -f "$config" ] || return 0
    sed -n "s/^/ /; s/.*[;{[:space:]]$1[[:space:]]*=[[:space:]]*['\"]\\([^'\"]*\\)['\"].*/\\1/p" "$config" | head -n 1
}

# A "Key": value of a JSON file the module wrote (one key per line)
json_value() {
    sed -n "s/^[[:space:]]*\"$2\"[[:space:]]*:[[:space:]]*\"\\{0,1\\}\\([^\",]*\\)\"\\{0,1\\},\\{0,1\\}[[:space:]]*\$/\\1/p" "$1" | head -n 1
}

vm=${DFVM_VM:-$(setting VmName)}
vm=${vm:-dfly}
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
    -o LogLevel=ERROR -o ServerAliveInterval=15 -o ServerAliveCountMax=4 \
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
            printf '%s: cannot connect to VM %s on 127.0.0.1:%s: %s\n' "$prog" "$vm" "$port" "$err" >&2
            exit 255
        fi
        rm -f "$errfile"
    fi
    rmdir "$lock" 2>/dev/null
fi

hash=$(sha256_of "$bin") || die "cannot hash $bin"
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
# The login user's cache folder, named by its login (~user, not $HOME, which doas changes to root's).
cache="~$user/.cache/dfvm-goexec"

# The guest side of one run. Exit 199 without running anything: the binary is not cached.
# The binary runs in the background with stdin from /dev/null; a watcher reads the SSH channel's
# stdin, which reaches EOF only when the host side goes away: then the binary's process tree is
# killed. The host keeps the channel's stdin open for as long as it waits (a FIFO it holds).
script="c=$cache; b=\$c/$hash/$name
[ -x \"\$b\" ] || exit 199
touch \"\$c/$hash\" 2>/dev/null
cd $(quote "$guestdir") 2>/dev/null || { echo \"dfvm-go-exec: the package directory $guestdir is not in VM $vm: sync the project first (Sync-DfVmProject, or Invoke-DfVmTest -Sync)\" >&2; exit 1; }
exec 3<&0
\"\$b\"$targs </dev/null &
p=\$!
( while read -r _; do :; done
  k() { kill -STOP \"\$1\" 2>/dev/null; for q in \$(pgrep -P \"\$1\" 2>/dev/null); do k \"\$q\"; done; kill -KILL \"\$1\" 2>/dev/null; }
  k \$p ) <&3 >/dev/null 2>&1 &
w=\$!
exec 3<&-
wait \$p
rc=\$?
kill -KILL \$w 2>/dev/null
exit \$rc"

upload() {
    c="c=$cache; umask 077; mkdir -p \"\$c/$hash\" && t=\$c/$hash/.$name.\$\$ &&"
    c="$c find \"\$c\" -mindepth 1 -maxdepth 1 -type d -mtime +2 -exec rm -rf {} + 2>/dev/null;"
    if [ "${DFVM_GOEXEC_COMPRESS:-1}" = 0 ]; then
        ssh "$@" -o ControlMaster=no 127.0.0.1 "$(remote "$c cat > \"\$t\" && chmod 700 \"\$t\" && mv -f \"\$t\" \"\$c/$hash/$name\"")" <"$bin"
    else
        gzip -1 -c "$bin" | ssh "$@" -o ControlMaster=no 127.0.0.1 "$(remote "$c gzip -dc > \"\$t\" && chmod 700 \"\$t\" && mv -f \"\$t\" \"\$c/$hash/$name\"")"
    fi
}

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

run "$@"
rc=$?
if [ $rc -eq 199 ]; then
    # not cached in the guest (or the binary itself exited 199: then it is cached)
    if ssh "$@" -o ControlMaster=no 127.0.0.1 "$(remote "c=$cache; test -x \"\$c/$hash/$name\"")" </dev/null; then
        exit 199
    fi
    upload "$@" || { printf '%s: could not copy %s into VM %s\n' "$prog" "$bin" "$vm" >&2; exit 255; }
    log "sent $hash $(wc -c <"$bin" | tr -d ' ')"
    run "$@"
    rc=$?
else
    log "cached $hash"
fi
exit $rc
