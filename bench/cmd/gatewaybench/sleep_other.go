//go:build !linux

package main

import "time"

// sleeper is time.Sleep where there is no timerfd (see sleep_linux.go).
type sleeper struct{}

func newSleeper() (*sleeper, error) { return &sleeper{}, nil }

func (*sleeper) sleep(d time.Duration) error { time.Sleep(d); return nil }

func (*sleeper) close() {}
