#!/usr/bin/env bash
# Build the Linux test guest that stands in for DragonFly BSD in DfVm's integration tests.
#
#   build-guest.sh [--out DIR] [--print-key]
#
# The guest is made from Debian packages installed on this machine (kernel, busybox-static,
# OpenSSH, csh, bsdtar, opendoas, Go) plus the files under tests/guest/{initramfs,rootfs}.
# Builds are cached by a sha256 of those inputs in
#   ${DFVM_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dfvm/guest}/<hash>/   (--out DIR replaces the root)
# holding vmlinuz, initrd.img, rootfs.qcow2, guest.json and the `complete` marker (written last;
# the directory is renamed into place atomically). The last line of stdout is that directory.
# --print-key prints the hash and exits without building.
# Needs root (device nodes, file owners, the kernel image is 0600). No mount, no network.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT_ROOT=${DFVM_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dfvm/guest}
PRINT_KEY=0
FORMAT=1 # bump when the layout of the outputs changes

log() { echo "build-guest: $*" >&2; }
die() {
	echo "build-guest: error: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case "$1" in
	--out)
		[ $# -ge 2 ] || die "--out needs a directory"
		OUT_ROOT=$2
		shift 2
		;;
	--out=*)
		OUT_ROOT=${1#--out=}
		shift
		;;
	--print-key)
		PRINT_KEY=1
		shift
		;;
	-h | --help)
		sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) die "unknown argument: $1" ;;
	esac
done
mkdir -p "$OUT_ROOT"
OUT_ROOT=$(cd "$OUT_ROOT" && pwd)

# ---------------------------------------------------------------- inputs
pick_kernel() {
	local v
	for v in $(ls /lib/modules 2>/dev/null | sort -rV); do
		if [ -e "/boot/vmlinuz-$v" ] && [ -f "/lib/modules/$v/modules.dep" ]; then
			echo "$v"
			return 0
		fi
	done
	return 1
}
KVER=${DFVM_GUEST_KVER:-$(pick_kernel)} || die "no kernel: apt-get install linux-image-amd64"
VMLINUZ=/boot/vmlinuz-$KVER
MODDIR=/lib/modules/$KVER
[ -e "$VMLINUZ" ] || die "missing $VMLINUZ"
[ -f "$MODDIR/modules.dep" ] || die "missing $MODDIR/modules.dep"

[ -x /usr/bin/go ] || die "no /usr/bin/go: apt-get install golang-go"
GOROOT_HOST=$(dirname "$(dirname "$(readlink -f /usr/bin/go)")") # /usr/lib/go-1.19
GO_NAME=$(basename "$GOROOT_HOST")                               # go-1.19
GO_SHARE=/usr/share/$GO_NAME                                     # Debian keeps src/ here
[ -f "$GOROOT_HOST/pkg/tool/linux_amd64/compile" ] || die "odd Go install at $GOROOT_HOST"

BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || die "no $BUSYBOX: apt-get install busybox-static"
CSH=/bin/bsd-csh
PAMDIR=/lib/x86_64-linux-gnu/security
# busybox serves the guest's own init only (init, acpid, syslogd, ip, insmod, poweroff -f...),
# from a folder on no user's PATH: the init scripts put it on theirs; sshd sessions, csh and
# /bin/sh -c never see it, so no applet answers for a command DragonFly lacks.
BB_DIR=/usr/libexec/dfvm/bb

# The userland every login sees, as DragonFly 6.4's base system has it (see
# docs/DRAGONFLY-RULES.md): /bin/sh is dash (no built-in applets), the commands below are
# Debian's (coreutils, findutils, grep, sed, mawk, procps, util-linux, diffutils), and the
# few whose DragonFly flags differ from Linux's and that DfVm uses are DragonFly-style
# stand-ins (bsdtools/: date, md5/sha1/sha256, uuencode/b64encode, stat, ps; rootfs: lsvfs).
# Left out because DragonFly 6.4 has no such command: sha256sum/md5sum/... (sbin/md5 is
# DragonFly's), setsid, nproc, ip, base64, stdbuf, bash, busybox.
USERLAND=(
	cat chmod chown chgrp cp cut dd df dirname basename du echo env expr false head id ln ls
	mkdir mkfifo mknod mktemp mv nice nohup od printf pwd readlink realpath rm rmdir sleep sort
	split stty sync tail tee test touch tr true tty uname uniq wc whoami logname printenv comm
	paste fold expand unexpand join tsort nl pr fmt csplit cksum truncate install link unlink yes
	seq timeout hostname find xargs grep sed ps pgrep kill cmp diff gzip dmesg mount umount
)

