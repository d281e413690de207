#!/usr/bin/env bash
# DfVm test guest: installs the DragonFly stand-ins into the guest's root tree and makes the
# stand-in DragonFly release CD (release.iso) that the install tests copy a system from.
#   setup.sh ROOT BUILD      (run by build-guest.sh, as root, after ROOT is complete)
# ROOT gets: the stand-ins (each names its DragonFly source file), /etc/master.passwd (made
# from passwd + shadow: DragonFly's password file), the live CD's /etc/defaults/pfi.conf, the
# CA bundle (/usr/local/share/certs/ca-root-nss.crt, linked from /etc/ssl/cert.pem as DPorts'
# ca_root_nss does), pkg's repository config sample and its local repository (a stand-in "go").
# BUILD/release.iso: ROOT without the Go toolchain (the installed test system gets Go's
# stand-in from pkg), laid out as DragonFly's nrelease/Makefile lays out a release CD:
# /etc.hdd is a copy of /etc made before the live CD's own files were added (buildiso runs
# `cpdup etc etc.hdd` before customizeiso copies nrelease/root, which holds etc/rc.d/pfi and
# etc/defaults/pfi.conf, and before DPorts' packages add /etc/ssl/cert.pem); /boot/kernel/kernel
# (a placeholder: the Linux guest boots its kernel directly).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$1
BUILD=$2

# ---- /bin/sh: dash, not busybox ash, which runs its own applets (fdisk, ifconfig, logger) for
# bare names ahead of PATH and so would hide the stand-ins. (The guest's strict-DragonFly work
# makes the same change; whichever lands, /bin/sh must be a shell without applets.)
if [ "$(readlink "$ROOT/usr/bin/sh" 2>/dev/null)" != dash ]; then
	install -m 0755 /usr/bin/dash "$ROOT/usr/bin/dash"
	ln -sf dash "$ROOT/usr/bin/sh"
fi

# ---- stand-ins
install -d "$ROOT/usr/libexec/dfly-standins" "$ROOT/usr/local/sbin" "$ROOT/usr/local/etc/pkg/repos" \
	"$ROOT/usr/local/share/certs" "$ROOT/etc/ssl" "$ROOT/etc/defaults" "$ROOT/var/db/pkg/dfly-standin"
install -m 0644 "$HERE/devmap.sh" "$ROOT/usr/libexec/dfly-standins/devmap.sh"
for s in fdisk disklabel newfs newfs_hammer2 mount.hammer2 mount.ufs mount_cd9660 pw pwd_mkdb ifconfig; do
	rm -f "$ROOT/usr/sbin/$s"
	install -m 0755 "$HERE/$s" "$ROOT/usr/sbin/$s"
done
ln -sf disklabel "$ROOT/usr/sbin/disklabel64"
for s in cpdup logger; do
	rm -f "$ROOT/usr/bin/$s"
	install -m 0755 "$HERE/$s" "$ROOT/usr/bin/$s"
done
install -m 0755 "$HERE/pkg" "$ROOT/usr/local/sbin/pkg"
install -m 0644 "$HERE/df-latest.conf.sample" "$ROOT/usr/local/etc/pkg/repos/df-latest.conf.sample"
echo "pkg-$(sed -n 's/^VERSION=//p' "$HERE/pkg")" >"$ROOT/var/db/pkg/dfly-standin/pkg"
install -d "$ROOT/usr/local/share/dfly-standins/repo/All"
(cd "$HERE/repo-go" && bsdtar -c -f "$ROOT/usr/local/share/dfly-standins/repo/All/go.tar" --uid 0 --gid 0 ./usr)
install -m 0644 "$HERE/pfi.conf.defaults" "$ROOT/etc/defaults/pfi.conf"
# The CA bundle: any PEM bundle does (the stand-in pkg only checks that it is there).
install -m 0644 /etc/ssl/certs/ca-certificates.crt "$ROOT/usr/local/share/certs/ca-root-nss.crt"
ln -sf /usr/local/share/certs/ca-root-nss.crt "$ROOT/etc/ssl/cert.pem"
# DragonFly's password file (name:password:uid:gid:class:change:expire:gecos:home:shell).
awk -F: 'NR == FNR { pw[$1] = $2; next } { print $1 ":" (($1 in pw) ? pw[$1] : "*") ":" $3 ":" $4 "::0:0:" $5 ":" $6 ":" $7 }' \
	"$ROOT/etc/shadow" "$ROOT/etc/passwd" >"$ROOT/etc/master.passwd"
chmod 0600 "$ROOT/etc/master.passwd"
# The live CD's /etc lives on a tmpfs (nrelease/root/etc/fstab): rc.d/pfi drops what an
# earlier boot left in this disk-backed /etc when this marker is there. Not in /etc.hdd.
echo "DfVm test guest: this /etc is the live CD's" >"$ROOT/etc/dfvm-livecd"
chown -R 0:0 "$ROOT/usr/libexec/dfly-standins" "$ROOT/usr/local/share/dfly-standins" "$ROOT/etc/defaults" "$ROOT/var/db/pkg"

# ---- the release CD
REL=$BUILD/work/release
rm -rf "$REL"
mkdir -p "$REL"
GO_DIRS=$(cd "$ROOT" && ls -d usr/lib/go-* usr/share/go-* 2>/dev/null || true)
EXCL=(--exclude ./root/.cache)
for d in $GO_DIRS; do EXCL+=(--exclude "./$d"); done
(cd "$ROOT" && bsdtar -c -f - "${EXCL[@]}" .) | (cd "$REL" && bsdtar -x -p -f -)
rm -f "$REL/usr/bin/go" "$REL/usr/bin/gofmt" "$REL/usr/local/bin/go" "$REL/usr/local/bin/gofmt"
cp -a "$REL/etc" "$REL/etc.hdd"
rm -f "$REL/etc.hdd/rc.d/pfi" "$REL/etc.hdd/defaults/pfi.conf" "$REL/etc.hdd/ssl/cert.pem" "$REL/etc.hdd/dfvm-livecd"
mkdir -p "$REL/boot/kernel"
echo "DfVm test guest: the Linux guest boots its kernel directly" >"$REL/boot/kernel/kernel"
bsdtar -c -f "$BUILD/release.iso" --format iso9660 --options 'volume-id=DFLY_STANDIN,rockridge=strict' -C "$REL" .
rm -rf "$REL"
