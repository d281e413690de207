#!/bin/sh
#
# DfVm: bring an imported guest (a disk the user already had) to what DfVm needs.
# Shipped with the DfVm module; Import-DfVm runs it over SSH as the VM's SSH user
# (root) with DfVm's own key, before provision.sh:
#     /bin/sh -s -- [--disable-password-login]
#
# Idempotent, like provision.sh: each change is printed as it is made,
# "DFVM-PROVISION: changed <what>", then "DFVM-PROVISION: changed=<count>".
# What it leaves alone on purpose is printed as "DFVM-PROVISION: kept <what>".
# Nothing that could lock the user out of their own VM is changed unless asked:
# password logins stay as they are without --disable-password-login, and the root
# password is never touched.

PATH=/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/local/go/bin
export PATH
umask 022

OS=$(uname -s)
CHANGED=0
DISABLE_PASSWORD=no
for arg in "$@"; do
    case "$arg" in
        --disable-password-login) DISABLE_PASSWORD=yes ;;
        *) echo "DFVM-PROVISION: failed: unknown argument '$arg'" >&2; exit 2 ;;
    esac
done

changed() {
    CHANGED=$((CHANGED + 1))
    echo "DFVM-PROVISION: changed $*"
}

kept() {
    echo "DFVM-PROVISION: kept $*"
}

fail() {
    echo "DFVM-PROVISION: failed: $*" >&2
    echo "DFVM-PROVISION: changed=$CHANGED"
    exit 1
}

# Go: DfVm runs go test in the guest. DragonFly: the go package (pkg is in base).
if command -v go >/dev/null 2>&1; then
    kept "go: $(command -v go) ($(go version 2>/dev/null))"
elif [ "$OS" = DragonFly ]; then
    ASSUME_ALWAYS_YES=yes
    export ASSUME_ALWAYS_YES
    pkg install -y go >&2 || fail "pkg install go failed (does the guest reach its package mirror?)"
    command -v go >/dev/null 2>&1 || fail "pkg installed go but no go is on PATH"
    changed "installed the go package ($(go version 2>/dev/null))"
else
    fail "no go on PATH, and this guest ($OS) has no package tool DfVm knows: install Go in the guest"
fi

# sshd: key-only logins, only when asked (the user may log in to their own VM by password).
SSHD_CONFIG=/etc/ssh/sshd_config
if [ "$DISABLE_PASSWORD" = yes ]; then
    [ -f "$SSHD_CONFIG" ] || fail "$SSHD_CONFIG not found"
    EDITED=no
    for setting in "PasswordAuthentication no" "KbdInteractiveAuthentication no" "ChallengeResponseAuthentication no" "PermitRootLogin prohibit-password"; do
        key=${setting%% *}
        if grep -qx "$setting" "$SSHD_CONFIG"; then
            continue
        fi
        # Comment out every active line of that keyword, then put ours first: sshd takes the first value.
        tmp="$SSHD_CONFIG.dfvm.$$"
        {
            echo "$setting"
            sed "s/^[[:space:]]*${key}[[:space:]].*/# (DfVm) &/" "$SSHD_CONFIG"
        } >"$tmp" || fail "cannot write $tmp"
        chmod 0644 "$tmp" || fail "cannot chmod $tmp"
        mv -f "$tmp" "$SSHD_CONFIG" || fail "cannot replace $SSHD_CONFIG"
        changed "$SSHD_CONFIG: $setting"
        EDITED=yes
    done
    if [ "$EDITED" = yes ]; then
        PIDFILE=
        for f in /var/run/sshd.pid /run/sshd.pid; do
            if [ -s "$f" ]; then PIDFILE=$f; break; fi
        done
        [ -n "$PIDFILE" ] || fail "sshd's pid file not found: reload sshd yourself"
        # read once: sshd rewrites its pid file when it re-executes on SIGHUP
        SSHD_PID=$(cat "$PIDFILE")
        kill -HUP "$SSHD_PID" || fail "could not reload sshd (pid $SSHD_PID)"
        changed "reloaded sshd (pid $SSHD_PID)"
    fi
else
    if [ -f "$SSHD_CONFIG" ] && grep -Eiq '^[[:space:]]*PasswordAuthentication[[:space:]]+yes' "$SSHD_CONFIG"; then
        kept "$SSHD_CONFIG: password logins stay on (Import-DfVm -DisablePasswordLogin turns them off)"
    fi
fi

echo "DFVM-PROVISION: changed=$CHANGED"
exit 0
