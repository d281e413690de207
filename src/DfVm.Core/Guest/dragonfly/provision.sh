#!/bin/sh
#
# DfVm provisioning, shipped with the DfVm module. Run over SSH as root:
#     /bin/sh provision.sh [/absolute/project/dir ...]
# (or with DFVM_PROJECT_DIRS="dir1 dir2" in the environment).
#
# Idempotent: each run changes only what is missing and says so with
# "DFVM-PROVISION: changed <what>" lines, then "DFVM-PROVISION: changed=<count>".
# A second run prints "DFVM-PROVISION: changed=0". Exit status 0 on success.
# Runs on DragonFly and on the Linux test guest: BSD-only steps check uname -s.
# DFVM_SSH_USER names the VM's SSH user (default root): it gets a doas rule and owns the
# project folders made here.
# DFVM_DOAS_CONF overrides where doas.conf is (default: /usr/local/etc/doas.conf on
# DragonFly, /etc/doas.conf elsewhere).

PATH=/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin
export PATH
umask 022

OS=$(uname -s)
CHANGED=0

changed() {
    CHANGED=$((CHANGED + 1))
    echo "DFVM-PROVISION: changed $*"
}

fail() {
    echo "DFVM-PROVISION: failed: $*" >&2
    echo "DFVM-PROVISION: changed=$CHANGED"
    exit 1
}

# Run as root (ProvisionRunner logs in as root whatever the VM's SshUser is).
[ "$(id -u)" = 0 ] || fail "provisioning must run as root, not as $(id -un 2>/dev/null || id -u)"

# The VM's SSH user (DFVM_SSH_USER, set by ProvisionRunner): an elevated run (doas -n) as a
# non-root user needs its own doas rule, and its project folders must be its own.
SSH_USER=${DFVM_SSH_USER:-root}
case "$SSH_USER" in
    '' | -* | *[!A-Za-z0-9._-]*) fail "bad SSH user name '$SSH_USER'" ;;
esac
id "$SSH_USER" >/dev/null 2>&1 || fail "the SSH user '$SSH_USER' does not exist in the guest"

# doas: root, and the SSH user, may run anything as root without a password, keeping the environment.
case "$OS" in
    DragonFly) DOAS_CONF=/usr/local/etc/doas.conf ;;
    *) DOAS_CONF=/etc/doas.conf ;;
esac
DOAS_CONF=${DFVM_DOAS_CONF:-$DOAS_CONF}
add_doas_rule() { # RULE: appended unless the file already has that exact line
    if [ -f "$DOAS_CONF" ] && grep -qxF "$1" "$DOAS_CONF"; then
        return 0
    fi
    if [ -f "$DOAS_CONF" ]; then
        # Never glue the rule onto a last line that lacks its newline.
        if [ -s "$DOAS_CONF" ] && [ -n "$(tail -c 1 "$DOAS_CONF")" ]; then
            echo >>"$DOAS_CONF" || fail "cannot write $DOAS_CONF"
        fi
    else
        mkdir -p "$(dirname "$DOAS_CONF")" || fail "cannot create the folder of $DOAS_CONF"
        : >"$DOAS_CONF" || fail "cannot create $DOAS_CONF"
        chmod 0644 "$DOAS_CONF" || fail "cannot chmod $DOAS_CONF"
    fi
    echo "$1" >>"$DOAS_CONF" || fail "cannot write $DOAS_CONF"
    changed "$DOAS_CONF: added '$1'"
}
add_doas_rule 'permit nopass keepenv root'
if [ "$SSH_USER" != root ]; then
    add_doas_rule "permit nopass keepenv $SSH_USER as root"
fi

# DragonFly only: upgrading pkg on 6.4.0 can leave no repository config.
if [ "$OS" = DragonFly ]; then
    REPO=/usr/local/etc/pkg/repos/df-latest.conf
    if [ ! -f "$REPO" ] && [ -f "$REPO.sample" ]; then
        cp "$REPO.sample" "$REPO" || fail "cannot restore $REPO"
        changed "$REPO: restored from the sample"
    fi
fi

# Project folders.
if [ "$#" -eq 0 ] && [ -n "${DFVM_PROJECT_DIRS:-}" ]; then
    set -f
    # The list is split into words on purpose.
    # shellcheck disable=SC2086
    set -- $DFVM_PROJECT_DIRS
    set +f
fi
for dir in "$@"; do
    case "$dir" in
        /*) ;;
        *) fail "a project folder must be an absolute path: '$dir'" ;;
    esac
    if [ ! -d "$dir" ]; then
        mkdir -p "$dir" || fail "cannot create $dir"
        if [ "$SSH_USER" != root ]; then
            chown "$SSH_USER" "$dir" || fail "cannot give $dir to $SSH_USER"
        fi
        changed "created $dir"
    fi
done

echo "DFVM-PROVISION: changed=$CHANGED"
exit 0
