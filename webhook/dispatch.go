package webhook

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Lister finds the webhooks that listen to an event; the tracking server's
// store is one.
type Lister interface {
	ListWebhooksByEvent(ctx context.Context, ev Event) ([]Webhook, error)
}

// Stats are a Dispatcher's counts since it started.
type Stats struct {
	Queued    int64 // events and deliveries accepted
	Delivered int64 // deliveries answered 2xx/3xx
	Failed    int64 // deliveries that failed after their retries
	Retries   int64 // attempts after the first
	Dropped   int64 // events or deliveries refused because the queue was full or closed
	Pending   int64 // events and deliveries waiting in the queue now
}

// Result is the outcome of one delivery, after its retries.
type Result struct {
	Success  bool
	Status   int    // the last response's status; 0 without one
	Body     string // the last response's body, at most 64 KiB
	Attempts int
	Err      error // why it failed without a response, if it did
}

type options struct {
	workers    int
	queue      int
	retries    int
	backoff    time.Duration
	maxBackoff time.Duration
	timeout    time.Duration
	policy     Policy
	logger     *slog.Logger
	now        func() time.Time
	store      Queue
	poll       time.Duration
	lease      time.Duration
	maxAge     time.Duration
}

// Option configures a Dispatcher.
type Option func(*options)

// WithWorkers sets how many deliveries run at once. Default: 4.
func WithWorkers(n int) Option { return func(o *options) { o.workers = n } }

// WithQueueSize bounds the events and deliveries waiting (with WithQueue:
// the deliveries in the shared queue, all processes together); past it new
// ones are dropped and counted in Stats.Dropped. Default: 1000.
func WithQueueSize(n int) Option { return func(o *options) { o.queue = n } }

// WithRetries sets how many times a delivery is retried after a connection
// error or a 429, 500, 502, 503 or 504 answer. Default: 3 (MLflow's).
func WithRetries(n int) Option { return func(o *options) { o.retries = n } }

// WithBackoff sets the wait before the first retry, doubled for each next
// one up to max; a Retry-After header asks for longer, up to max.
// Default: 1s, 60s (MLflow's).
func WithBackoff(first, max time.Duration) Option {
	return func(o *options) { o.backoff, o.maxBackoff = first, max }
}

// WithTimeout bounds each attempt. Default: 30s (MLflow's).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithPolicy sets which addresses deliveries may reach. Default: Policy{}
// (https only, public addresses only).
func WithPolicy(p Policy) Option { return func(o *options) { o.policy = p } }

// WithLogger logs failed deliveries and drops. Default: discard.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// Sender POSTs deliveries with retries, now, in the caller's goroutine:
// for a caller that is itself in the background (berth serve's drift
// write-back). A Dispatcher queues instead.
type Sender struct {
	opts    options
	client  *http.Client
	retries atomic.Int64
}

// NewSender returns a Sender; the queue and worker options are ignored.
func NewSender(opts ...Option) *Sender {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	return newSender(o)
}

func defaultOptions() options {
	return options{workers: 4, queue: 1000, retries: 3, backoff: time.Second, maxBackoff: time.Minute,
		timeout: 30 * time.Second, now: time.Now, logger: slog.New(slog.DiscardHandler)}
}

func newSender(o options) *Sender {
	return &Sender{opts: o, client: &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil, // a proxy would hide the address the policy checks
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, Control: o.policy.control}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: o.timeout,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       90 * time.Second,
		},
		Timeout: o.timeout,
		// A redirect could lead anywhere: the answer is the 3xx itself.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Dispatcher delivers events to webhooks in the background: Emit never
// blocks, a bounded queue holds what waits, and workers POST with retries.
type Dispatcher struct {
	lister Lister
	opts   options
	sender *Sender
	queue  chan job

	mu     sync.RWMutex // guards closed against sends on queue
	closed bool
	wg     sync.WaitGroup

	queued, delivered, failed, dropped atomic.Int64

	durable *durable // with WithQueue: Emit stores deliveries there
}

