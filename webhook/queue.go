package webhook

import (
	"context"
	"time"
)

// Delivery is one event's delivery to one webhook as a durable Queue keeps
// it. ID, Timestamp and Body are what every attempt sends — from whichever
// process makes it — so a receiver can drop a redelivery by its
// X-MLflow-Delivery-Id.
type Delivery struct {
	ID        string // X-MLflow-Delivery-Id: a UUID, as MLflow's
	WebhookID string
	Event     Event
	Body      []byte // the JSON payload, byte for byte
	Timestamp int64  // unix seconds: X-MLflow-Timestamp
	Attempts  int    // attempts made before this one
	Created   time.Time
	Lease     string // the claim's token: Reschedule and Finish need it
}

// Queue is a delivery queue shared by every process that delivers from one
// database (tracking/sqlstore is one): a delivery queued by a process that
// dies is claimed by another once it is due. Times are the dispatcher's
// clock, passed in.
type Queue interface {
	// EnqueueWebhookDeliveries stores ds unless the queue already holds
	// max deliveries; it returns how many it stored (the first n of ds).
	EnqueueWebhookDeliveries(ctx context.Context, ds []Delivery, max int) (int, error)
	// ClaimWebhookDeliveries leases up to n deliveries that are due at now
	// and not leased (or whose lease ran out) until now+lease, each under a
	// fresh token, so that no other process claims them meanwhile.
	ClaimWebhookDeliveries(ctx context.Context, now time.Time, lease time.Duration, n int) ([]Delivery, error)
	// RescheduleWebhookDelivery records attempts made so far and the time
	// of the next one, and lets the lease go; it does nothing when the
	// lease is no longer d's (it ran out and another process claimed it).
	RescheduleWebhookDelivery(ctx context.Context, d Delivery, attempts int, next time.Time) error
	// FinishWebhookDelivery removes a delivery made or given up, under d's
	// lease.
	FinishWebhookDelivery(ctx context.Context, d Delivery) error
	// PruneWebhookDeliveries removes deliveries queued before cutoff
	// (never delivered: every process was down or the receiver kept
	// failing), and returns how many it removed and how many are left.
	PruneWebhookDeliveries(ctx context.Context, cutoff time.Time) (pruned, left int64, err error)
}

// Source finds a queued delivery's webhook at delivery time, with its
// secret opened: nil and no error when the webhook was deleted. A
// dispatcher with a Queue needs its Lister to be one.
type Source interface {
	Lister
	WebhookForDelivery(ctx context.Context, id string) (*Webhook, error)
}

// WithQueue makes Emit store deliveries in q, shared with the other
// processes on the same database, instead of in memory: a delivery queued
// by a process that dies (or is stopped between retries) is made by
// another, at least once, under the same delivery id. The queue's
// deliveries are claimed every poll interval and at once when this
// process queues one. Default: nil (an in-memory queue; what is queued is
// lost with the process).
func WithQueue(q Queue) Option { return func(o *options) { o.store = q } }

// WithPollInterval sets how often a dispatcher with a Queue looks for due
// deliveries (its own are tried at once). Default: 1s.
func WithPollInterval(d time.Duration) Option { return func(o *options) { o.poll = d } }

// WithLease sets how long a claimed delivery stays another process's: past
// it, the delivery is claimed again (its process is taken to be dead). It
// must exceed the attempt timeout. Default: the timeout (WithTimeout) plus
// 30s.
func WithLease(d time.Duration) Option { return func(o *options) { o.lease = d } }

// WithMaxAge drops queued deliveries older than d, counted in
// Stats.Dropped. Default: 24h.
func WithMaxAge(d time.Duration) Option { return func(o *options) { o.maxAge = d } }
