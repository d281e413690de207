#!/usr/bin/env bash
# Boot the test guest under TCG the way DfVm starts it, log in over SSH, check the userland,
# press the ACPI power button over QMP and check the clean shutdown.
#
#   boot-smoke.sh [--pfi] [--keep]
#
#   --pfi   also attach a PFI disc (ISO 9660 made with bsdtar, as an AHCI CD-ROM) whose script
#           writes a file and asks for power-off; check the guest runs it and stops by itself.
#   --keep  keep the temp dir (serial log, overlay) for a look afterwards.
# Builds (or reuses) the guest with build-guest.sh. Prints timings; exit 0 on success.
# Only the QEMU process started here is ever killed (by its pid).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PFI=0
KEEP=0
for a in "$@"; do
	case "$a" in
	--pfi) PFI=1 ;;
	--keep) KEEP=1 ;;
	*)
		echo "usage: $0 [--pfi] [--keep]" >&2
		exit 2
		;;
	esac
done

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
log() { echo "boot-smoke: $*" >&2; }

TMP=$(mktemp -d /tmp/dfvm-smoke.XXXXXX)
QEMU_PID=
cleanup() {
	local rc=$?
	if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
		kill "$QEMU_PID" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$QEMU_PID" 2>/dev/null || true
	fi
	if [ $rc -ne 0 ] && [ -f "$TMP/serial.log" ]; then
		log "FAILED; serial log tail:"
		tail -n 40 "$TMP/serial.log" | sed 's/^/  | /' >&2
	fi
	if [ $KEEP = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
	exit $rc
}
trap cleanup EXIT
fail() {
	log "FAIL: $*"
	exit 1
}

T=$(now)
DIR=$("$HERE/build-guest.sh" | tail -n 1)
log "guest $DIR (build-guest.sh took $(since "$T") s)"
json() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$DIR/guest.json" "$1"; }
KERNEL=$(json kernel)
INITRD=$(json initrd)
DISK=$(json disk)
APPEND=$(json append)
NIC=$(json nic)
DISKIF=$(json diskInterface)

ssh-keygen -q -t ed25519 -N '' -C dfvm-smoke -f "$TMP/id_ed25519"
AUTHKEY=$(base64 -w0 <"$TMP/id_ed25519.pub")
qemu-img create -q -f qcow2 -b "$DISK" -F qcow2 "$TMP/overlay.qcow2"

EXTRA=()
if [ $PFI = 1 ]; then
	mkdir -p "$TMP/pfi"
	printf 'pfi_script=smoke.sh\npfi_shutdown=YES\n' >"$TMP/pfi/pfi.conf"
	# waits (at most 120 s) for the go-ahead the SSH checks below leave in /tmp
	cat >"$TMP/pfi/smoke.sh" <<'EOF'
#!/bin/sh
echo "smoke pfi: PATH=$PATH"
echo "pfi was here" > /root/pfi-ran
n=0
while [ ! -e /tmp/pfi-go ] && [ $n -lt 1200 ]; do sleep 0.1; n=$((n + 1)); done
sync
echo "smoke pfi: done"
EOF
	# rc.d/pfi runs the script only when it is executable (as DragonFly's does)
	chmod 0755 "$TMP/pfi/smoke.sh"
	cp "$TMP/id_ed25519.pub" "$TMP/pfi/authorized_keys"
	bsdtar -c -f "$TMP/pfi.iso" --format iso9660 -C "$TMP/pfi" .
	EXTRA+=(-blockdev "{\"driver\":\"raw\",\"node-name\":\"cd0\",\"read-only\":true,\"file\":{\"driver\":\"file\",\"filename\":\"$TMP/pfi.iso\",\"read-only\":true}}"
		-device ide-cd,drive=cd0)
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)

T0=$(now)
qemu-system-x86_64 -name dfvm-smoke -accel tcg -machine q35 -m 512 -smp 2 -display none \
	-daemonize -pidfile "$TMP/qemu.pid" \
	-qmp "unix:$TMP/qmp.sock,server=on,wait=off" \
	-chardev "socket,id=ser0,path=$TMP/serial.sock,server=on,wait=off,logfile=$TMP/serial.log" \
	-serial chardev:ser0 \
	-nic "user,model=$NIC,hostfwd=tcp:127.0.0.1:$PORT-:22" \
	-kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND dfvm.authkey=$AUTHKEY" \
	-blockdev "{\"driver\":\"qcow2\",\"node-name\":\"disk0\",\"file\":{\"driver\":\"file\",\"filename\":\"$TMP/overlay.qcow2\"}}" \
	-device "$DISKIF,drive=disk0" "${EXTRA[@]}"
QEMU_PID=$(cat "$TMP/qemu.pid")
log "qemu pid $QEMU_PID, ssh on 127.0.0.1:$PORT"

# Wait for "SSH-" from sshd through the forward (a bare connect means nothing).
python3 - "$PORT" <<'EOF' || fail "no SSH banner within 120 s"
import socket, sys, time
port = int(sys.argv[1])
end = time.time() + 120
while time.time() < end:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
            s.settimeout(3)
            if s.recv(64).startswith(b"SSH-"):
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.2)
sys.exit(1)
EOF
BANNER=$(since "$T0")
log "SSH banner after $BANNER s"