// job is an event to fan out to its webhooks, or one delivery.
type job struct {
	ev   Event
	data any
	hook *Webhook // nil: look the webhooks up
}

// NewDispatcher starts a Dispatcher that finds webhooks through lister
// (nil: only EmitTo delivers). With WithQueue, lister must be a Source
// (NewDispatcher panics otherwise). Close stops it.
func NewDispatcher(lister Lister, opts ...Option) *Dispatcher {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	o.workers = max(o.workers, 1)
	o.queue = max(o.queue, 1)
	d := &Dispatcher{lister: lister, opts: o, sender: newSender(o), queue: make(chan job, o.queue)}
	for range o.workers {
		d.wg.Add(1)
		go d.work()
	}
	if o.store != nil {
		src, ok := lister.(Source)
		if !ok {
			panic("webhook.NewDispatcher: WithQueue needs a Lister that is a Source")
		}
		d.durable = newDurable(d, o.store, src)
	}
	return d
}

// Policy returns the address policy the Dispatcher delivers under.
func (d *Dispatcher) Policy() Policy { return d.opts.policy }

// Emit queues ev for every active webhook that listens to it; it reports
// false when the queue was full (the event is dropped and counted) or the
// Dispatcher is closed. In memory it never blocks; with WithQueue it
// stores the deliveries before it returns (a read and a write of the
// database, bounded by 10s).
func (d *Dispatcher) Emit(ev Event, data any) bool {
	if d.durable != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return d.durable.emit(ctx, ev, data)
	}
	return d.push(job{ev: ev, data: data})
}

// EmitTo queues one delivery of ev to h, whatever h's events, in memory
// (with or without WithQueue).
func (d *Dispatcher) EmitTo(h Webhook, ev Event, data any) bool {
	return d.push(job{ev: ev, data: data, hook: &h})
}

func (d *Dispatcher) push(j job) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		d.dropped.Add(1)
		return false
	}
	select {
	case d.queue <- j:
		d.queued.Add(1)
		return true
	default:
		d.dropped.Add(1)
		d.opts.logger.Warn("webhook queue full: event dropped", "event", j.ev.String())
		return false
	}
}

// Close stops accepting events and waits for the queued ones until ctx
// ends; deliveries still waiting then are abandoned.
func (d *Dispatcher) Close(ctx context.Context) error {
	if d.durable != nil {
		if err := d.durable.close(ctx); err != nil {
			return err
		}
	}
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		close(d.queue)
	}
	d.mu.Unlock()
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats returns the counts so far. With WithQueue, Pending adds the
// shared queue's deliveries as last counted (every 10 poll intervals).
func (d *Dispatcher) Stats() Stats {
	pending := int64(len(d.queue))
	if d.durable != nil {
		pending += d.durable.pending.Load()
	}
	return Stats{Queued: d.queued.Load(), Delivered: d.delivered.Load(), Failed: d.failed.Load(),
		Retries: d.sender.retries.Load(), Dropped: d.dropped.Load(), Pending: pending}
}

func (d *Dispatcher) work() {
	defer d.wg.Done()
	for j := range d.queue {
		if j.hook != nil {
			r := d.Deliver(context.Background(), *j.hook, j.ev, j.data)
			if r.Success {
				d.delivered.Add(1)
			} else {
				d.failed.Add(1)
				d.opts.logger.Warn("webhook delivery failed", "webhook", j.hook.ID, "event", j.ev.String(),
					"status", r.Status, "attempts", r.Attempts, "error", r.Err)
			}
			continue
		}
		if d.lister == nil {
			continue
		}
		hooks, err := d.lister.ListWebhooksByEvent(context.Background(), j.ev)
		if err != nil {
			d.opts.logger.Error("listing webhooks", "event", j.ev.String(), "error", err)
			continue
		}
		for i := range hooks {
			if hooks[i].Listens(j.ev) {
				d.fanOut(job{ev: j.ev, data: j.data, hook: &hooks[i]})
			}
		}
	}
}

