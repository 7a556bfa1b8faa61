package tracing

import (
	"context"
	"errors"
	"sync"
)

// SpanLogger is the one call of Store that a Batcher groups.
type SpanLogger interface {
	LogSpans(ctx context.Context, experimentID string, spans []Span) error
}

// Batcher is a group commit in front of a SpanLogger: concurrent LogSpans
// calls that arrive while one transaction is being written are gathered and
// written together in the next one, so a client that sends one span per
// request (MLflow's) costs a share of a transaction, not a whole one. The
// first caller to find no write in progress becomes the writer: it writes
// the waiting calls' spans until its own are written, then hands the
// writer's role to a caller still waiting. No goroutine runs between calls,
// and no call waits on a timer.
//
// Each call returns only once its own spans are written (or refused): a
// gathered write that fails is retried call by call, so one call's refused
// spans (a trace of another experiment) fail that call alone and never the
// others'.
type Batcher struct {
	store SpanLogger

	mu      sync.Mutex
	pending []*spanCall
	busy    bool // a writer is running
}

type spanCall struct {
	ctx   context.Context
	exp   string
	spans []Span
	done  chan error // the call's result, or errLead
}

// errLead tells a waiting call that it is now the writer.
var errLead = errors.New("tracing: lead the next write")

// NewBatcher returns a Batcher writing through store.
func NewBatcher(store SpanLogger) *Batcher { return &Batcher{store: store} }

// LogSpans writes spans as store.LogSpans does, gathered with the calls
// that arrive while another write is in progress.
func (b *Batcher) LogSpans(ctx context.Context, experimentID string, spans []Span) error {
	me := &spanCall{ctx: context.WithoutCancel(ctx), exp: experimentID, spans: spans, done: make(chan error, 1)}
	b.mu.Lock()
	b.pending = append(b.pending, me)
	if b.busy {
		b.mu.Unlock()
		if err := <-me.done; err != errLead {
			return err
		}
	} else {
		b.busy = true
		b.mu.Unlock()
	}
	for {
		b.mu.Lock()
		batch := b.pending
		b.pending = nil
		b.mu.Unlock()
		b.write(batch)
		select {
		case err := <-me.done:
			b.mu.Lock()
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
	}
	for _, exp := range exps {
		calls := byExp[exp]
		if len(calls) > 1 {
			var all []Span
			for _, c := range calls {
				all = append(all, c.spans...)
			}
			if err := b.store.LogSpans(calls[0].ctx, exp, all); err == nil {
				for _, c := range calls {
					c.done <- nil
				}
				continue
			}
		}
		for _, c := range calls {
			c.done <- b.store.LogSpans(c.ctx, exp, c.spans)
		}
	}
}