# Dynamic programs copied with their shared libraries: "source destination".
PROGRAMS=(
	"/usr/sbin/sshd /usr/sbin/sshd"
	"/usr/bin/ssh-keygen /usr/bin/ssh-keygen"
	"/usr/lib/openssh/sftp-server /usr/lib/openssh/sftp-server"
	"/usr/bin/doas /usr/bin/doas"
	"$CSH /usr/bin/bsd-csh"
	"/usr/bin/bsdtar /usr/bin/bsdtar"
	"/usr/bin/rsync /usr/bin/rsync"
	"$GOROOT_HOST/bin/go $GOROOT_HOST/bin/go"
	"$PAMDIR/pam_permit.so $PAMDIR/pam_permit.so"
	"$PAMDIR/pam_deny.so $PAMDIR/pam_deny.so"
	"/usr/bin/dash /usr/bin/sh"
	"/usr/bin/mawk /usr/bin/awk"
	"/usr/bin/[ /usr/bin/["
	"/usr/sbin/chroot /usr/sbin/chroot"
)
for c in "${USERLAND[@]}"; do
	PROGRAMS+=("/usr/bin/$c /usr/bin/$c")
done
PACKAGES=(
	"linux-image-$KVER" busybox-static openssh-server openssh-client openssh-sftp-server
	"golang-${GO_NAME#go-}-go" "golang-${GO_NAME#go-}-src" opendoas libarchive-tools csh rsync
	libc6 libpam0g libpam-modules dash coreutils findutils grep sed mawk procps mount util-linux
	diffutils gzip hostname debianutils
)
# Kernel modules, loaded with their dependencies in modules.dep order.
# Early: by the initramfs, before / is mounted (root disk, NIC, power button); required first.
# Late: from the root disk by /etc/rc.d/modules, in the background (CD-ROM/second disk for PFI, extras).
MODULES_REQUIRED=(virtio_pci virtio_blk crc32c_generic ext4)
MODULES_EARLY=(virtio_net e1000 button evdev)
MODULES_LATE=(
	virtio_scsi sd_mod virtio_rng
	cdrom sr_mod isofs ahci ata_piix vfat nls_cp437 nls_iso8859_1 nls_utf8
	loop
)

for p in "${PROGRAMS[@]}"; do
	set -- $p
	[ -e "$1" ] || die "missing $1 (see tests/guest/README.md for the Debian packages)"
done

# Shared libraries of every program (ldd output: "name => /path (addr)" or "/path (addr)").
libs_of() {
	ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
}
ALL_LIBS=$(for p in "${PROGRAMS[@]}"; do
	set -- $p
	libs_of "$1"
done | sort -u)

compute_key() {
	{
		echo "dfvm-guest format $FORMAT"
		echo "kernel $KVER $(stat -L -c '%s %Y' "$VMLINUZ")"
		dpkg-query -W "${PACKAGES[@]}" 2>&1 || true
		local f
		for f in $ALL_LIBS; do
			echo "lib $f $(stat -L -c '%s %Y' "$f")"
		done
		echo "modules ${MODULES_REQUIRED[*]} / ${MODULES_EARLY[*]} / ${MODULES_LATE[*]}"
		cd "$HERE"
		find build-guest.sh initramfs rootfs seedrng gowarm bsdtools dfly-standins -printf '%p %y %m %l\n' | LC_ALL=C sort
		find build-guest.sh initramfs rootfs seedrng gowarm bsdtools dfly-standins -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
	} | sha256sum | cut -d' ' -f1
}
KEY=$(compute_key)
if [ $PRINT_KEY = 1 ]; then
	echo "$KEY"
	exit 0
fi

FINAL=$OUT_ROOT/$KEY
if [ -f "$FINAL/complete" ]; then
	echo "$FINAL"
	exit 0
fi

[ "$(id -u)" = 0 ] || die "must run as root (file owners, device nodes, $VMLINUZ)"
for t in mke2fs qemu-img cpio gzip flock ldconfig ldd; do
	command -v "$t" >/dev/null || die "missing tool $t (apt-get install e2fsprogs qemu-utils cpio)"
done

# One builder at a time per cache root; whoever waited re-checks the cache.
exec 9>"$OUT_ROOT/.lock"
flock 9
if [ -f "$FINAL/complete" ]; then
	echo "$FINAL"
	exit 0