SSH=(ssh -i "$TMP/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=20
	-o UserKnownHostsFile="$TMP/known_hosts" -o StrictHostKeyChecking=accept-new -p "$PORT")
OUT=$("${SSH[@]}" root@127.0.0.1 'id -u; echo $SHELL; tar --version; go version; doas true && echo doas-ok') ||
	fail "ssh as root failed"
printf '%s\n' "$OUT" | sed 's/^/  root> /' >&2
[ "$(sed -n 1p <<<"$OUT")" = 0 ] || fail "id -u is not 0"
[ "$(sed -n 2p <<<"$OUT")" = /bin/csh ] || fail "root's shell is not /bin/csh"
grep -q '^bsdtar ' <<<"$OUT" || fail "tar is not bsdtar"
grep -q '^go version go' <<<"$OUT" || fail "no go"
grep -q '^doas-ok$' <<<"$OUT" || fail "doas true failed"

# doas.conf has no rule for dfuser until provisioning writes one (as on a fresh DragonFly)
OUT=$("${SSH[@]}" dfuser@127.0.0.1 "/bin/sh -c 'id -u; doas -n id -u 2>/dev/null || echo no-doas; echo \$((6*7))'") || fail "ssh as dfuser failed"
printf '%s\n' "$OUT" | sed 's/^/  dfuser> /' >&2
[ "$OUT" = "$(printf '1000\nno-doas\n42')" ] || fail "dfuser: unexpected output"

# DragonFly's commands, not busybox's: sh is dash, no applet answers for what DragonFly lacks.
OUT=$("${SSH[@]}" root@127.0.0.1 "/bin/sh -c 'for c in busybox sha256sum setsid nproc ip base64; do command -v \$c >/dev/null && echo has-\$c; done; sha256 -q /etc/hostname >/dev/null && echo sha256-ok; echo x | uuencode -m - | head -n 1; date -u -j -f %s 0 +%Y; pgrep -P 1 >/dev/null && echo pgrep-ok'") ||
	fail "ssh for the userland check failed"
printf '%s\n' "$OUT" | sed 's/^/  root> /' >&2
[ "$OUT" = "$(printf 'sha256-ok\nbegin-base64 644 -\n1970\npgrep-ok')" ] || fail "root: the userland is not DragonFly's"

if [ $PFI = 1 ]; then
	OUT=$("${SSH[@]}" root@127.0.0.1 "/bin/sh -c 'cat /root/pfi-ran; cat /root/.ssh/authorized_keys; touch /tmp/pfi-go'") ||
		fail "ssh for the PFI check failed"
	grep -q '^pfi was here$' <<<"$OUT" || fail "the PFI script did not run"
	grep -qF "$(cut -d' ' -f2 "$TMP/id_ed25519.pub")" <<<"$OUT" || fail "PFI authorized_keys not installed"
	# The PFI script asked for power-off: wait for QEMU to exit by itself.
	for _ in $(seq 600); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$QEMU_PID" 2>/dev/null && fail "guest did not power off after the PFI script"
	QEMU_PID=
	for m in 'DFVM-GUEST: pfi found' 'smoke pfi: done' 'DFVM-GUEST: pfi script exit 0' 'DFVM-GUEST: clean shutdown'; do
		grep -qF "$m" "$TMP/serial.log" || fail "serial log lacks '$m'"
	done
	log "PFI script ran, guest powered off by itself"
	log "OK: boot to SSH banner $BANNER s"
	exit 0
fi

# ACPI power button; QMP system_powerdown can be lost early on: re-send until QEMU goes away.
T1=$(now)
python3 - "$TMP/qmp.sock" <<'EOF' || fail "QMP powerdown failed"
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rwb", buffering=0)
def cmd(name, i):
    f.write(json.dumps({"execute": name, "id": i}).encode() + b"\n")
json.loads(f.readline())  # greeting
cmd("qmp_capabilities", 0)
end = time.time() + 60
n = 1
s.settimeout(1)
last = 0
while time.time() < end:
    if time.time() - last > 4:
        cmd("system_powerdown", n); n += 1; last = time.time()
    try:
        line = f.readline()
    except socket.timeout:
        continue
    except OSError:
        sys.exit(0)  # reset: QEMU went away
    if not line:
        sys.exit(0)  # QEMU closed the socket: it exited
sys.exit(1)
EOF
for _ in $(seq 300); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$QEMU_PID" 2>/dev/null && fail "QEMU still running after system_powerdown"
QEMU_PID=
DOWN=$(since "$T1")
for m in 'DFVM-GUEST: booted' 'DFVM-GUEST: sshd started' 'DFVM-GUEST: power button, shutting down' \
	'DFVM-GUEST: clean shutdown' 'reboot: Power down'; do
	grep -qF "$m" "$TMP/serial.log" || fail "serial log lacks '$m'"
done
log "OK: boot to SSH banner $BANNER s; system_powerdown to QEMU exit $DOWN s"
