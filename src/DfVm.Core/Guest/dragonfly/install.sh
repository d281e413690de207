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
# again: the clean copy source. It is found by its content (/etc.hdd and
# /boot/kernel/kernel), not by unit number; without it the install fails: the live root
# keeps /etc, /var, /root and /tmp on tmpfs (nrelease/root/etc/fstab) and cpdup does not
# cross mounts, so a copy of / would have an empty /etc.
# /etc comes from the CD's /etc.hdd, as DragonFly's installer does it
# (usr.sbin/installer/dfuibe_installer/fn_install.c), plus the live CD's rc.d/pfi and
# defaults/pfi.conf (so the installed system runs the packages disc) and the CA bundle link
# /etc/ssl/cert.pem (so pkg can fetch over HTTPS); then pwd_mkdb.
# Settings (pfi.conf): dfvm_hostname (default dfly), dfvm_disk (default da0),
# dfvm_ifname (the NIC the VM definition implies, e.g. vtnet0 or em0; default: the first
# non-loopback interface the kernel sees).
# The disc must hold authorized_keys. Root's password is set to "*" (pw usermod -h -, usr.sbin/pw/pw.8: no
# password login, keys still work), the live CD's uid-0 "installer" account is deleted, and
# no account is left with an empty password; password logins stay off (stock
# sshd_config, plus keepalive probes that end sessions a live snapshot left without a client);
# sshd makes its host keys at first boot.
# Console markers: "DFVM-PFI: install start", "... done", "... failed: <why>", written to
# the console and straight to the serial port (/dev/cuaa0), so they reach the serial log
# whatever the console is.

PHASE=install
# dfvm-include: pfi-common.inc

finish() {
    sync
    poweroff
    # Keep rc from going on while the machine powers off.
    sleep 600
    exit "$1"
}

NAME=${dfvm_hostname:-dfly}
DISK=${dfvm_disk:-da0}
IFNAME=${dfvm_ifname:-}

say start

case "$NAME" in
    '' | *[!A-Za-z0-9.-]*) fail "bad hostname '$NAME'" ;;
esac
case "$DISK" in
    '' | *[!a-z0-9]*) fail "bad disk name '$DISK'" ;;
esac
[ -c "/dev/$DISK" ] || fail "no disk /dev/$DISK"
[ -s "$DISC/authorized_keys" ] || fail "no authorized_keys on the PFI disc ($DISC)"

# The network interface: the one pfi.conf names if the kernel has it, else the first one
# that is not a loopback or pseudo interface (the installed kernel is this one).
IFACES=$(ifconfig -l 2>/dev/null)
case " $IFACES " in
    *" $IFNAME "*) ;;
    *)
        [ -z "$IFNAME" ] || info "no interface $IFNAME (have: $IFACES); using the first one"
        IFNAME=
        for i in $IFACES; do
            case "$i" in
                lo* | pflog* | pfsync* | faith* | gif* | stf* | tun* | tap* | bridge* | carp* | vlan* | lagg* | ppp* | sl* | wg*) ;;
                *)
                    IFNAME=$i
                    break
                    ;;
            esac
        done
        ;;
esac
case "$IFNAME" in
    '' | *[!a-z0-9]*) fail "no network interface found (ifconfig -l: $IFACES)" ;;
esac
info "network interface $IFNAME"

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

# The release CD, found by its content. The booted ISO's drive may refuse a second mount.
SRC="$T/mnt"
SRC_DEV=
for dev in /dev/cd[0-9] /dev/acd[0-9]; do
    [ -c "$dev" ] || continue
    mount_cd9660 "$dev" "$SRC" 2>/dev/null || continue
    if [ -d "$SRC/etc.hdd" ] && [ -f "$SRC/boot/kernel/kernel" ]; then
        SRC_DEV=$dev
        break
    fi
    umount "$SRC" || fail "umount $SRC ($dev)"
