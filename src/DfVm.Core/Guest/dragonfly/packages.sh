#!/bin/sh
#
# DfVm PFI phase "packages" (phase 2), shipped with the DfVm module.
#
# Runs from a PFI disc while the installed system boots (its /etc/rc.d/pfi came from
# the live CD). Bootstraps pkg when needed, upgrades it, restores the repository
# config that upgrading pkg wipes on 6.4.0, installs the packages a Go test VM needs,
# removes /etc/pfi.conf so a later phase disc is found, and powers off.
# Settings (pfi.conf): dfvm_packages (default "go git doas rsync").
# Console markers: "DFVM-PFI: packages start", "... done", "... failed: <why>".

PATH=/sbin:/bin:/usr/sbin:/usr/bin:/usr/games:/usr/local/sbin:/usr/local/bin:/usr/pkg/sbin:/usr/pkg/bin
export PATH
umask 022

PHASE=packages
case "$0" in
    */*) DISC=${0%/*} ;;
    *) DISC=. ;;
esac

say() {
    echo "DFVM-PFI: $PHASE $*"
    logger -t dfvm-pfi "$PHASE $*" >/dev/null 2>&1 || true
}

finish() {
    # Without this the next boot would not look for a PFI disc.
    rm -f /etc/pfi.conf
    sync
    poweroff
    sleep 600
    exit "$1"
}

fail() {
    say "failed: $*"
    finish 1
}

run() {
    "$@" || fail "$* (exit $?)"
}

for conf in "$DISC/pfi.conf" /etc/pfi.conf; do
    if [ -r "$conf" ]; then
        # shellcheck disable=SC1090
        . "$conf"
        break
    fi
done
PACKAGES=${dfvm_packages:-go git doas rsync}

say start

case "$PACKAGES" in
    *[!A-Za-z0-9._+\ -]*) fail "bad package list '$PACKAGES'" ;;
esac

ASSUME_ALWAYS_YES=yes
export ASSUME_ALWAYS_YES

if ! pkg -N >/dev/null 2>&1; then
    run pkg bootstrap -f
fi
run pkg update -f
run pkg upgrade -y pkg

# 6.4.0 trap: upgrading pkg can wipe the repository config; put it back.
REPO=/usr/local/etc/pkg/repos/df-latest.conf
if [ -f "$REPO.sample" ]; then
    run cp "$REPO.sample" "$REPO"
fi
run pkg update -f

# The list is split into words on purpose.
# shellcheck disable=SC2086
run pkg install -y $PACKAGES

say "done"
finish 0