fi
# Leftovers of interrupted builds (nobody else builds: we hold the lock).
rm -rf "$OUT_ROOT"/.build-* "$FINAL"

START=$(date +%s)
BUILD=$(mktemp -d "$OUT_ROOT/.build-$KEY.XXXXXX")
chmod 0755 "$BUILD"
trap 'rm -rf "$BUILD"' EXIT
WORK=$BUILD/work
ROOT=$WORK/root
INITRD=$WORK/initrd
mkdir -p "$ROOT" "$INITRD"
log "building $KEY (kernel $KVER, $GO_NAME) in $BUILD"

# ---------------------------------------------------------------- root file system
# merged /usr, as Debian has it
mkdir -p "$ROOT"/usr/{bin,sbin,lib,lib64} "$ROOT"/usr/local/{bin,sbin,etc,lib}
ln -s usr/bin "$ROOT/bin"
ln -s usr/sbin "$ROOT/sbin"
ln -s usr/lib "$ROOT/lib"
ln -s usr/lib64 "$ROOT/lib64"
mkdir -p "$ROOT"/{dev,proc,sys,run,tmp,mnt,root,home,etc,var/log,var/tmp,var/empty,var/lib,var/spool,var/cache}
chmod 1777 "$ROOT/tmp" "$ROOT/var/tmp"
chmod 0700 "$ROOT/root"
ln -s ../run "$ROOT/var/run"
ln -s ../run/lock "$ROOT/var/lock"

# busybox and its applets, for the init scripts only (see BB_DIR above)
mkdir -p "$ROOT$BB_DIR"
cp "$BUSYBOX" "$ROOT${BB_DIR%/*}/busybox"
for a in $("$BUSYBOX" --list); do
	[ "$a" = busybox ] || ln -s ../busybox "$ROOT$BB_DIR/$a"
done

copy_file() { # SRC DEST-in-guest: copy the target of SRC, keep the mode
	mkdir -p "$(dirname "$ROOT$2")"
	rm -f "$ROOT$2"
	cp -L --preserve=mode "$1" "$ROOT$2"
}
for p in "${PROGRAMS[@]}"; do
	set -- $p
	copy_file "$1" "$2"
done
for f in $ALL_LIBS; do
	copy_file "$f" "$f"
done
ln -sf bsd-csh "$ROOT/usr/bin/csh"
ln -sf bsdtar "$ROOT/usr/bin/tar"
ln -sf pgrep "$ROOT/usr/bin/pkill"
cp /usr/bin/which.debianutils "$ROOT/usr/bin/which" # a POSIX sh script

# DragonFly-style date, md5/sha1/sha256, uuencode/b64encode, uudecode/b64decode and stat (bsdtools/main.go): one
# static binary, chosen by its name. sha256 and md5 live in /sbin on DragonFly (sbin/md5).
(cd "$HERE/bsdtools" && CGO_ENABLED=0 GOFLAGS='' GOPROXY=off GOCACHE="$OUT_ROOT/.gocache" \
	/usr/bin/go build -trimpath -ldflags='-s -w' -o "$ROOT/usr/libexec/dfvm/bsdtools" main.go ps.go)
for t in date stat uuencode b64encode uudecode b64decode; do ln -sf ../libexec/dfvm/bsdtools "$ROOT/usr/bin/$t"; done
# ps: DragonFly's options and keywords checked by bsdtools (ps.go), the listing by procps's ps.
mv "$ROOT/usr/bin/ps" "$ROOT/usr/libexec/dfvm/procps-ps"
ln -sf ../libexec/dfvm/bsdtools "$ROOT/usr/bin/ps"
for t in md5 sha1 sha256; do ln -sf ../libexec/dfvm/bsdtools "$ROOT/usr/sbin/$t"; done

