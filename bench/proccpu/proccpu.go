// Package proccpu reads the CPU time processes have spent, for benchmarks
// that report CPU per request beside wall-clock rates: on a shared
// machine CPU time varies far less than requests per second.
package proccpu

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// clockTick is the unit of /proc/<pid>/stat's times: USER_HZ, 100 on every
// Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// Of is the CPU time (user + system, every thread's, exited ones included)
// process pid has spent, from /proc/<pid>/stat. It is known only on Linux
// and for pid > 0.
func Of(pid int) (time.Duration, bool) {
	if pid <= 0 {
		return 0, false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	d, err := Parse(b)
	return d, err == nil
}

// Sum is the CPU time of all of pids, leaving out any not known.
func Sum(pids ...int) time.Duration {
	var total time.Duration
	for _, pid := range pids {
		if d, ok := Of(pid); ok {
			total += d
		}
	}
	return total
}

// Parse reads utime and stime (fields 14 and 15) from a /proc/<pid>/stat
// line. The command name (field 2) is in parentheses and may hold spaces
// and parentheses itself: the fields after it are counted from its last
// ')'.
func Parse(b []byte) (time.Duration, error) {
	end := bytes.LastIndexByte(b, ')')
	if end < 0 {
		return 0, fmt.Errorf("no command name in %q", b)
	}
	f := bytes.Fields(b[end+1:]) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields after the command name, want at least 13", len(f))
	}
	var ticks int64
	for _, x := range f[11:13] {
		n, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad CPU time %q", x)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}

// Self is this process's CPU time (user + system), without its children's.
func Self() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
