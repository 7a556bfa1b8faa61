package gateway

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/berthml/berth/gateway/provider"
)

// attempt is one call to one endpoint's provider. started reports whether
// a stream has sent the client anything (then nothing is retried).
type attempt func(ctx context.Context, ep *endpoint) error

// timing is what the gateway spent waiting, so the overhead can be told
// from the upstream's time.
type timing struct {
	upstream time.Duration // inside provider calls
	waiting  time.Duration // backing off between retries
	first    time.Time     // when the first upstream call started
}

// call runs fn on ep, retrying retryable failures (ep.cfg.MaxRetries
// times, backing off, honouring Retry-After) within ep's timeout, then on
// each of ep's fallbacks in turn. It returns the endpoint that answered.
func (g *Gateway) call(ctx context.Context, ep *endpoint, t *timing, started func() bool, fn attempt) (*endpoint, error) {
	err := g.callOne(ctx, ep, t, started, fn)
	if err == nil {
		return ep, nil
	}
	if len(ep.fallback) == 0 || started() || ctx.Err() != nil || !fallbackWorthy(err) {
		return ep, err
	}
	g.opts.logger.Warn("falling back", "endpoint", ep.cfg.Name, "to", ep.fallback[0].cfg.Name, "error", err)
	for i, e := range ep.fallback {
		err = g.callOne(ctx, e, t, started, fn)
		if err == nil {
			return e, nil
		}
		if started() || ctx.Err() != nil || !fallbackWorthy(err) {
			return e, err
		}
		if i+1 < len(ep.fallback) {
			g.opts.logger.Warn("falling back", "endpoint", e.cfg.Name, "to", ep.fallback[i+1].cfg.Name, "error", err)
		}
	}
	return ep, err
}

// fallbackWorthy reports whether another endpoint may answer where this
// one failed: upstream failures and open circuits, not client mistakes.
func fallbackWorthy(err error) bool {
	var co *circuitOpen
	if errors.As(err, &co) {
		return true
	}
	if pe, ok := provider.AsError(err); ok {
		return pe.Retryable() || pe.Kind == provider.KindBadResponse || pe.Status == 401 || pe.Status == 403
	}
	return errors.Is(err, context.DeadlineExceeded)
}

func (g *Gateway) callOne(parent context.Context, ep *endpoint, t *timing, started func() bool, fn attempt) error {
	timeout := ep.cfg.Timeout
	if timeout <= 0 {
		timeout = g.opts.defaultTimeout
	}
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	backoff := g.opts.backoff
	for try := 0; ; try++ {
		if ok, wait := ep.breaker.allow(); !ok {
			return &circuitOpen{provider: ep.cfg.Provider, endpoint: ep.cfg.Name, retryAfter: wait}
		}
		start := time.Now()
		if t.first.IsZero() {
			t.first = start
		}
		err := fn(ctx, ep)
		t.upstream += time.Since(start)
		pe, isProv := provider.AsError(err)
		ep.breaker.record(err == nil || !upstreamFailure(err, pe, isProv))
		if err == nil {
			return nil
		}
		if parent.Err() != nil {
			return parent.Err()
		}
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return &provider.Error{Provider: ep.cfg.Provider, Kind: provider.KindTimeout,
				Message: "the upstream did not answer within the endpoint's timeout of " + timeout.String(), Err: err}
		}
		if !isProv || !pe.Retryable() || try >= ep.cfg.MaxRetries || started() {
			return err
		}
		wait := backoff + time.Duration(rand.Int64N(int64(backoff)/2+1))
		if pe.RetryAfter > wait {
			wait = pe.RetryAfter
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return err // the deadline would pass while waiting
		}
		g.opts.logger.Debug("retrying", "endpoint", ep.cfg.Name, "try", try+1, "wait", wait, "error", err)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return err
		case <-timer.C:
		}
		t.waiting += wait
		backoff *= 2
	}
}

// upstreamFailure reports whether err counts against the provider's
// circuit: no answer, a timeout, a 5xx or a bad answer; not a client's
// mistake, a 429 or a cancellation.
func upstreamFailure(err error, pe *provider.Error, isProv bool) bool {
	if !isProv {
		return errors.Is(err, context.DeadlineExceeded)
	}
	switch pe.Kind {
	case provider.KindUnreachable, provider.KindTimeout, provider.KindBadResponse:
		return true
	case provider.KindUpstream:
		return pe.Status >= 500
	}
	return false
}