done
[ -n "$SRC_DEV" ] || fail "no DragonFly release CD (with /etc.hdd and /boot/kernel/kernel) in any CD drive: attach the installer ISO a second time"
info "copying the system from $SRC_DEV"
run cpdup "$SRC/boot" "$T/boot"
run cpdup "$SRC" "$T"
# The live CD's /etc is for the CD; a disk gets /etc.hdd (fn_install.c does the same).
run rm -rf "$T/etc"
run cpdup "$SRC/etc.hdd" "$T/etc"
# /etc.hdd is copied from /etc before the release adds its own files (nrelease/Makefile:
# buildiso runs "cpdup etc etc.hdd", customizeiso then copies nrelease/root, which holds
# etc/rc.d/pfi and etc/defaults/pfi.conf), so the disk would boot without rc.d/pfi and never
# run the next phase's disc. Carry the live CD's over (nrelease/root/etc/rc.d/pfi reads
# /etc/defaults/pfi.conf when it is there; without it pfi_autologin is empty, not "NONE",
# and every boot would rewrite /etc/gettytab and /etc/ttys).
[ -f "$SRC/etc/rc.d/pfi" ] || fail "the release CD has no /etc/rc.d/pfi: the installed system could not run the next phase's disc"
run cp -p "$SRC/etc/rc.d/pfi" "$T/etc/rc.d/pfi"
if [ -f "$SRC/etc/defaults/pfi.conf" ]; then
    run mkdir -p "$T/etc/defaults"
    run cp -p "$SRC/etc/defaults/pfi.conf" "$T/etc/defaults/pfi.conf"
fi
# pkg fetches over HTTPS and its TLS library looks for the CA bundle at /etc/ssl/cert.pem.
# DPorts' ca_root_nss (installed on the CD by nrelease/Makefile's customizeiso, after
# /etc.hdd was made) links it from /etc, so /etc.hdd lacks the link: make it again.
if [ ! -e "$T/etc/ssl/cert.pem" ]; then
    CA=/usr/local/share/certs/ca-root-nss.crt
    [ -f "$T$CA" ] || fail "no CA bundle: neither /etc/ssl/cert.pem nor $CA on the release CD (pkg could not fetch over HTTPS)"
    run mkdir -p "$T/etc/ssl"
    run ln -sf "$CA" "$T/etc/ssl/cert.pem"
fi
rm -rf "$T/etc.hdd" "$T"/README* "$T"/autorun* "$T/dflybsd.ico" "$T/index.html"

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
ifconfig_${IFNAME}="inet 10.0.2.15 netmask 255.255.255.0"
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

# No passwordless logins on the disk: lock root's password (keys still work), delete the
# live CD's uid-0 "installer" account if it came along, and refuse to finish while any
# account has an empty password.
run pw -V "$T/etc" usermod root -h -
if pw -V "$T/etc" usershow installer >/dev/null 2>&1; then
    run pw -V "$T/etc" userdel installer
fi
run pwd_mkdb -p -d "$T/etc" "$T/etc/master.passwd"
EMPTY=$(awk -F: '!/^#/ && NF > 1 && $2 == "" { print $1 }' "$T/etc/master.passwd") || fail "read $T/etc/master.passwd"
[ -z "$EMPTY" ] || fail "accounts with an empty password remain: $EMPTY"

# A live snapshot saves the guest with DfVm's SSH sessions open; the QEMU that resumes it has no
# connection behind them, so those sshd sessions would wait forever. sshd's keepalive probes end
# them once the guest runs again (QEMU's user network answers a probe for an unknown connection
# with a reset): one probe after 15 s of silence, the session ends after 4 unanswered.
cat >>"$T/etc/ssh/sshd_config" <<'SSHDCONF' || fail "write /etc/ssh/sshd_config"
# DfVm: end sessions whose client is gone (left behind by live snapshots and restores).
ClientAliveInterval 15
ClientAliveCountMax 4
SSHDCONF

# Host keys are made by rc at first boot; never ship the live CD's.
rm -f "$T"/etc/ssh/ssh_host_*
rm -f "$T/etc/pfi.conf"

run umount "$SRC"
run umount "$T/boot"
run umount "$T"
rm -rf "$WORK"

say "done"
finish 0
