package writeback_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/drift"
	"github.com/berthml/berth/drift/writeback"
	"github.com/berthml/berth/webhook"
)

// TestDriftWebhookThroughPackageWebhook: --drift-webhook's deliveries are
// package webhook's: signed when a secret is set, retried after a 503, the
// body still writeback.Event's JSON.
func TestDriftWebhookThroughPackageWebhook(t *testing.T) {
	ctx := context.Background()
	c := newRegistry(t)
	var (
		mu   sync.Mutex
		got  []*http.Request
		body [][]byte
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r)
		body = append(body, b)
		n := len(got)
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer hook.Close()
	wr := writeback.New(c, writeback.WithWebhook(hook.URL), writeback.WithWebhookSecret("s3cret"),
		writeback.WithWebhookDelivery(webhook.WithBackoff(time.Millisecond, 10*time.Millisecond)))
	for _, w := range []drift.WindowResult{window(1, drift.StatusOK, 0.02), window(2, drift.StatusDrift, 0.6)} {
		if err := wr.Window(ctx, "iris", "1", w); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("webhook got %d requests, want 2 (a 503, then the retry)", len(got))
	}
	for i, r := range got {
		id, ts := r.Header.Get(webhook.DeliveryIDHeader), r.Header.Get(webhook.TimestampHeader)
		if !webhook.Verify("s3cret", id, ts, body[i], r.Header.Get(webhook.SignatureHeader)) {
			t.Errorf("request %d: signature does not verify", i)
		}
	}
	if got[0].Header.Get(webhook.DeliveryIDHeader) != got[1].Header.Get(webhook.DeliveryIDHeader) {
		t.Error("the retry has another delivery id")
	}
	var ev writeback.Event
	if err := json.Unmarshal(body[1], &ev); err != nil || ev.Status != drift.StatusDrift || ev.PreviousStatus != drift.StatusOK {
		t.Errorf("body %s: %v", body[1], err)
	}
}

// TestDriftWebhookPolicy: a policy without private addresses refuses a
// loopback receiver, and the failure is logged, not returned: the window
// is still written.
func TestDriftWebhookPolicy(t *testing.T) {
	ctx := context.Background()
	c := newRegistry(t)
	calls := 0
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls++ }))
	defer hook.Close()
	var logs strings.Builder
	wr := writeback.New(c, writeback.WithWebhook(hook.URL), writeback.WithWebhookPolicy(webhook.Policy{AllowHTTP: true}),
		writeback.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	for _, w := range []drift.WindowResult{window(1, drift.StatusOK, 0.02), window(2, drift.StatusDrift, 0.6)} {
		if err := wr.Window(ctx, "iris", "1", w); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 0 {
		t.Errorf("a loopback receiver was called %d times under a policy that refuses it", calls)
	}
	if !strings.Contains(logs.String(), "drift webhook") || !strings.Contains(logs.String(), "not allowed") {
		t.Errorf("log does not say the webhook was refused:\n%s", logs.String())
	}
}
