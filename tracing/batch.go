package tracing

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// SpanLogger is the one call of Store that a Batcher groups.
type SpanLogger interface {
	LogSpans(ctx context.Context, experimentID string, spans []Span) error
}

// DefaultGatherWait is how long a Batcher's writer waits, at most, for the
// callers of the previous write to come back before it writes (see
// [WithGatherWait]).
const DefaultGatherWait = 3 * time.Millisecond

// Batcher is a group commit in front of a SpanLogger: concurrent LogSpans
// calls that arrive while one transaction is being written are gathered and
// written together in the next one, so a client that sends one span per
// request (MLflow's) costs a share of a transaction, not a whole one. The
// first caller to find no write in progress becomes the writer: it writes
// the waiting calls' spans until its own are written, then hands the
// writer's role to a caller still waiting. No goroutine runs between calls.
//
// Clients that send a request as soon as their previous one is answered
// (MLflow's exporter threads) all come back at once after a write; the
// first of them would find no write in progress and write alone, leaving
// the others to the next write, so that writes alternate between one call
// and the rest. A writer that finds fewer calls waiting than the previous
// write answered therefore waits, up to the gather wait, for that many to
// arrive. With one client, or when the previous write's calls are already
// back, nothing waits.
//
// Each call returns only once its own spans are written (or refused): a
// gathered write that fails is retried call by call, so one call's refused
// spans (a trace of another experiment) fail that call alone and never the
// others'.
type Batcher struct {
	store SpanLogger
	wait  time.Duration

	mu      sync.Mutex
	pending []*spanCall
	busy    bool          // a writer is running
	last    int           // calls the previous write answered
	want    int           // calls a waiting writer waits for; 0: none waits
	full    chan struct{} // closed when want calls are pending

	calls, spans, writes atomic.Uint64
}

type spanCall struct {
	ctx   context.Context
	exp   string
	spans []Span
	done  chan error // the call's result, or errLead
}

// errLead tells a waiting call that it is now the writer.
var errLead = errors.New("tracing: lead the next write")

// BatcherOption configures a Batcher.
type BatcherOption func(*Batcher)

// WithGatherWait sets the longest a writer waits for the previous write's
// callers to come back. Zero: never wait. Default: [DefaultGatherWait].
func WithGatherWait(d time.Duration) BatcherOption { return func(b *Batcher) { b.wait = d } }

// NewBatcher returns a Batcher writing through store.
func NewBatcher(store SpanLogger, opts ...BatcherOption) *Batcher {
	b := &Batcher{store: store, wait: DefaultGatherWait}
	for _, o := range opts {
		o(b)
	}
	return b
}

// BatchStats counts a Batcher's work since it was made: Calls LogSpans
// calls answered, Spans their spans and Writes the store's LogSpans calls
// (transactions) that wrote them. Calls/Writes is the mean calls per
// transaction.
type BatchStats struct {
	Calls, Spans, Writes uint64
}

// Stats returns b's counts so far.
func (b *Batcher) Stats() BatchStats {
	return BatchStats{Calls: b.calls.Load(), Spans: b.spans.Load(), Writes: b.writes.Load()}
}

// LogSpans writes spans as store.LogSpans does, gathered with the calls
// that arrive while another write is in progress.
func (b *Batcher) LogSpans(ctx context.Context, experimentID string, spans []Span) error {
	me := &spanCall{ctx: context.WithoutCancel(ctx), exp: experimentID, spans: spans, done: make(chan error, 1)}
	b.mu.Lock()
	b.pending = append(b.pending, me)
	if b.want > 0 && len(b.pending) >= b.want {
		close(b.full)
		b.want = 0
	}
	if b.busy {
		b.mu.Unlock()
		if err := <-me.done; err != errLead {
			return err
		}
		b.mu.Lock()
	} else {
		b.busy = true
	}
	b.gather()
	b.mu.Unlock()
	for {
		b.mu.Lock()
		batch := b.pending
		b.pending = nil
		b.mu.Unlock()
		b.write(batch)
		select {
		case err := <-me.done:
			b.mu.Lock()
			b.last = len(batch)
			if len(b.pending) > 0 {
				b.pending[0].done <- errLead
			} else {
				b.busy = false
			}
			b.mu.Unlock()
			return err
		default: // my call arrived after this batch was taken: write the next
		}
	}
}

// gather waits, with b.mu held and released while waiting, up to b.wait
// for as many calls as the previous write answered to be pending.
func (b *Batcher) gather() {
	if b.wait <= 0 || len(b.pending) >= b.last {
		return
	}
	b.want, b.full = b.last, make(chan struct{})
	full := b.full
	b.mu.Unlock()
	t := time.NewTimer(b.wait)
	select {
	case <-full:
	case <-t.C:
	}
	t.Stop()
	b.mu.Lock()
	b.want = 0
}

// write writes one gathered batch, a transaction per experiment, and
// answers each call in it.
func (b *Batcher) write(batch []*spanCall) {
	var exps []string
	byExp := map[string][]*spanCall{}
	for _, c := range batch {
		if _, ok := byExp[c.exp]; !ok {
			exps = append(exps, c.exp)
		}
		byExp[c.exp] = append(byExp[c.exp], c)
		b.calls.Add(1)
		b.spans.Add(uint64(len(c.spans)))
	}
	for _, exp := range exps {
		calls := byExp[exp]
		if len(calls) > 1 {
			all := make([]Span, 0, len(calls))
			for _, c := range calls {
				all = append(all, c.spans...)
			}
			b.writes.Add(1)
			if err := b.store.LogSpans(calls[0].ctx, exp, all); err == nil {
				for _, c := range calls {
					c.done <- nil
				}
				continue
			}
		}
		for _, c := range calls {
			b.writes.Add(1)
			c.done <- b.store.LogSpans(c.ctx, exp, c.spans)
		}
	}
}
