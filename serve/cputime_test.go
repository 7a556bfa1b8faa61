package serve_test

import (
	"syscall"
	"time"
	"unsafe"
)

// clockThreadCPUTime is Linux's CLOCK_THREAD_CPUTIME_ID.
const clockThreadCPUTime = 3

// threadCPU is the CPU time the calling OS thread has used. A benchmark
// locked to its thread (runtime.LockOSThread) that calls a handler
// synchronously, and ONNX Runtime with one intra-op thread (berth's
// default) running on the caller's thread, count with it only their own
// work: on a machine shared with other work, time waiting for a CPU is
// left out, as wall time cannot leave it out.
func threadCPU() time.Duration {
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		panic(errno)
	}
	return time.Duration(ts.Nano())
}