# Go: GOROOT as Debian lays it out (src and pkg/include under /usr/share), without what
# `go build`/`go test` never read: the cmd/ archives, tests and testdata of the standard
# library, api/, misc/, test/, and the profiling/doc tools.
mkdir -p "$ROOT$GOROOT_HOST/pkg/tool" "$ROOT$GO_SHARE/pkg"
cp -a "$GOROOT_HOST/VERSION" "$ROOT$GOROOT_HOST/"
cp -L --preserve=mode "$GOROOT_HOST/bin/gofmt" "$ROOT$GOROOT_HOST/bin/"
ln -s "../../share/$GO_NAME/src" "$ROOT$GOROOT_HOST/src"
ln -s "../../../share/$GO_NAME/pkg/include" "$ROOT$GOROOT_HOST/pkg/include"
cp -a "$GO_SHARE/pkg/include" "$ROOT$GO_SHARE/pkg/"
(cd "$GOROOT_HOST/pkg" && tar -cf - --exclude=./linux_amd64/cmd ./linux_amd64) | tar -C "$ROOT$GOROOT_HOST/pkg" -xf -
mkdir -p "$ROOT$GOROOT_HOST/pkg/tool/linux_amd64"
for t in "$GOROOT_HOST"/pkg/tool/linux_amd64/*; do
	case "${t##*/}" in
	api | dist | doc | fix | pprof | trace) continue ;;
	esac
	cp -a "$t" "$ROOT$GOROOT_HOST/pkg/tool/linux_amd64/"
done
(cd "$GO_SHARE" && tar -cf - --exclude=testdata --exclude='*_test.go' --exclude=./src/cmd/vendor/github.com/google/pprof \
	./src) | tar -C "$ROOT$GO_SHARE" -xf -
# No C compiler in the guest, so Go runs there with CGO_ENABLED=0 (root's and dfuser's go env,
# sshd SetEnv, /etc/profile). Rebuild the standard archives that differ without cgo (net,
# os/user, crypto/...) so they are not stale there, using the guest's copy of the toolchain.
GO_GUEST=$ROOT$GOROOT_HOST/bin/go
go_host() { env -u GOROOT -u GOPATH CGO_ENABLED=0 GOFLAGS= GOPROXY=off GOTOOLCHAIN=local HOME="$WORK" "$@"; }
go_host GOCACHE="$OUT_ROOT/.gocache" "$GO_GUEST" install std
ln -sf "../lib/$GO_NAME/bin/go" "$ROOT/usr/bin/go"
ln -sf "../lib/$GO_NAME/bin/gofmt" "$ROOT/usr/bin/gofmt"

