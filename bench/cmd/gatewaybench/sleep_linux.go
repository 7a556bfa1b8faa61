//go:build linux

package main

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// sleeper waits out the stand-in upstream's fixed delay on a timerfd the
// runtime's poller watches. A time.Sleep is late by up to a millisecond
// in a process with little else to do, and by a varying amount: Go's
// poller sleeps for its next timer in whole milliseconds (epoll_pwait's
// unit), so a 20 ms upstream answered in 20.0–21.8 ms, a spread as large
// as what the bench measures. A timerfd's expiry wakes the poller itself.
type sleeper struct{ f *os.File }

func newSleeper() (*sleeper, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("timerfd_create", err)
	}
	return &sleeper{f: os.NewFile(uintptr(fd), "timerfd")}, nil
}

func (s *sleeper) sleep(d time.Duration) error {
	rc, err := s.f.SyscallConn()
	if err != nil {
		return err
	}
	its := unix.ItimerSpec{Value: unix.NsecToTimespec(d.Nanoseconds())}
	if cerr := rc.Control(func(fd uintptr) { err = unix.TimerfdSettime(int(fd), 0, &its, nil) }); cerr != nil {
		return cerr
	}
	if err != nil {
		return os.NewSyscallError("timerfd_settime", err)
	}
	var expirations [8]byte
	_, err = s.f.Read(expirations[:])
	return err
}

func (s *sleeper) close() { s.f.Close() }
