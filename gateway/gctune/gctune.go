// Package gctune paces the garbage collector of a berth gateway process:
// a gateway's live heap is small (a few MB at c=64, ~46 MB with 1,000
// streams open), so Go's default GOGC=100 collects every few MB of the
// per-call garbage; a higher GOGC collects less often and saves CPU per
// call (docs/gateway.md, "Speed"). A high GOGC alone lets the heap grow to
// (1 + GOGC/100) times the live heap, so Run also keeps a soft memory
// limit of twice the live heap plus a floor: while the heap is small the
// higher GOGC paces the collector, once it is large the limit does, and
// the collector never runs more often than GOGC=100 would make it.
package gctune

import (
	"context"
	"math"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Limit is the soft memory limit Run keeps for a live heap of live bytes:
// floor + 2 × live. Never below what GOGC=100 would let the heap reach
// (2 × live), so the limit alone never makes the collector run more often
// than Go's default would.
func Limit(live, floor int64) int64 {
	if live < 0 {
		live = 0
	}
	if live > (math.MaxInt64-floor)/2 {
		return math.MaxInt64
	}
	return floor + 2*live
}

// Run sets GOGC to percent and, every interval until ctx ends, the soft
// memory limit to Limit(live heap, floor); when ctx ends it puts back the
// GOGC and memory limit it found. It returns at once when percent ≤ 100
// (Go's default pacing is kept).
func Run(ctx context.Context, percent int, floor int64, interval time.Duration) {
	if percent <= 100 {
		return
	}
	oldPercent := debug.SetGCPercent(percent)
	oldLimit := debug.SetMemoryLimit(-1)
	defer func() {
		debug.SetGCPercent(oldPercent)
		debug.SetMemoryLimit(oldLimit)
	}()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	set := func() {
		metrics.Read(sample)
		live := int64(0)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			live = int64(min(sample[0].Value.Uint64(), math.MaxInt64))
		}
		debug.SetMemoryLimit(Limit(live, floor))
	}
	set()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			set()
		}
	}
}
