// dfvm-seedrng: credit a stored random seed to the kernel's entropy pool at boot.
//
// Under TCG the kernel needs many seconds of jitter sampling before getrandom() stops
// blocking, and ssh-keygen/sshd wait for it. This tool (run once, early, as root) feeds
// SEEDFILE plus the kernel command line (which differs per VM: dfvm.authkey) through
// RNDADDENTROPY, crediting the seed's bits, then replaces SEEDFILE with fresh bytes
// from the now-initialized generator so the next boot of the same disk differs.
// A test guest only: every overlay of one base starts from the same seed.
package main

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"syscall"
	"unsafe"
)

const rndAddEntropy = 0x40085203 // _IOW('R', 0x03, int[2])

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: dfvm-seedrng SEEDFILE")
		os.Exit(2)
	}
	path := os.Args[1]
	seed, err := os.ReadFile(path)
	if err != nil || len(seed) < 32 {
		fmt.Fprintln(os.Stderr, "dfvm-seedrng: no usable seed:", err)
		os.Exit(1)
	}
	cmdline, _ := os.ReadFile("/proc/cmdline")
	if err := credit(append(cmdline, seed...), len(seed)*8); err != nil {
		fmt.Fprintln(os.Stderr, "dfvm-seedrng: RNDADDENTROPY:", err)
		os.Exit(1)
	}
	fresh := make([]byte, 64)
	if _, err := io.ReadFull(rand.Reader, fresh); err != nil {
		fmt.Fprintln(os.Stderr, "dfvm-seedrng: getrandom:", err)
		os.Exit(1)
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, fresh, 0o600); err == nil {
		_ = os.Rename(tmp, path)
	}
}

func credit(data []byte, bits int) error {
	if bits > 256 {
		bits = 256
	}
	f, err := os.OpenFile("/dev/urandom", os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	// struct rand_pool_info { int entropy_count; int buf_size; __u32 buf[]; }
	req := make([]byte, 8+len(data))
	binary.LittleEndian.PutUint32(req[0:], uint32(bits)) // amd64 only
	binary.LittleEndian.PutUint32(req[4:], uint32(len(data)))
	copy(req[8:], data)
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), rndAddEntropy, uintptr(unsafe.Pointer(&req[0])))
	if errno != 0 {
		return errno
	}
	return nil
}
