package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/webhook"
)

// receiver records what a webhook endpoint gets, answering the statuses
// in answers in turn (then 200).
type receiver struct {
	mu      sync.Mutex
	got     []delivery
	answers []int
	header  http.Header // extra headers on non-200 answers
	srv     *httptest.Server
}

type delivery struct {
	header http.Header
	body   []byte
	at     time.Time
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	r := &receiver{answers: answers, header: http.Header{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, delivery{req.Header.Clone(), b, time.Now()})
		status := 200
		if len(r.answers) > 0 {
			status, r.answers = r.answers[0], r.answers[1:]
		}
		if status != 200 {
			for k, v := range r.header {
				w.Header()[k] = v
			}
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

var local = webhook.Policy{AllowHTTP: true, AllowPrivate: true}

func TestDeliverSignsAndRetries(t *testing.T) {
	rec := newReceiver(t, 503, 503)
	rec.header.Set("Retry-After", "1")
	d := webhook.NewDispatcher(nil, webhook.WithPolicy(local), webhook.WithBackoff(10*time.Millisecond, 5*time.Second))
	defer d.Close(context.Background())
	h := webhook.Webhook{ID: "h1", URL: rec.srv.URL + "/hook", Secret: "s3cret", Status: webhook.Active}
	data := webhook.ModelVersionCreatedData{Name: "iris", Version: "1", Source: "runs:/r/model", Tags: map[string]string{}}
	r := d.Deliver(context.Background(), h, webhook.ModelVersionCreated, data)
	if !r.Success || r.Attempts != 3 || r.Status != 200 {
		t.Fatalf("Deliver = %+v, want success on the 3rd attempt", r)
	}
	got := rec.deliveries()
	if len(got) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(got))
	}
	for i, g := range got {
		id, ts, sig := g.header.Get(webhook.DeliveryIDHeader), g.header.Get(webhook.TimestampHeader), g.header.Get(webhook.SignatureHeader)
		if !webhook.Verify("s3cret", id, ts, g.body, sig) {
			t.Errorf("request %d: signature %q does not verify", i, sig)
		}
		if id != got[0].header.Get(webhook.DeliveryIDHeader) {
			t.Errorf("request %d: delivery id changed on retry", i)
		}
	}
	// Retry-After: 1 is honoured over the 10ms backoff.
	if gap := got[1].at.Sub(got[0].at); gap < 900*time.Millisecond {
		t.Errorf("retried after %v, before Retry-After's 1s", gap)
	}
	var env struct {
		Entity, Action, Timestamp string
		Data                      map[string]any
	}
	if err := json.Unmarshal(got[0].body, &env); err != nil {
		t.Fatal(err)
	}
	if env.Entity != "model_version" || env.Action != "created" || env.Data["name"] != "iris" || env.Data["run_id"] != nil {
		t.Errorf("body = %s", got[0].body)
	}
	if _, err := time.Parse(time.RFC3339Nano, env.Timestamp); err != nil {
		t.Errorf("timestamp %q: %v", env.Timestamp, err)
	}
	if s := d.Stats(); s.Retries != 2 {
		t.Errorf("Stats = %+v, want 2 retries", s)
	}
}

func TestDeliverGivesUpAndDoesNotRetry4xx(t *testing.T) {
	rec := newReceiver(t, 500, 500, 500, 500, 500)
	d := webhook.NewDispatcher(nil, webhook.WithPolicy(local), webhook.WithRetries(2), webhook.WithBackoff(time.Millisecond, 5*time.Millisecond))
	defer d.Close(context.Background())
	h := webhook.Webhook{URL: rec.srv.URL}
	if r := d.Deliver(context.Background(), h, webhook.ModelVersionCreated, nil); r.Success || r.Attempts != 3 || r.Status != 500 {
		t.Errorf("Deliver = %+v, want failure after 3 attempts", r)
	}
	if _, ok := rec.deliveries()[0].header[webhook.SignatureHeader]; ok {
		t.Error("a webhook without a secret got a signature header")
	}
	rec2 := newReceiver(t, 404)
	if r := d.Deliver(context.Background(), webhook.Webhook{URL: rec2.srv.URL}, webhook.ModelVersionCreated, nil); r.Success || r.Attempts != 1 {
		t.Errorf("404: Deliver = %+v, want one attempt", r)
	}
}

func TestDeliverRefusesPrivateAddresses(t *testing.T) {
	rec := newReceiver(t)
	d := webhook.NewDispatcher(nil, webhook.WithPolicy(webhook.Policy{AllowHTTP: true}), webhook.WithBackoff(time.Millisecond, time.Millisecond))
	defer d.Close(context.Background())
	r := d.Deliver(context.Background(), webhook.Webhook{URL: rec.srv.URL}, webhook.ModelVersionCreated, nil)
	if r.Success || !errors.Is(r.Err, webhook.ErrForbiddenAddress) || r.Attempts != 1 {
		t.Errorf("Deliver to %s = %+v, want ErrForbiddenAddress at once", rec.srv.URL, r)
	}
	if n := len(rec.deliveries()); n != 0 {
		t.Errorf("the receiver got %d requests", n)
	}
	// And plain http without AllowHTTP is refused before dialling.
	d2 := webhook.NewDispatcher(nil)
	defer d2.Close(context.Background())
	var ie *webhook.InvalidError
	if r := d2.Deliver(context.Background(), webhook.Webhook{URL: rec.srv.URL}, webhook.ModelVersionCreated, nil); !errors.As(r.Err, &ie) {
		t.Errorf("http URL: %+v", r)
	}
}

type hooks []webhook.Webhook

func (h hooks) ListWebhooksByEvent(_ context.Context, ev webhook.Event) ([]webhook.Webhook, error) {
	var out []webhook.Webhook
	for _, w := range h {
		for _, e := range w.Events {
			if e == ev {
				out = append(out, w)
			}
		}
	}
	return out, nil
}

func TestEmitFansOutToListeners(t *testing.T) {
	a, b := newReceiver(t), newReceiver(t)
	ls := hooks{
		{ID: "a", URL: a.srv.URL, Status: webhook.Active, Events: []webhook.Event{webhook.ModelVersionCreated}},
		{ID: "b", URL: b.srv.URL, Status: webhook.Disabled, Events: []webhook.Event{webhook.ModelVersionCreated}},
	}
	d := webhook.NewDispatcher(ls, webhook.WithPolicy(local))
	if !d.Emit(webhook.ModelVersionCreated, nil) || !d.Emit(webhook.ModelVersionAliasCreated, nil) {
		t.Fatal("Emit refused")
	}
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(a.deliveries()); n != 1 {
		t.Errorf("active listener got %d, want 1", n)
	}
	if n := len(b.deliveries()); n != 0 {
		t.Errorf("disabled listener got %d, want 0", n)
	}
	if s := d.Stats(); s.Delivered != 1 || s.Dropped != 0 {
		t.Errorf("Stats = %+v", s)
	}
	if d.Emit(webhook.ModelVersionCreated, nil) {
		t.Error("Emit after Close accepted")
	}
}

// TestEmitNeverBlocks fills a queue whose one worker is stuck and checks
// that Emit returns at once, dropping and counting what does not fit.
func TestEmitNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	d := webhook.NewDispatcher(nil, webhook.WithPolicy(local), webhook.WithWorkers(1), webhook.WithQueueSize(2))
	h := webhook.Webhook{URL: srv.URL}
	start := time.Now()
	accepted := 0
	for range 100 {
		if d.EmitTo(h, webhook.ModelVersionCreated, nil) {
			accepted++
		}
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("100 emits took %v", el)
	}
	s := d.Stats()
	if accepted > 3 || s.Dropped < 97 || s.Dropped+s.Queued != 100 {
		t.Errorf("accepted %d, Stats %+v: want at most 3 queued, the rest dropped", accepted, s)
	}
}
