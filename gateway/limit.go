package gateway

import (
	"sync"
	"time"
)

// maxLimitClients bounds the clients one endpoint's limiter tracks. Past
// it, expired windows are dropped; if none has expired, the new clients
// share one window (stricter, never unbounded).
const maxLimitClients = 1 << 16

// limiter is MLflow's per-endpoint limit (slowapi's fixed window, keyed
// by the client's address): calls per period.
type limiter struct {
	calls  int
	period time.Duration
	now    func() time.Time

	mu      sync.Mutex
	windows map[string]*window
}

type window struct {
	start time.Time
	n     int
}

func newLimiter(calls int, period time.Duration, now func() time.Time) *limiter {
	return &limiter{calls: calls, period: period, now: now, windows: map[string]*window{}}
}

// allow counts a call by client and reports whether it is within the
// limit; when not, how long until the window renews.
func (l *limiter) allow(client string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.windows[client]
	if !ok {
		if len(l.windows) >= maxLimitClients {
			l.sweep(now)
		}
		if len(l.windows) >= maxLimitClients {
			client = ""
			w = l.windows[client]
		}
		if w == nil {
			w = &window{start: now}
			l.windows[client] = w
		}
	}
	if now.Sub(w.start) >= l.period {
		w.start, w.n = now, 0
	}
	if w.n >= l.calls {
		return false, w.start.Add(l.period).Sub(now)
	}
	w.n++
	return true, 0
}

func (l *limiter) sweep(now time.Time) {
	for k, w := range l.windows {
		if now.Sub(w.start) >= l.period {
			delete(l.windows, k)
		}
	}
}
