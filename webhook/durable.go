package webhook

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// durable is the part of a Dispatcher that delivers from a Queue: one
// poller claims due deliveries (at most workers in flight) and makes one
// attempt of each in its own goroutine; the outcome is written back to the
// queue — removed when made or given up, rescheduled with backoff
// otherwise — so that the retry state outlives this process.
type durable struct {
	q       Queue
	src     Source
	d       *Dispatcher
	nudge   chan struct{}
	stop    chan struct{}
	done    chan struct{}
	flight  sync.WaitGroup
	pending atomic.Int64 // rows in the queue at the last prune
}

func newDurable(d *Dispatcher, q Queue, src Source) *durable {
	o := &d.opts
	if o.poll <= 0 {
		o.poll = time.Second
	}
	if o.lease <= 0 {
		o.lease = o.timeout + 30*time.Second
	}
	if o.maxAge <= 0 {
		o.maxAge = 24 * time.Hour
	}
	u := &durable{q: q, src: src, d: d, nudge: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go u.run()
	return u
}

// emit stores one delivery of ev per webhook that listens to it, in the
// caller's goroutine: once emit returns, the event survives this process.
func (u *durable) emit(ctx context.Context, ev Event, data any) bool {
	select {
	case <-u.stop:
		u.d.dropped.Add(1)
		return false
	default:
	}
	hooks, err := u.src.ListWebhooksByEvent(ctx, ev)
	if err != nil {
		u.d.opts.logger.Error("listing webhooks", "event", ev.String(), "error", err)
		return false
	}
	now := u.d.opts.now()
	var body []byte
	var ds []Delivery
	for i := range hooks {
		if !hooks[i].Listens(ev) {
			continue
		}
		if body == nil {
			if body, err = Body(ev, data, now); err != nil {
				u.d.opts.logger.Error("encoding webhook payload", "event", ev.String(), "error", err)
				return false
			}
		}
		ds = append(ds, Delivery{ID: newUUID(), WebhookID: hooks[i].ID, Event: ev, Body: body, Timestamp: now.Unix(), Created: now})
	}
	if len(ds) == 0 {
		return true
	}
	n, err := u.q.EnqueueWebhookDeliveries(ctx, ds, u.d.opts.queue)
	if err != nil {
		u.d.dropped.Add(int64(len(ds)))
		u.d.opts.logger.Error("queueing webhook deliveries", "event", ev.String(), "error", err)
		return false
	}
	u.d.queued.Add(int64(n))
	if n < len(ds) {
		u.d.dropped.Add(int64(len(ds) - n))
		u.d.opts.logger.Warn("webhook queue full: deliveries dropped", "event", ev.String(), "dropped", len(ds)-n)
	}
	select {
	case u.nudge <- struct{}{}:
	default:
	}
	return n == len(ds)
}

// run claims and attempts due deliveries until close.
func (u *durable) run() {
	defer close(u.done)
	o := &u.d.opts
	tick := time.NewTicker(o.poll)
	defer tick.Stop()
	var inFlight atomic.Int64
	slot := make(chan struct{}, 1) // an attempt finished: room for another claim
	lastPrune := time.Time{}
	for {
		if now := o.now(); now.Sub(lastPrune) >= min(10*o.poll, o.maxAge) {
			lastPrune = now
			u.prune(now)
		}
		for {
			free := int64(o.workers) - inFlight.Load()
			if free <= 0 {
				break
			}
			ds, err := u.q.ClaimWebhookDeliveries(context.Background(), o.now(), o.lease, int(free))
			if err != nil {
				o.logger.Error("claiming webhook deliveries", "error", err)
				break
			}
			for _, dl := range ds {
				inFlight.Add(1)
				u.flight.Add(1)
				go func() {
					defer u.flight.Done()
					u.attempt(dl)
					inFlight.Add(-1)
					select {
					case slot <- struct{}{}:
					default:
					}
				}()
			}
			if int64(len(ds)) < free {
				break
			}
		}
		select {
		case <-u.stop:
			return
		case <-u.nudge:
		case <-slot:
		case <-tick.C:
		}
	}
}

func (u *durable) prune(now time.Time) {
	n, left, err := u.q.PruneWebhookDeliveries(context.Background(), now.Add(-u.d.opts.maxAge))
	if err != nil {
		u.d.opts.logger.Error("pruning webhook deliveries", "error", err)
		return
	}
	u.pending.Store(left)
	if n > 0 {
		u.d.dropped.Add(n)
		u.d.opts.logger.Warn("webhook deliveries older than the maximum age dropped", "dropped", n, "max_age", u.d.opts.maxAge)
	}
}

// attempt makes one attempt of dl and writes its outcome back.
func (u *durable) attempt(dl Delivery) {
	o := &u.d.opts
	ctx := context.Background()
	h, err := u.src.WebhookForDelivery(ctx, dl.WebhookID)
	if err != nil {
		// The database, or a secret this process cannot open: let another
		// attempt (or process) have it later; the try is not counted.
		o.logger.Error("loading webhook for delivery", "webhook", dl.WebhookID, "delivery", dl.ID, "error", err)
		u.reschedule(dl, dl.Attempts, o.now().Add(o.backoff))
		return
	}
	if h == nil || h.Status != Active {
		u.finish(dl) // deleted or disabled since: not delivered, as MLflow
		return
	}
	if err := o.policy.ValidateURL(h.URL); err != nil {
		u.fail(dl, Result{Err: err, Attempts: dl.Attempts + 1})
		return
	}
	ts := strconv.FormatInt(dl.Timestamp, 10)
	sig := ""
	if h.Secret != "" {
		sig = Sign(h.Secret, dl.ID, ts, dl.Body)
	}
	if dl.Attempts > 0 {
		u.d.sender.retries.Add(1)
	}
	r, ra := u.d.sender.attempt(ctx, h.URL, dl.ID, ts, sig, dl.Body)
	r.Attempts = dl.Attempts + 1
	switch {
	case r.Success:
		u.d.delivered.Add(1)
		u.finish(dl)
	case r.Attempts > o.retries || !retryable(r):
		u.fail(dl, r)
	default:
		u.reschedule(dl, r.Attempts, o.now().Add(retryWait(*o, dl.Attempts, ra)))
	}
}

func (u *durable) fail(dl Delivery, r Result) {
	u.d.failed.Add(1)
	u.d.opts.logger.Warn("webhook delivery failed", "webhook", dl.WebhookID, "delivery", dl.ID, "event", dl.Event.String(),
		"status", r.Status, "attempts", r.Attempts, "error", r.Err)
	u.finish(dl)
}

func (u *durable) finish(dl Delivery) {
	if err := u.q.FinishWebhookDelivery(context.Background(), dl); err != nil {
		u.d.opts.logger.Error("finishing webhook delivery", "delivery", dl.ID, "error", err)
	}
}

func (u *durable) reschedule(dl Delivery, attempts int, next time.Time) {
	if err := u.q.RescheduleWebhookDelivery(context.Background(), dl, attempts, next); err != nil {
		u.d.opts.logger.Error("rescheduling webhook delivery", "delivery", dl.ID, "error", err)
	}
}

// close stops claiming and waits for the attempts in flight until ctx
// ends; what is still queued stays for the next process.
func (u *durable) close(ctx context.Context) error {
	select {
	case <-u.stop:
	default:
		close(u.stop)
	}
	all := make(chan struct{})
	go func() { <-u.done; u.flight.Wait(); close(all) }()
	select {
	case <-all:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
