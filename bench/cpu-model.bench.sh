#!/bin/bash
# TCG's -cpu model, side by side in one run: the Linux test guest booted with each model in turn (alternated,
# $RUNS rounds), the same guest work timed from the host over SSH, and the host CPU time QEMU used for it
# (the work's steps and the SSH transfer: the boot not counted).
#   bench/cpu-model.bench.sh GUEST_DIR [RUNS] [MODELS...]     (GUEST_DIR: last line of tests/guest/build-guest.sh)
# Prints a markdown section (medians) for bench/RESULTS.md. Needs qemu-system-x86_64, qemu-img, ssh (all in .ci/run's list).
set -eu
guest=$1
runs=${2:-3}
shift $(($# >= 2 ? 2 : 1))
models=${*:-max Nehalem}
work=$(mktemp -d "${TMPDIR:-/tmp}/dfvm-cpubench.XXXXXX")
pid=''
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; fi
    rm -rf "$work"
}
trap cleanup EXIT
ssh-keygen -q -t ed25519 -N '' -f "$work/k"
mkdir "$work/src"
for d in $(seq 20); do
    mkdir "$work/src/d$d"
    for f in $(seq 100); do echo "file $d $f" >"$work/src/d$d/f$f"; done
done
tar -cf "$work/files.tar" -C "$work/src" .
# guest.json's string fields (build-guest.sh writes one "key": "value" per line)
field() { sed -n "s/^ *\"$1\": *\"\(.*\)\",*\$/\1/p" "$guest/guest.json"; }
now() { date +%s.%N; }
since() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.3f", a - b }'; }

run() { # run MODEL PORT: one boot and the work; prints "boot starts sha tar gotest cpu"
    local model=$1 port=$2 d="$work/$1-$2" t s deadline boot c0 c1 starts sha tarx gotest wire
    mkdir "$d"
    qemu-img create -q -f qcow2 -b "$(field disk)" -F qcow2 "$d/ov.qcow2"
    t=$(now)
    qemu-system-x86_64 -name cpubench -machine q35 -accel tcg -cpu "$model" -m 512 -smp 2 -display none -vga none \
        -rtc base=utc -pidfile "$d/pid" -serial "file:$d/serial.log" \
        -netdev "user,id=net0,hostfwd=tcp:127.0.0.1:$port-:22" -device virtio-net-pci,netdev=net0 \
        -blockdev "{\"driver\":\"qcow2\",\"node-name\":\"disk0\",\"file\":{\"driver\":\"file\",\"filename\":\"$d/ov.qcow2\"}}" \
        -device virtio-blk-pci,drive=disk0 -kernel "$(field kernel)" \
        -initrd "$(field initrd)" \
        -append "$(field append) dfvm.authkey=$(base64 -w0 <"$work/k.pub")" -daemonize
    pid=$(cat "$d/pid")
    s="ssh -q -i $work/k -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=2 -p $port root@127.0.0.1"
    deadline=$(($(date +%s) + 180))
    until $s true 2>/dev/null; do
        [ "$(date +%s)" -lt "$deadline" ] || { echo "no SSH from the guest ($model)" >&2; exit 1; }
        sleep 0.2
    done
    boot=$(since "$t")
    c0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    t=$(now); $s "/bin/sh -c 'i=0; while [ \$i -lt 100 ]; do /bin/true; i=\$((i + 1)); done'"; starts=$(since "$t")
    t=$(now); $s "/bin/sh -c 'dd if=/dev/zero bs=1M count=64 2>/dev/null | sha256 >/dev/null'"; sha=$(since "$t")
    t=$(now); $s "/bin/sh -c 'mkdir /tmp/x && cd /tmp/x && tar -xf -'" <"$work/files.tar"; tarx=$(since "$t")
    t=$(now)
    $s "/bin/sh -c 'mkdir /tmp/gt && cd /tmp/gt && printf \"module m\\ngo 1.19\\n\" >go.mod && printf \"package m\\nimport \\\"testing\\\"\\nfunc TestA(t *testing.T) {}\\n\" >a_test.go && go test -count=1 . >/dev/null'"
    gotest=$(since "$t")
    # 64 MiB through SSH into the guest, with the cipher DfVm's SSH client prefers (Ssh/GuestSession.cs)
    t=$(now); head -c 67108864 /dev/zero | $s -c chacha20-poly1305@openssh.com 'cat >/dev/null'; wire=$(since "$t")
    c1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    kill "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    pid=''
    echo "$boot $starts $sha $tarx $gotest $wire $(awk -v a="$c1" -v b="$c0" -v t="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (a - b) / t }')"
}

port=$((22300 + $$ % 500))
for r in $(seq "$runs"); do
    for m in $models; do
        port=$((port + 1))
        echo "$m $(run "$m" "$port")" >>"$work/rows"
        echo "round $r $m: $(tail -1 "$work/rows")" >&2
    done
done

median() { sort -n | awk '{a[NR] = $1} END {printf "%.2f", a[int((NR + 1) / 2)]}'; }
echo "## TCG CPU model: the same guest work under each (bench/cpu-model.bench.sh, $runs rounds alternated, medians)"
echo
echo "$(date -u +%Y-%m-%d), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(qemu-system-x86_64 --version | head -1)."
echo
echo "| -cpu | boot to SSH (s) | 100 program starts (s) | sha256 of 64 MiB (s) | tar -x of 2,000 files (s) | go test of one package (s) | 64 MiB into the guest over SSH (s) | host CPU of the work (s) |"
echo "|---|---|---|---|---|---|---|---|"
for m in $models; do
    row="| $m"
    for col in 2 3 4 5 6 7 8; do row="$row | $(awk -v m="$m" -v c="$col" '$1 == m {print $c}' "$work/rows" | median)"; done
    echo "$row |"
done