# Our configuration and scripts
cp -a "$HERE/rootfs/." "$ROOT/"
cp /etc/ssh/moduli "$ROOT/etc/ssh/moduli"
chown -R 0:0 "$ROOT"
chmod 4755 "$ROOT/usr/bin/doas" # after the chown, which clears set-uid
chmod 0755 "$ROOT"/etc/rc.d/* "$ROOT/etc/acpi/PWRF/00000080" "$ROOT"/usr/sbin/poweroff "$ROOT/usr/bin/lsvfs"
chmod 0640 "$ROOT/etc/shadow"
chmod 0644 "$ROOT/etc/doas.conf" "$ROOT/etc/ssh/sshd_config"
for h in halt reboot; do ln -sf poweroff "$ROOT/usr/sbin/$h"; done
# DragonFly keeps packages under /usr/local
ln -sf /usr/bin/doas "$ROOT/usr/local/bin/doas"
ln -sf /usr/bin/go "$ROOT/usr/local/bin/go"
ln -sf /usr/bin/gofmt "$ROOT/usr/local/bin/gofmt"
ln -sf /etc/doas.conf "$ROOT/usr/local/etc/doas.conf"
ln -sf /proc/self/mounts "$ROOT/etc/mtab"
mkdir -p "$ROOT/root/.ssh" "$ROOT/home/dfuser/.ssh" "$ROOT/root/.cache"
chmod 0700 "$ROOT/root/.ssh" "$ROOT/home/dfuser/.ssh"
chown -R 1000:1000 "$ROOT/home/dfuser"
chmod 0755 "$ROOT/home/dfuser"
ldconfig -r "$ROOT"
# root's build cache: vet facts and archives of the usual standard packages (see gowarm/)
cp -a "$HERE/gowarm" "$WORK/gowarm"
(cd "$WORK/gowarm" && go_host GOCACHE="$ROOT/root/.cache/go-build" GOPATH="$WORK/gopath" "$GO_GUEST" test -count=1 ./... >/dev/null)

# Boot-time entropy (see seedrng/main.go): without it ssh-keygen and sshd wait ~10 s for the
# kernel's generator under TCG.
(cd "$HERE/seedrng" && CGO_ENABLED=0 GOFLAGS='' GOPROXY=off GOCACHE="$OUT_ROOT/.gocache" \
	/usr/bin/go build -trimpath -ldflags='-s -w' -o "$ROOT/usr/sbin/dfvm-seedrng" main.go)
mkdir -p "$ROOT/var/lib/dfvm"
head -c 64 /dev/urandom >"$ROOT/var/lib/dfvm/random-seed"
chmod 0600 "$ROOT/var/lib/dfvm/random-seed"

# ---------------------------------------------------------------- kernel modules
declare -A MODFILE MODDEPS
while IFS= read -r line; do
	f=${line%%:*}
	n=${f##*/}
	n=${n%%.ko*}
	n=${n//-/_}
	MODFILE[$n]=$f
	MODDEPS[$f]=${line#*:}
done <"$MODDIR/modules.dep"
declare -A SEEN
LOAD_ORDER=()
add_module_file() { # path relative to $MODDIR; dependencies first
	local f=$1 d
	[ -z "${SEEN[$f]:-}" ] || return 0
	SEEN[$f]=1
	for d in ${MODDEPS[$f]:-}; do
		add_module_file "$d"
	done
	LOAD_ORDER+=("$f")
}
add_modules() { # NAME...: LOAD_ORDER gets the ones not yet seen
	local m
	LOAD_ORDER=()
	for m in "$@"; do
		if [ -n "${MODFILE[$m]:-}" ]; then
			add_module_file "${MODFILE[$m]}"
		else
			log "note: module $m not available as a module (built in or absent)"
		fi
	done
}
# Copy modules uncompressed and without their appended signature (checking it costs
# boot time under TCG; the kernel only notes the taint). Prints the load list.
install_modules() { # DESTROOT
	local f g size siglen
	for f in "${LOAD_ORDER[@]}"; do
		g=${f%.xz}
		g=${g%.zst}
		g=${g%.gz}
		mkdir -p "$1/lib/modules/$KVER/$(dirname "$f")"
		case "$f" in
		*.ko) cp "$MODDIR/$f" "$1/lib/modules/$KVER/$g" ;;
		*.ko.xz) xz -dc "$MODDIR/$f" >"$1/lib/modules/$KVER/$g" ;;
		*.ko.zst) zstd -qdc "$MODDIR/$f" >"$1/lib/modules/$KVER/$g" ;;
		*.ko.gz) gzip -dc "$MODDIR/$f" >"$1/lib/modules/$KVER/$g" ;;
		*) die "odd module file $f" ;;
		esac
		if [ "$(tail -c 28 "$1/lib/modules/$KVER/$g" | tr -d '\n')" = "~Module signature appended~" ]; then
			size=$(stat -c %s "$1/lib/modules/$KVER/$g")
			# struct module_signature (12 bytes, sig_len big-endian at its end) precedes the marker
			siglen=$(tail -c 32 "$1/lib/modules/$KVER/$g" | head -c 4 | od -An -tu1 | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
			truncate -s $((size - 28 - 12 - siglen)) "$1/lib/modules/$KVER/$g"
		fi
		echo "$KVER/$g"
	done
}
for m in "${MODULES_REQUIRED[@]}"; do
	[ -n "${MODFILE[$m]:-}" ] || grep -qE "/${m//_/[-_]}\.ko" "$MODDIR/modules.builtin" ||
		die "kernel module $m not found for $KVER"
done
mkdir -p "$INITRD"/{bin,dev,proc,sys,newroot,etc} "$ROOT/lib/modules/$KVER"
add_modules "${MODULES_REQUIRED[@]}" "${MODULES_EARLY[@]}"
install_modules "$INITRD" >"$INITRD/etc/modules.load"
add_modules "${MODULES_LATE[@]}"
install_modules "$ROOT" >"$ROOT/lib/modules/$KVER/dfvm-late.load"
echo "$KVER" >"$ROOT/lib/modules/dfvm-kernel"

# DragonFly's install commands as stand-ins, and the stand-in release CD (release.iso)
bash "$HERE/dfly-standins/setup.sh" "$ROOT" "$BUILD"

# ---------------------------------------------------------------- initramfs
cp "$BUSYBOX" "$INITRD/bin/busybox"
for a in $("$BUSYBOX" --list); do
	[ "$a" = busybox ] || ln -s busybox "$INITRD/bin/$a"
done
cp "$HERE/initramfs/init" "$INITRD/init"
cp "$HERE/initramfs/loader" "$INITRD/loader"
chmod 0755 "$INITRD/init" "$INITRD/loader"
mknod -m 0600 "$INITRD/dev/console" c 5 1
mknod -m 0666 "$INITRD/dev/null" c 1 3
# uncompressed: unpacking is a copy, no gunzip under TCG
(cd "$INITRD" && find . -print0 | LC_ALL=C sort -z | cpio --null --quiet -o -H newc -R 0:0) >"$BUILD/initrd.img"

