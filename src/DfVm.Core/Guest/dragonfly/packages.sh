#!/bin/sh
#
# DfVm PFI phase "packages" (phase 2), shipped with the DfVm module.
#
# Runs from a PFI disc while the installed system boots (its /etc/rc.d/pfi came from
# the live CD: install.sh copies it). Fails clearly when pkg or the CA bundle is missing, writes a known-good repository config (the
# official repository from pkg's own sample, every other repository config disabled),
# tries pkg's self-upgrade (known to fail harmlessly on a fresh system: the Go team's
# builder runs it with "|| true") and puts the config back (upgrading pkg can wipe it on
# 6.4.0), checks that pkg answers, installs the packages strictly, checks "go version",
# removes /etc/pfi.conf so a later phase disc is found, and powers off.
# Settings (pfi.conf): dfvm_packages (default "go git doas rsync").
# Console markers: "DFVM-PFI: packages start", "... done", "... failed: <why>", written to
# the console and straight to the serial port (/dev/cuaa0). A failure names pkg's last lines.

PHASE=packages
# dfvm-include: pfi-common.inc

finish() {
    # Without this the next boot would not look for a PFI disc.
    rm -f /etc/pfi.conf
    sync
    poweroff
    sleep 600
    exit "$1"
}

PACKAGES=${dfvm_packages:-go git doas rsync}

say start

case "$PACKAGES" in
    *[!A-Za-z0-9._+\ -]*) fail "bad package list '$PACKAGES'" ;;
esac

ASSUME_ALWAYS_YES=yes
export ASSUME_ALWAYS_YES
LOG=$(mktemp /tmp/dfvm-pkg.XXXXXX) || fail "mktemp"

# pkg_run WHAT ARGS...: runs pkg, its output on the console and kept in $LOG; returns pkg's status.
pkg_run() {
    what=$1
    shift
    info "pkg $*"
    pkg "$@" >"$LOG" 2>&1
    rc=$?
    cat "$LOG"
    [ "$rc" -eq 0 ] || info "$what: pkg exit $rc"
    return "$rc"
}

# pkg_fail WHY: fails with pkg's last lines.
pkg_fail() {
    fail "$1: $(tail -n 5 "$LOG" | tr '\n' ' ')"
}

REPOS=/usr/local/etc/pkg/repos
REPO=$REPOS/df-latest.conf

# repo_config: the official repository only, from pkg's own sample, enabled.
repo_config() {
    [ -f "$REPO.sample" ] || fail "no $REPO.sample: cannot write a repository config"
    run cp "$REPO.sample" "$REPO"
    for conf in "$REPOS"/*.conf; do
        [ -f "$conf" ] || continue
        [ "$conf" = "$REPO" ] && continue
        run mv "$conf" "$conf.dfvm-disabled"
        info "disabled the repository config $conf"
    done
}

# DragonFly has no pkg(7) bootstrapper ("pkg bootstrap" is FreeBSD's): pkg comes from the
# release CD, which install.sh copied (nrelease/Makefile installs it from DPorts), and
# DragonFly's own way to get it back is "make pkg-bootstrap" in /usr (etc/Makefile.usr), which
# fetches a bootstrap package from the network. Say so instead of guessing.
command -v pkg >/dev/null 2>&1 ||
    fail "no pkg on the installed system (the release CD carries it): log in as root, run 'cd /usr && make pkg-bootstrap', then install the packages with 'pkg install $PACKAGES'"
# pkg fetches over HTTPS: its TLS library needs the CA bundle (install.sh links it).
[ -s /etc/ssl/cert.pem ] ||
    fail "no CA bundle at /etc/ssl/cert.pem: pkg cannot fetch over HTTPS (link it to /usr/local/share/certs/ca-root-nss.crt)"
run mkdir -p "$REPOS"
repo_config
# Warnings and a failed self-upgrade are harmless here; what counts is checked below.
pkg_run "catalogue update" update -f || info "pkg update failed; pkg install updates again"
pkg_run "self-upgrade" upgrade -y pkg || info "pkg self-upgrade failed (harmless on a fresh system)"
# 6.4.0 trap: upgrading pkg can wipe the repository config; write it again.
repo_config
pkg -v >"$LOG" 2>&1 || pkg_fail "pkg does not answer after its upgrade"
info "pkg $(cat "$LOG")"

# The list is split into words on purpose.
# shellcheck disable=SC2086
pkg_run "install" install -y $PACKAGES || pkg_fail "pkg install $PACKAGES failed"
case " $PACKAGES " in
    *" go "*)
        GOV=$(go version 2>&1) || pkg_fail "go version does not answer after pkg install ($GOV)"
        info "$GOV"
        ;;
esac
rm -f "$LOG"

say "done"
finish 0
