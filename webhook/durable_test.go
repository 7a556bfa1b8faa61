package webhook_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/webhook"
)

// memQueue is a hand-written webhook.Queue in memory, with the leases a
// database queue has.
type memQueue struct {
	mu   sync.Mutex
	rows map[string]*memRow
	n    int
}

type memRow struct {
	d        webhook.Delivery
	next     time.Time
	leaseTil time.Time
}

func newMemQueue() *memQueue { return &memQueue{rows: map[string]*memRow{}} }

func (q *memQueue) EnqueueWebhookDeliveries(_ context.Context, ds []webhook.Delivery, max int) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, d := range ds {
		if len(q.rows) >= max {
			break
		}
		q.rows[d.ID] = &memRow{d: d, next: d.Created}
		n++
	}
	return n, nil
}

func (q *memQueue) ClaimWebhookDeliveries(_ context.Context, now time.Time, lease time.Duration, n int) ([]webhook.Delivery, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []webhook.Delivery
	for _, r := range q.rows {
		if len(out) == n {
			break
		}
		if r.next.After(now) || r.leaseTil.After(now) {
			continue
		}
		q.n++
		r.d.Lease = string(rune('a' + q.n%26))
		r.leaseTil = now.Add(lease)
		out = append(out, r.d)
	}
	return out, nil
}

func (q *memQueue) RescheduleWebhookDelivery(_ context.Context, d webhook.Delivery, attempts int, next time.Time) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if r, ok := q.rows[d.ID]; ok && r.d.Lease == d.Lease {
		r.d.Attempts, r.next, r.leaseTil = attempts, next, time.Time{}
	}
	return nil
}

func (q *memQueue) FinishWebhookDelivery(_ context.Context, d webhook.Delivery) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if r, ok := q.rows[d.ID]; ok && r.d.Lease == d.Lease {
		delete(q.rows, d.ID)
	}
	return nil
}

func (q *memQueue) PruneWebhookDeliveries(_ context.Context, cutoff time.Time) (int64, int64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var n int64
	for id, r := range q.rows {
		if r.d.Created.Before(cutoff) {
			delete(q.rows, id)
			n++
		}
	}
	return n, int64(len(q.rows)), nil
}

func (q *memQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.rows)
}

// hookSource is a webhook.Source of fixed webhooks.
type hookSource struct{ hooks []webhook.Webhook }

func (s hookSource) ListWebhooksByEvent(context.Context, webhook.Event) ([]webhook.Webhook, error) {
	return s.hooks, nil
}

func (s hookSource) WebhookForDelivery(_ context.Context, id string) (*webhook.Webhook, error) {
	for _, h := range s.hooks {
		if h.ID == id {
			return &h, nil
		}
	}
	return nil, nil
}

// goneSource lists its webhooks but finds none at delivery: deleted
// between the event and its delivery.
type goneSource struct{ hookSource }

func (goneSource) WebhookForDelivery(context.Context, string) (*webhook.Webhook, error) {
	return nil, nil
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 10s", what)
		}
	}
}

