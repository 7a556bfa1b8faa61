package gateway

import (
	"sync"
	"time"
)

// BreakerSettings configure the circuit breaker kept per endpoint (that
// is, per provider and upstream).
type BreakerSettings struct {
	// Failures in a row that open the circuit; 0 disables the breaker.
	Failures int
	// OpenFor is how long an open circuit refuses calls before letting
	// one through to probe.
	OpenFor time.Duration
}

// DefaultBreaker opens after 5 upstream failures in a row, for 10 seconds.
var DefaultBreaker = BreakerSettings{Failures: 5, OpenFor: 10 * time.Second}

// breaker is a consecutive-failure circuit breaker: closed, open for
// OpenFor after Failures failures, then half-open (one probe at a time).
type breaker struct {
	set BreakerSettings
	now func() time.Time

	mu       sync.Mutex
	failures int
	openTill time.Time
	probing  bool
}

func newBreaker(s BreakerSettings, now func() time.Time) *breaker {
	return &breaker{set: s, now: now}
}

// allow reports whether a call may go to the upstream; when not, how long
// until it may.
func (b *breaker) allow() (bool, time.Duration) {
	if b.set.Failures <= 0 {
		return true, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures < b.set.Failures {
		return true, 0
	}
	now := b.now()
	if now.Before(b.openTill) {
		return false, b.openTill.Sub(now)
	}
	if b.probing {
		return false, b.set.OpenFor
	}
	b.probing = true
	return true, 0
}

// record notes a call's outcome: ok is false for an upstream failure
// (unreachable, timeout, 5xx, bad answer), true otherwise.
func (b *breaker) record(ok bool) {
	if b.set.Failures <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	if ok {
		b.failures = 0
		return
	}
	b.failures++
	if b.failures >= b.set.Failures {
		b.openTill = b.now().Add(b.set.OpenFor)
	}
}
