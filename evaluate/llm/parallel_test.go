package llm

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestFanOut(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name              string
		jobs, concurrency int
		failAt            int // -1: none
		want              error
		maxRun            int64 // the most jobs that may start
		// holdUntilCancel: the other jobs wait for the failure's cancel,
		// so that none ends before it.
		holdUntilCancel bool
	}{
		{"every job, one at a time", 7, 0, -1, nil, 7, false},
		{"every job, four at a time", 9, 4, -1, nil, 9, false},
		{"more workers than jobs", 2, 8, -1, nil, 2, false},
		{"no jobs", 0, 3, -1, nil, 0, false},
		{"the first error stops it", 100, 1, 2, boom, 3, false},
		{"the first error cancels the running calls", 1000, 3, 1, boom, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make([]atomic.Int32, tt.jobs)
			var running, peak, ran atomic.Int64
			var stuck atomic.Bool
			err := fanOut(t.Context(), tt.jobs, tt.concurrency, func(ctx context.Context, k int) error {
				ran.Add(1)
				now := running.Add(1)
				defer running.Add(-1)
				for p := peak.Load(); now > p && !peak.CompareAndSwap(p, now); p = peak.Load() {
				}
				done[k].Add(1)
				if k == tt.failAt {
					return boom
				}
				if tt.holdUntilCancel && !stuck.Load() {
					select {
					case <-ctx.Done():
					case <-time.After(5 * time.Second):
						stuck.Store(true) // fail once, not once a job
						t.Errorf("job %d: the ctx was not cancelled after job %d failed", k, tt.failAt)
					}
				}
				return nil
			})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if p := peak.Load(); p > int64(max(1, tt.concurrency)) {
				t.Errorf("%d jobs ran at once, want at most %d", p, max(1, tt.concurrency))
			}
			if r := ran.Load(); r > tt.maxRun {
				t.Errorf("%d jobs started, want at most %d", r, tt.maxRun)
			}
			for k := range done {
				if n := done[k].Load(); n > 1 || (tt.want == nil && n != 1) {
					t.Errorf("job %d ran %d times", k, n)
				}
			}
		})
	}
}

func TestFanOutCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var ran atomic.Int64
	err := fanOut(ctx, 50, 2, func(ctx context.Context, k int) error {
		if ran.Add(1) == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if r := ran.Load(); r >= 50 {
		t.Errorf("all %d jobs ran after the ctx was cancelled", r)
	}
}