// TestQueuedDeliveryOutcomes: with a Queue, what each answer does to a
// queued delivery — 200 removes it, 503 retries it (same delivery id)
// until the retries run out, 400 is not retried, a deleted webhook's
// delivery is dropped — and a second dispatcher on the same queue makes
// what the first left queued when it stopped.
func TestQueuedDeliveryOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		answers   []int
		wantCalls int
		wantStats webhook.Stats
	}{
		{"delivered", nil, 1, webhook.Stats{Queued: 1, Delivered: 1}},
		{"retried then delivered", []int{503, 503}, 3, webhook.Stats{Queued: 1, Delivered: 1, Retries: 2}},
		{"retries run out", []int{503, 503, 503}, 3, webhook.Stats{Queued: 1, Failed: 1, Retries: 2}},
		{"client error not retried", []int{400}, 1, webhook.Stats{Queued: 1, Failed: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := newReceiver(t, tc.answers...)
			q := newMemQueue()
			src := hookSource{[]webhook.Webhook{{ID: "h1", URL: rec.srv.URL, Secret: "s", Status: webhook.Active, Events: []webhook.Event{webhook.RegisteredModelCreated}}}}
			d := webhook.NewDispatcher(src, webhook.WithQueue(q), webhook.WithPolicy(local), webhook.WithRetries(2),
				webhook.WithBackoff(5*time.Millisecond, 20*time.Millisecond), webhook.WithPollInterval(10*time.Millisecond))
			defer d.Close(context.Background())
			if !d.Emit(webhook.RegisteredModelCreated, webhook.RegisteredModelCreatedData{Name: "m"}) {
				t.Fatal("Emit refused")
			}
			waitFor(t, "outcome", func() bool { st := d.Stats(); return st.Delivered+st.Failed == 1 })
			got := rec.deliveries()
			if len(got) != tc.wantCalls {
				t.Errorf("%d requests, want %d", len(got), tc.wantCalls)
			}
			for _, g := range got {
				if id := g.header.Get(webhook.DeliveryIDHeader); id != got[0].header.Get(webhook.DeliveryIDHeader) || id == "" {
					t.Errorf("delivery ids %q and %q: want one", got[0].header.Get(webhook.DeliveryIDHeader), id)
				}
			}
			st := d.Stats()
			st.Pending = 0
			if st != tc.wantStats {
				t.Errorf("stats %+v, want %+v", st, tc.wantStats)
			}
			waitFor(t, "row removed", func() bool { return q.len() == 0 })
		})
	}

	t.Run("another dispatcher finishes", func(t *testing.T) {
		rec := newReceiver(t, 503)
		q := newMemQueue()
		src := hookSource{[]webhook.Webhook{{ID: "h1", URL: rec.srv.URL, Status: webhook.Active, Events: []webhook.Event{webhook.RegisteredModelCreated}}}}
		opts := []webhook.Option{webhook.WithQueue(q), webhook.WithPolicy(local), webhook.WithBackoff(300*time.Millisecond, time.Second),
			webhook.WithPollInterval(10 * time.Millisecond)}
		a := webhook.NewDispatcher(src, opts...)
		a.Emit(webhook.RegisteredModelCreated, webhook.RegisteredModelCreatedData{Name: "m"})
		waitFor(t, "first attempt", func() bool { return len(rec.deliveries()) == 1 })
		if err := a.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if q.len() != 1 {
			t.Fatalf("%d rows queued after the first dispatcher stopped, want 1", q.len())
		}
		b := webhook.NewDispatcher(src, opts...)
		defer b.Close(context.Background())
		waitFor(t, "second attempt", func() bool { return b.Stats().Delivered == 1 })
		got := rec.deliveries()
		if len(got) != 2 || got[0].header.Get(webhook.DeliveryIDHeader) != got[1].header.Get(webhook.DeliveryIDHeader) ||
			string(got[0].body) != string(got[1].body) {
			t.Errorf("%d requests; want 2 with one delivery id and body", len(got))
		}
	})

	t.Run("deleted webhook dropped", func(t *testing.T) {
		q := newMemQueue()
		rec := newReceiver(t)
		listed := hookSource{[]webhook.Webhook{{ID: "gone", URL: rec.srv.URL, Status: webhook.Active, Events: []webhook.Event{webhook.RegisteredModelCreated}}}}
		d := webhook.NewDispatcher(goneSource{listed}, webhook.WithQueue(q), webhook.WithPolicy(local), webhook.WithPollInterval(10*time.Millisecond))
		defer d.Close(context.Background())
		d.Emit(webhook.RegisteredModelCreated, webhook.RegisteredModelCreatedData{Name: "m"})
		waitFor(t, "row removed", func() bool { return q.len() == 0 })
		if n := len(rec.deliveries()); n != 0 {
			t.Errorf("%d requests for a deleted webhook", n)
		}
	})

	t.Run("queue full", func(t *testing.T) {
		q := newMemQueue()
		src := hookSource{[]webhook.Webhook{{ID: "h1", URL: "http://127.0.0.1:1", Status: webhook.Active}, {ID: "h2", URL: "http://127.0.0.1:1", Status: webhook.Active}}}
		for i := range src.hooks {
			src.hooks[i].Events = []webhook.Event{webhook.RegisteredModelCreated}
		}
		d := webhook.NewDispatcher(src, webhook.WithQueue(q), webhook.WithQueueSize(1), webhook.WithPollInterval(time.Hour))
		defer d.Close(context.Background())
		if d.Emit(webhook.RegisteredModelCreated, webhook.RegisteredModelCreatedData{Name: "m"}) {
			t.Error("Emit of 2 deliveries into a queue of 1 reported success")
		}
		if st := d.Stats(); st.Queued != 1 || st.Dropped != 1 {
			t.Errorf("stats %+v, want 1 queued and 1 dropped", st)
		}
	})
}