// fanOut queues one delivery from a worker: never blocking, since the
// worker itself drains the queue.
func (d *Dispatcher) fanOut(j job) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		// Closing: deliver in this worker rather than lose it.
		r := d.Deliver(context.Background(), *j.hook, j.ev, j.data)
		if r.Success {
			d.delivered.Add(1)
		} else {
			d.failed.Add(1)
		}
		return
	}
	select {
	case d.queue <- j:
		d.queued.Add(1)
	default:
		d.dropped.Add(1)
		d.opts.logger.Warn("webhook queue full: delivery dropped", "webhook", j.hook.ID, "event", j.ev.String())
	}
}

// Deliver POSTs ev to h now, in the caller's goroutine (Sender.Deliver).
func (d *Dispatcher) Deliver(ctx context.Context, h Webhook, ev Event, data any) Result {
	return d.sender.Deliver(ctx, h, ev, data)
}

// Deliver POSTs ev to h now, retrying as configured, and returns the
// outcome; the delivery id, timestamp and signature stay the same across
// retries, so a receiver can drop duplicates.
func (d *Sender) Deliver(ctx context.Context, h Webhook, ev Event, data any) Result {
	if err := d.opts.policy.ValidateURL(h.URL); err != nil {
		return Result{Err: err}
	}
	body, err := Body(ev, data, d.opts.now())
	if err != nil {
		return Result{Err: err}
	}
	id := newUUID()
	ts := strconv.FormatInt(d.opts.now().Unix(), 10)
	sig := ""
	if h.Secret != "" {
		sig = Sign(h.Secret, id, ts, body)
	}
	var r Result
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			d.retries.Add(1)
		}
		var retryAfter time.Duration
		r, retryAfter = d.attempt(ctx, h.URL, id, ts, sig, body)
		r.Attempts = attempt + 1
		if r.Success || attempt >= d.opts.retries || !retryable(r) {
			return r
		}
		t := time.NewTimer(retryWait(d.opts, attempt, retryAfter))
		select {
		case <-ctx.Done():
			t.Stop()
			r.Err = ctx.Err()
			return r
		case <-t.C:
		}
	}
}

func (d *Sender) attempt(ctx context.Context, url, id, ts, sig string, body []byte) (Result, time.Duration) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(body)))
	if err != nil {
		return Result{Err: err}, 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "berth-webhook")
	req.Header.Set(DeliveryIDHeader, id)
	req.Header.Set(TimestampHeader, ts)
	if sig != "" {
		req.Header.Set(SignatureHeader, sig)
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return Result{Err: err}, 0 // a *url.Error: it names the method and URL
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	r := Result{Success: resp.StatusCode < 400, Status: resp.StatusCode, Body: string(b)}
	return r, retryAfter(resp.Header.Get("Retry-After"), time.Now())
}

// retryWait is the wait after the attempt numbered attempt (0: the
// first) failed: the backoff doubled per attempt up to its maximum, plus
// up to one backoff of jitter; a longer Retry-After is honoured up to the
// maximum.
func retryWait(o options, attempt int, retryAfter time.Duration) time.Duration {
	wait := min(o.backoff<<attempt, o.maxBackoff)
	wait += jitter(o.backoff)
	if retryAfter > wait {
		wait = min(retryAfter, o.maxBackoff)
	}
	return wait
}

// retryable: MLflow retries connection errors and 429, 500, 502, 503,
// 504, never a refused address or a cancelled context.
func retryable(r Result) bool {
	if r.Err != nil {
		return !errors.Is(r.Err, ErrForbiddenAddress) && !errors.Is(r.Err, context.Canceled) &&
			!errors.Is(r.Err, context.DeadlineExceeded) && r.Status == 0
	}
	switch r.Status {
	case 429, 500, 502, 503, 504:
		return true
	}
	return false
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date. A
// missing or unreadable one is 0.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(min(n, 86400)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	n, err := rand.Int(rand.Reader, big.NewInt(int64(d)))
	if err != nil {
		return 0
	}
	return time.Duration(n.Int64())
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// NewID returns a new webhook id: a UUID, as MLflow's.
func NewID() string { return newUUID() }
