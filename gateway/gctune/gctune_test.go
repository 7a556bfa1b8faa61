package gctune_test

import (
	"context"
	"math"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/gateway/gctune"
)

func TestLimit(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct{ live, floor, want int64 }{
		{0, 64 * mib, 64 * mib},
		{5 * mib, 64 * mib, 74 * mib},
		{46 * mib, 64 * mib, 156 * mib}, // 1,000 streams open: under the 200 MB bound
		{-1, 64 * mib, 64 * mib},
		{math.MaxInt64 / 2, 64 * mib, math.MaxInt64},
	} {
		if got := gctune.Limit(tc.live, tc.floor); got != tc.want {
			t.Errorf("Limit(%d, %d) = %d, want %d", tc.live, tc.floor, got, tc.want)
		}
	}
}

// TestRun: while Run runs, GOGC is the percent given and the memory limit
// follows the live heap; when its context ends both are put back.
func TestRun(t *testing.T) {
	const floor = 64 << 20
	before := debug.SetGCPercent(-1)
	debug.SetGCPercent(before)
	limitBefore := debug.SetMemoryLimit(-1)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { gctune.Run(ctx, 400, floor, 10*time.Millisecond) })
	deadline := time.Now().Add(5 * time.Second)
	for debug.SetMemoryLimit(-1) == limitBefore && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	percent := debug.SetGCPercent(-1)
	debug.SetGCPercent(percent)
	if percent != 400 {
		t.Errorf("GOGC %d while Run runs, want 400", percent)
	}
	keep := make([][]byte, 0, 64) // 64 MiB live: the limit follows it up
	for range 64 {
		keep = append(keep, make([]byte, 1<<20))
	}
	runtime.GC()
	deadline = time.Now().Add(5 * time.Second)
	for debug.SetMemoryLimit(-1) < floor+2*(64<<20) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if l := debug.SetMemoryLimit(-1); l < floor+2*(64<<20) {
		t.Errorf("memory limit %d MiB with 64 MiB live, want at least %d", l>>20, (floor+2*(64<<20))>>20)
	}
	runtime.KeepAlive(keep)
	cancel()
	wg.Wait()
	if p := debug.SetGCPercent(-1); p != before {
		t.Errorf("GOGC %d after Run, want %d back", p, before)
	}
	debug.SetGCPercent(before)
	if l := debug.SetMemoryLimit(-1); l != limitBefore {
		t.Errorf("memory limit %d after Run, want %d back", l, limitBefore)
	}
	// Go's default pacing: nothing changes.
	gctune.Run(context.Background(), 100, floor, time.Millisecond)
	if p := debug.SetGCPercent(-1); p != before {
		t.Errorf("Run with 100 changed GOGC to %d", p)
	}
	debug.SetGCPercent(before)
}
