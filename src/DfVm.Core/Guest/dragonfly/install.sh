#!/bin/sh
#
# DfVm PFI phase "install" (phase 1), shipped with the DfVm module.
#
# The DragonFly live CD's /etc/rc.d/pfi runs this from the PFI disc (mounted at /mnt)
# during boot. It partitions the disk, copies the system from a clean copy of the CD,
# sets up the serial console, a static address for QEMU user networking and key-only
# root SSH, then powers the machine off.
#
# Drives: cd0 = installer ISO (booted), cd1 = this PFI disc, cd2 = the installer ISO
# again (clean copy source; without it the live root is copied).
# Settings (pfi.conf): dfvm_hostname (default dfly), dfvm_disk (default da0).
# The disc must hold authorized_keys. No root password is ever set and password
# logins stay off (stock sshd_config); sshd makes its host keys at first boot.
# Console markers: "DFVM-PFI: install start", "... done", "... failed: <why>".

PATH=/sbin:/bin:/usr/sbin:/usr/bin:/usr/games:/usr/local/sbin:/usr/local/bin:/usr/pkg/sbin:/usr/pkg/bin
export PATH
umask 022

PHASE=install
case "$0" in
    */*) DISC=${0%/*} ;;
    *) DISC=. ;;
esac

say() {
    echo "DFVM-PFI: $PHASE $*"
    logger -t dfvm-pfi "$PHASE $*" >/dev/null 2>&1 || true
}

info() {
    echo "dfvm-pfi $PHASE: $*"
}

finish() {
    sync
    poweroff
    # Keep rc from going on while the machine powers off.
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

# Our settings: the disc's pfi.conf (rc.d/pfi also copied it to /etc/pfi.conf).
for conf in "$DISC/pfi.conf" /etc/pfi.conf; do
    if [ -r "$conf" ]; then
        # shellcheck disable=SC1090
        . "$conf"
        break
    fi
done
NAME=${dfvm_hostname:-dfly}
DISK=${dfvm_disk:-da0}

say start

case "$NAME" in
    '' | *[!A-Za-z0-9.-]*) fail "bad hostname '$NAME'" ;;
esac
case "$DISK" in
    '' | *[!a-z0-9]*) fail "bad disk name '$DISK'" ;;
esac
[ -c "/dev/$DISK" ] || fail "no disk /dev/$DISK"
[ -s "$DISC/authorized_keys" ] || fail "no authorized_keys on the PFI disc ($DISC)"

WORK=$(mktemp -d /tmp/dfvm-pfi.XXXXXX) || fail "mktemp"
# The target is mounted over /mnt below, hiding the disc: keep what we need from it.
run cp "$DISC/authorized_keys" "$WORK/authorized_keys"

info "partitioning /dev/$DISK"
run fdisk -IB "/dev/$DISK"
run disklabel -r -w -B "/dev/${DISK}s1" auto
disklabel "/dev/${DISK}s1" >"$WORK/label" || fail "disklabel ${DISK}s1 (read)"
# a: 1G UFS for /boot, d: the rest as HAMMER2 for /.
printf '%s\n' 'a: 1G 0 4.2BSD' 'd: * * HAMMER2' >>"$WORK/label"
run disklabel -R -r "${DISK}s1" "$WORK/label"

info "making file systems"
run newfs "/dev/${DISK}s1a"
run newfs_hammer2 -L ROOT "/dev/${DISK}s1d"

T=/mnt
run mount -t hammer2 "/dev/${DISK}s1d" "$T"
run mkdir -p "$T/boot" "$T/mnt"
run mount -t ufs "/dev/${DISK}s1a" "$T/boot"

SRC="$T/mnt"
SRC_MOUNTED=no
if [ -c /dev/cd2 ] && mount_cd9660 /dev/cd2 "$SRC"; then
    SRC_MOUNTED=yes
    info "copying the system from cd2"
else
    # No clean copy: the live root (cpdup does not descend into other mounts).
    SRC=/
    info "no cd2; copying the system from the live root"
fi
run cpdup "$SRC/boot" "$T/boot"
run cpdup "$SRC" "$T"

info "configuring"
cat >"$T/etc/fstab" <<FSTAB || fail "write /etc/fstab"
# Device		Mountpoint	FStype	Options	Dump	Pass#
/dev/${DISK}s1a		/boot		ufs	rw	1	1
/dev/${DISK}s1d		/		hammer2	rw	1	1
proc			/proc		procfs	rw	0	0
FSTAB

cat >"$T/boot/loader.conf" <<LOADER || fail "write /boot/loader.conf"
vfs.root.mountfrom="hammer2:${DISK}s1d"
console="comconsole"
autoboot_delay="1"
LOADER

# Static address: QEMU user networking always hands out 10.0.2.15 and DHCP at boot races.
cat >"$T/etc/rc.conf" <<RCCONF || fail "write /etc/rc.conf"
hostname="$NAME"
ifconfig_vtnet0="inet 10.0.2.15 netmask 255.255.255.0"
defaultrouter="10.0.2.2"
sshd_enable="YES"
dntpd_enable="NO"
dumpdev="NO"
RCCONF

# QEMU user networking's resolver (no DHCP to hand it out).
echo "nameserver 10.0.2.3" >"$T/etc/resolv.conf" || fail "write /etc/resolv.conf"

# rc.d/pfi stops looking for a PFI disc while /etc/pfi.conf exists (it even writes an
# empty one when it finds none): drop it late in every boot so a later phase disc is seen.
cat >>"$T/etc/rc.local" <<'RCLOCAL' || fail "write /etc/rc.local"
# DfVm: let the next boot look for a PFI disc again.
rm -f /etc/pfi.conf
RCLOCAL

run mkdir -p "$T/root/.ssh"
run chmod 0700 "$T/root/.ssh"
run cp "$WORK/authorized_keys" "$T/root/.ssh/authorized_keys"
run chmod 0600 "$T/root/.ssh/authorized_keys"

# Host keys are made by rc at first boot; never ship the live CD's.
rm -f "$T"/etc/ssh/ssh_host_*
rm -f "$T/etc/pfi.conf"

if [ "$SRC_MOUNTED" = yes ]; then
    run umount "$SRC"
fi
run umount "$T/boot"
run umount "$T"
rm -rf "$WORK"

say "done"
finish 0