# ---------------------------------------------------------------- outputs
# extract_vmlinux BZIMAGE OUT: the compressed payload decompressed, if it is an ELF with a
# PVH entry note (Xen note type 18, XEN_ELFNOTE_PHYS32_ENTRY).
extract_vmlinux() {
	local magic tool off
	for magic in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08' 'lz4:\x02\x21\x4c\x18' 'bzip2:BZh'; do
		tool=${magic%%:*}
		command -v "$tool" >/dev/null || continue
		for off in $(LC_ALL=C grep -obUaP "${magic#*:}" "$1" 2>/dev/null | cut -d: -f1 | head -n 3); do
			case "$tool" in
			lz4) tail -c +$((off + 1)) "$1" | lz4 -dc 2>/dev/null >"$2" || true ;;
			*) tail -c +$((off + 1)) "$1" | "$tool" -dc 2>/dev/null >"$2" || true ;;
			esac
			if [ "$(head -c 4 "$2" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ] && has_pvh_note "$2"; then
				return 0
			fi
		done
	done
	return 1
}
has_pvh_note() {
	if command -v readelf >/dev/null; then
		readelf -nW "$1" 2>/dev/null | grep -E '^ *Xen' | grep -qE '\(0x00000012\)|PHYS32'
	else
		return 0 # trust it: QEMU refuses an ELF without the note and the boot check would say so
	fi
}

cp "$VMLINUZ" "$BUILD/vmlinuz"
# The bzImage decompresses itself (XZ on Debian) in the guest: ~8 s under TCG. QEMU also boots
# the plain ELF kernel through its PVH entry point, so unpack it here when the kernel has one.
KERNEL_OUT=$BUILD/vmlinuz
if extract_vmlinux "$VMLINUZ" "$BUILD/vmlinux"; then
	KERNEL_OUT=$BUILD/vmlinux
else
	log "note: no PVH-bootable ELF in $VMLINUZ; guest.json uses the bzImage (slower boot)"
	rm -f "$BUILD/vmlinux"
fi
chmod 0644 "$BUILD"/vmlinu* "$BUILD/initrd.img"
truncate -s 8G "$WORK/rootfs.raw"
mke2fs -q -F -t ext4 -L dfvm-root -E root_owner=0:0 -d "$ROOT" "$WORK/rootfs.raw"
qemu-img convert -f raw -O qcow2 "$WORK/rootfs.raw" "$BUILD/rootfs.qcow2"
rm -rf "$WORK"

# cryptomgr.notests, mitigations=off: less work for the emulated CPU (a test VM on loopback);
# no_timer_check: under TCG on a loaded host the IO-APIC timer check can fail and panic the boot
APPEND="console=ttyS0,115200 root=/dev/vda rootfstype=ext4 rw quiet cryptomgr.notests mitigations=off no_timer_check"
cat >"$BUILD/guest.json" <<EOF
{
  "kernel": "$FINAL/${KERNEL_OUT##*/}",
  "initrd": "$FINAL/initrd.img",
  "disk": "$FINAL/rootfs.qcow2",
  "append": "$APPEND",
  "nic": "virtio-net-pci",
  "diskInterface": "virtio-blk-pci",
  "hash": "$KEY"
}
EOF
date -u +%Y-%m-%dT%H:%M:%SZ >"$BUILD/complete"
mv -T "$BUILD" "$FINAL"
trap - EXIT

# Each build is ~370 MB: keep the three newest, and never one a running QEMU boots from
# (its kernel path is in QEMU's argv).
in_use() { grep -qsF -- "$1/" /proc/[0-9]*/cmdline 2>/dev/null; }
find "$OUT_ROOT" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%T@ %p\n' | sort -rn | {
	n=0
	while read -r _ d; do
		[ -f "$d/complete" ] || continue
		n=$((n + 1))
		[ "$n" -le 3 ] && continue
		if in_use "$d"; then log "keeping $d: a running VM uses it"; continue; fi
		log "removing old build $d"
		rm -rf -- "$d"
	done
}
log "done in $(($(date +%s) - START)) s: $(du -sh --apparent-size "$FINAL/rootfs.qcow2" | cut -f1) disk, $(du -sh "$FINAL/initrd.img" | cut -f1) initrd"
echo "$FINAL"
