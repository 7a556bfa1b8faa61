package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/berthml/berth/server"
	"github.com/berthml/berth/webhook"
)

const webhookKey = "0123456789abcdef-test-key"

// TestWebhookRoutes replays the MLflow 3.6 transcript's webhook steps
// (testdata/conformance/mlflow3, seq 240–247) on each backend.
func TestWebhookRoutes(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			st := b.open(t)
			srv := httptest.NewServer(newServerOn(t, st, server.WithWebhookKey([]byte(webhookKey)),
				server.WithWebhookDelivery(webhook.WithBackoff(time.Millisecond, 10*time.Millisecond))).Handler())
			defer srv.Close()
			const js = "application/json"
			status, body := call(t, srv.URL, "POST", "/api/2.0/mlflow/webhooks", js, `{"name": "conf3-hook", "description": "conformance hook",
				"url": "https://127.0.0.1:9/hook", "events": [{"entity": "MODEL_VERSION", "action": "CREATED"},
				{"entity": "REGISTERED_MODEL", "action": "CREATED"}], "secret": "s3cret"}`)
			if status != 200 {
				t.Fatalf("create: %d %s", status, body)
			}
			if strings.Contains(body, "s3cret") {
				t.Errorf("the secret is echoed: %s", body)
			}
			var created struct{ Webhook map[string]any }
			if err := json.Unmarshal([]byte(body), &created); err != nil {
				t.Fatal(err)
			}
			w := created.Webhook
			id, _ := w["webhook_id"].(string)
			if len(id) != 36 || w["status"] != "ACTIVE" || w["name"] != "conf3-hook" || w["creation_timestamp"] != w["last_updated_timestamp"] {
				t.Errorf("created %s", body)
			}
			if evs, _ := json.Marshal(w["events"]); string(evs) != `[{"action":"CREATED","entity":"MODEL_VERSION"},{"action":"CREATED","entity":"REGISTERED_MODEL"}]` {
				t.Errorf("events %s", evs)
			}
			// The secret is kept sealed.
			stored, err := st.GetWebhook(context.Background(), id)
			if err != nil || !strings.HasPrefix(stored.Secret, "gcm1:") || strings.Contains(stored.Secret, "s3cret") {
				t.Errorf("stored secret %q, %v: want it sealed", stored.Secret, err)
			}

			if status, body = call(t, srv.URL, "GET", "/api/2.0/mlflow/webhooks", "", ""); status != 200 || !strings.Contains(body, id) {
				t.Errorf("list: %d %s", status, body)
			}
			if status, body = call(t, srv.URL, "GET", "/api/2.0/mlflow/webhooks?max_results=1", "", ""); status != 200 ||
				!strings.Contains(body, id) || strings.Contains(body, "next_page_token") {
				t.Errorf("list of 1: %d %s", status, body)
			}
			if status, body = call(t, srv.URL, "GET", "/api/2.0/mlflow/webhooks?max_results=0x", "", ""); status != 400 {
				t.Errorf("list, bad max_results: %d %s", status, body)
			}
			if status, body = call(t, srv.URL, "GET", "/api/2.0/mlflow/webhooks/"+id, "", ""); status != 200 || !strings.Contains(body, `"conformance hook"`) {
				t.Errorf("get: %d %s", status, body)
			}
			status, body = call(t, srv.URL, "PATCH", "/api/2.0/mlflow/webhooks/"+id, js,
				`{"description": "updated", "events": [{"entity": "MODEL_VERSION_TAG", "action": "SET"}], "status": "DISABLED"}`)
			if status != 200 || !strings.Contains(body, `"DISABLED"`) || !strings.Contains(body, `"MODEL_VERSION_TAG"`) ||
				!strings.Contains(body, `"updated"`) || !strings.Contains(body, `"conf3-hook"`) {
				t.Errorf("update: %d %s", status, body)
			}
			// The test target is a loopback address, refused by default:
			// 200 with success false, as MLflow answers an unreachable one.
			status, body = call(t, srv.URL, "POST", "/api/2.0/mlflow/webhooks/"+id+"/test", js, `{}`)
			var tested struct {
				Result struct {
					Success      bool   `json:"success"`
					ErrorMessage string `json:"error_message"`
				}
			}
			if err := json.Unmarshal([]byte(body), &tested); err != nil || status != 200 || tested.Result.Success ||
				!strings.HasPrefix(tested.Result.ErrorMessage, "Failed to test webhook: ") {
				t.Errorf("test: %d %s", status, body)
			}
			status, body = call(t, srv.URL, "POST", "/api/2.0/mlflow/webhooks", js,
				`{"name": "conf3-bad", "url": "http://127.0.0.1:9/x", "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}]}`)
			if status != 400 || errorCode(t, body) != "INVALID_PARAMETER_VALUE" ||
				!strings.Contains(body, "Invalid webhook URL scheme: 'http'. Allowed schemes are: https.") {
				t.Errorf("http URL: %d %s", status, body)
			}
			if status, body = call(t, srv.URL, "DELETE", "/api/2.0/mlflow/webhooks/"+id, "", ""); status != 200 || strings.TrimSpace(body) != "{}" {
				t.Errorf("delete: %d %s", status, body)
			}
			status, body = call(t, srv.URL, "GET", "/api/2.0/mlflow/webhooks/"+id, "", "")
			if status != 404 || errorCode(t, body) != "RESOURCE_DOES_NOT_EXIST" || !strings.Contains(body, "Webhook with ID "+id+" not found.") {
				t.Errorf("get deleted: %d %s", status, body)
			}
		})
	}
}

func TestWebhookBadRequests(t *testing.T) {
	srv := httptest.NewServer(newServer(t).Handler())
	defer srv.Close()
	const js = "application/json"
	for _, tt := range []struct{ name, method, path, body, want string }{
		{"no name", "POST", "/webhooks", `{"url": "https://e.com/", "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}]}`, "'name'"},
		{"no events", "POST", "/webhooks", `{"name": "x", "url": "https://e.com/"}`, "'events'"},
		{"bad pair", "POST", "/webhooks", `{"name": "x", "url": "https://e.com/", "events": [{"entity": "MODEL_VERSION", "action": "SET"}]}`, "Invalid action 'set'"},
		{"bad entity", "POST", "/webhooks", `{"name": "x", "url": "https://e.com/", "events": [{"entity": "RUN", "action": "CREATED"}]}`, "entity"},
		{"bad status", "POST", "/webhooks", `{"name": "x", "url": "https://e.com/", "status": "ON", "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}]}`, "status"},
		{"user info", "POST", "/webhooks", `{"name": "x", "url": "https://a:b@e.com/", "events": [{"entity": "MODEL_VERSION", "action": "CREATED"}]}`, "user information"},
		{"events not a list", "POST", "/webhooks", `{"name": "x", "url": "https://e.com/", "events": "MODEL_VERSION"}`, "events"},
		{"bad page token", "GET", "/webhooks?page_token=x", ``, "page token"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, srv.URL, tt.method, "/api/2.0/mlflow"+tt.path, js, tt.body)
			if status != 400 || errorCode(t, body) != "INVALID_PARAMETER_VALUE" || !strings.Contains(body, tt.want) {
				t.Errorf("%d %s, want 400 INVALID_PARAMETER_VALUE saying %q", status, body, tt.want)
			}
		})
	}
	for _, p := range []string{"GET /webhooks/nope", "PATCH /webhooks/nope", "DELETE /webhooks/nope", "POST /webhooks/nope/test"} {
		method, path, _ := strings.Cut(p, " ")
		if status, body := call(t, srv.URL, method, "/api/2.0/mlflow"+path, js, `{"description": "d"}`); status != 404 {
			t.Errorf("%s: %d %s, want 404", p, status, body)
		}
	}
}

// hookReceiver is a webhook endpoint that checks signatures and answers
// 503 to the first request of each delivery, so every delivery is retried.
type hookReceiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	seen   map[string]int // delivery id → requests
	events []receivedEvent
	got    chan receivedEvent
}

type receivedEvent struct {
	Entity, Action string
	Data           map[string]any
	Attempts       int
}

func newHookReceiver(t *testing.T, secret string) (*hookReceiver, *httptest.Server) {
	r := &hookReceiver{t: t, secret: secret, seen: map[string]int{}, got: make(chan receivedEvent, 16)}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv
}

func (r *hookReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	id, ts := req.Header.Get(webhook.DeliveryIDHeader), req.Header.Get(webhook.TimestampHeader)
	if !webhook.Verify(r.secret, id, ts, body, req.Header.Get(webhook.SignatureHeader)) {
		r.t.Errorf("delivery %s: bad signature %q", id, req.Header.Get(webhook.SignatureHeader))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	r.mu.Lock()
	r.seen[id]++
	n := r.seen[id]
	r.mu.Unlock()
	if n == 1 {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var ev receivedEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		r.t.Errorf("delivery %s: %v: %s", id, err, body)
	}
	ev.Attempts = n
	r.got <- ev
}

func (r *hookReceiver) next(t *testing.T) receivedEvent {
	t.Helper()
	select {
	case ev := <-r.got:
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook delivery within 10s")
	}
	return receivedEvent{}
}

// TestWebhookDeliveries: a receiver gets signed events for a version
// created and an alias moved, each after a retry of a 503.
func TestWebhookDeliveries(t *testing.T) {
	rec, hookSrv := newHookReceiver(t, "s3cret")
	srv := httptest.NewServer(newServer(t, server.WithWebhookKey([]byte(webhookKey)),
		server.WithWebhookPolicy(webhook.Policy{AllowHTTP: true, AllowPrivate: true}),
		server.WithWebhookDelivery(webhook.WithBackoff(5*time.Millisecond, 50*time.Millisecond))).Handler())
	defer srv.Close()
	const js = "application/json"
	mustCall := func(method, path, body string) string {
		t.Helper()
		status, out := call(t, srv.URL, method, "/api/2.0/mlflow"+path, js, body)
		if status != 200 {
			t.Fatalf("%s %s: %d %s", method, path, status, out)
		}
		return out
	}
	mustCall("POST", "/webhooks", `{"name": "h", "url": "`+hookSrv.URL+`/hook", "secret": "s3cret", "events": [
		{"entity": "MODEL_VERSION", "action": "CREATED"}, {"entity": "MODEL_VERSION_ALIAS", "action": "CREATED"},
		{"entity": "PROMPT_VERSION", "action": "CREATED"}, {"entity": "PROMPT_ALIAS", "action": "CREATED"},
		{"entity": "MODEL_VERSION_TAG", "action": "SET"}, {"entity": "MODEL_VERSION_TAG", "action": "DELETED"},
		{"entity": "MODEL_VERSION_ALIAS", "action": "DELETED"}]}`)
	mustCall("POST", "/registered-models/create", `{"name": "iris"}`)
	mustCall("POST", "/model-versions/create", `{"name": "iris", "source": "s3://bucket/iris", "description": "first"}`)
	ev := rec.next(t)
	if ev.Entity != "model_version" || ev.Action != "created" || ev.Data["name"] != "iris" || ev.Data["version"] != "1" ||
		ev.Data["source"] != "s3://bucket/iris" || ev.Data["description"] != "first" || ev.Attempts != 2 {
		t.Errorf("version created: %+v", ev)
	}
	mustCall("POST", "/model-versions/create", `{"name": "iris", "source": "s3://bucket/iris2"}`)
	_ = rec.next(t)
	mustCall("POST", "/registered-models/alias", `{"name": "iris", "alias": "champion", "version": "1"}`)
	mustCall("POST", "/registered-models/alias", `{"name": "iris", "alias": "champion", "version": "2"}`)
	// Deliveries run on several workers, unordered (as MLflow's thread
	// pool): both moves arrive, in either order.
	moved := map[any]bool{}
	for range 2 {
		ev = rec.next(t)
		if ev.Entity != "model_version_alias" || ev.Action != "created" || ev.Data["alias"] != "champion" || ev.Attempts != 2 {
			t.Errorf("alias moved: %+v", ev)
		}
		moved[ev.Data["version"]] = true
	}
	if !moved["1"] || !moved["2"] {
		t.Errorf("alias moves to versions %v, want 1 and 2", moved)
	}
	// berth promote's outcome tag and berth serve's drift status are
	// version tags: model_version_tag events.
	mustCall("POST", "/model-versions/set-tag", `{"name": "iris", "version": "2", "key": "berth.promotion.champion", "value": "promoted"}`)
	if ev = rec.next(t); ev.Entity != "model_version_tag" || ev.Action != "set" || ev.Data["key"] != "berth.promotion.champion" || ev.Data["value"] != "promoted" {
		t.Errorf("tag set: %+v", ev)
	}
	mustCall("DELETE", "/model-versions/delete-tag", `{"name": "iris", "version": "2", "key": "berth.promotion.champion"}`)
	if ev = rec.next(t); ev.Entity != "model_version_tag" || ev.Action != "deleted" || ev.Data["value"] != nil {
		t.Errorf("tag deleted: %+v", ev)
	}
	mustCall("DELETE", "/registered-models/alias", `{"name": "iris", "alias": "champion"}`)
	if ev = rec.next(t); ev.Entity != "model_version_alias" || ev.Action != "deleted" || ev.Data["alias"] != "champion" {
		t.Errorf("alias deleted: %+v", ev)
	}
	// A prompt's events are prompt events.
	mustCall("POST", "/registered-models/create", `{"name": "greeting", "tags": [{"key": "mlflow.prompt.is_prompt", "value": "true"}]}`)
	mustCall("POST", "/model-versions/create", `{"name": "greeting", "source": "dummy-source", "tags": [
		{"key": "mlflow.prompt.is_prompt", "value": "true"}, {"key": "mlflow.prompt.text", "value": "Hello {{name}}!"}]}`)
	ev = rec.next(t)
	if ev.Entity != "prompt_version" || ev.Data["template"] != "Hello {{name}}!" || ev.Data["version"] != "1" {
		t.Errorf("prompt version created: %+v", ev)
	}
	mustCall("POST", "/registered-models/alias", `{"name": "greeting", "alias": "production", "version": "1"}`)
	if ev = rec.next(t); ev.Entity != "prompt_alias" || ev.Action != "created" {
		t.Errorf("prompt alias: %+v", ev)
	}
	// The test route reaches the receiver too: its first answer is 503,
	// retried, then 200.
	var list struct {
		Webhooks []struct {
			WebhookID string `json:"webhook_id"`
		}
	}
	_ = json.Unmarshal([]byte(mustCall("GET", "/webhooks", "")), &list)
	out := mustCall("POST", "/webhooks/"+list.Webhooks[0].WebhookID+"/test", `{}`)
	if !strings.Contains(out, `"success": true`) || !strings.Contains(out, `"response_status": 200`) {
		t.Errorf("test: %s", out)
	}
	if ev = rec.next(t); ev.Entity != "model_version" || ev.Data["name"] != "example_model" {
		t.Errorf("test delivery: %+v", ev)
	}
}

// TestWebhookMetrics: the dispatcher's counts are served as berth_webhook_*
// series.
func TestWebhookMetrics(t *testing.T) {
	rec, hookSrv := newHookReceiver(t, "s3cret")
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(newServer(t, server.WithMetrics(reg, reg), server.WithWebhookKey([]byte(webhookKey)),
		server.WithWebhookPolicy(webhook.Policy{AllowHTTP: true, AllowPrivate: true}),
		server.WithWebhookDelivery(webhook.WithBackoff(time.Millisecond, 10*time.Millisecond))).Handler())
	defer srv.Close()
	const js = "application/json"
	for _, c := range []struct{ path, body string }{
		{"/webhooks", `{"name": "h", "url": "` + hookSrv.URL + `", "secret": "s3cret", "events": [{"entity": "REGISTERED_MODEL", "action": "CREATED"}]}`},
		{"/registered-models/create", `{"name": "iris"}`},
	} {
		if status, out := call(t, srv.URL, "POST", "/api/2.0/mlflow"+c.path, js, c.body); status != 200 {
			t.Fatalf("%s: %d %s", c.path, status, out)
		}
	}
	if ev := rec.next(t); ev.Entity != "registered_model" || ev.Attempts != 2 {
		t.Fatalf("event %+v", ev)
	}
	want := `
# HELP berth_webhook_deliveries_total Webhook deliveries finished, by outcome: delivered (answered below 400) or failed (after its retries).
# TYPE berth_webhook_deliveries_total counter
berth_webhook_deliveries_total{outcome="delivered"} 1
berth_webhook_deliveries_total{outcome="failed"} 0
# HELP berth_webhook_dropped_total Webhook events and deliveries dropped because the delivery queue was full.
# TYPE berth_webhook_dropped_total counter
berth_webhook_dropped_total 0
# HELP berth_webhook_queue_length Webhook events and deliveries waiting in the delivery queue.
# TYPE berth_webhook_queue_length gauge
berth_webhook_queue_length 0
# HELP berth_webhook_retries_total Webhook delivery attempts after the first (connection errors, 429 and 5xx answers).
# TYPE berth_webhook_retries_total counter
berth_webhook_retries_total 1
`
	names := []string{"berth_webhook_deliveries_total", "berth_webhook_dropped_total", "berth_webhook_queue_length", "berth_webhook_retries_total"}
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		// The receiver has the event before the dispatcher counts it.
		if err = testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err == nil {
			break
		}
	}
	if err != nil {
		t.Error(err)
	}
	if problems, err := testutil.GatherAndLint(reg, names...); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

// TestWebhookReceiverStuck: a receiver that never answers holds up no
// request; what does not fit the bounded queue is dropped and counted.
func TestWebhookReceiverStuck(t *testing.T) {
	release := make(chan struct{})
	stuck := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer stuck.Close()
	defer close(release)
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(newServer(t, server.WithMetrics(reg, reg),
		server.WithWebhookPolicy(webhook.Policy{AllowHTTP: true, AllowPrivate: true}),
		server.WithWebhookDelivery(webhook.WithWorkers(1), webhook.WithQueueSize(4))).Handler())
	defer srv.Close()
	const js = "application/json"
	if status, out := call(t, srv.URL, "POST", "/api/2.0/mlflow/webhooks", js, `{"name": "h", "url": "`+stuck.URL+`",
		"events": [{"entity": "MODEL_VERSION", "action": "CREATED"}]}`); status != 200 {
		t.Fatalf("create webhook: %d %s", status, out)
	}
	call(t, srv.URL, "POST", "/api/2.0/mlflow/registered-models/create", js, `{"name": "iris"}`)
	// Every request returns although no delivery does; were one to wait
	// for the receiver, the test would hang here.
	for i := range 30 {
		if status, out := call(t, srv.URL, "POST", "/api/2.0/mlflow/model-versions/create", js, `{"name": "iris", "source": "s3://b/m"}`); status != 200 {
			t.Fatalf("version %d: %d %s", i+1, status, out)
		}
	}
	dropped := counterValue(t, reg, "berth_webhook_dropped_total")
	if dropped < 20 {
		t.Errorf("berth_webhook_dropped_total = %v, want most of 30 events dropped by a queue of 4", dropped)
	}
}

// counterValue reads one unlabelled counter gathered from reg.
func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no series %s", name)
	return 0
}

// TestWebhookRetryOutlivesRestart: a delivery whose first attempt was
// answered 503 is queued in the database, not in the server's memory; a
// server stopped before the retry leaves it there, and the next server on
// the same database makes it, under the same delivery id (regression: the
// retry state was in memory and died with the process).
func TestWebhookRetryOutlivesRestart(t *testing.T) {
	rec, hookSrv := newHookReceiver(t, "s3cret")
	st := openSQLite(t)
	opts := []server.Option{server.WithShutdownTimeout(10 * time.Second), server.WithWebhookKey([]byte(webhookKey)),
		server.WithWebhookPolicy(webhook.Policy{AllowHTTP: true, AllowPrivate: true}),
		server.WithWebhookDelivery(webhook.WithBackoff(3*time.Second, 10*time.Second))}
	serve := func(s *server.Server) (string, func()) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Serve(ctx, ln) }()
		return "http://" + ln.Addr().String(), func() {
			cancel()
			if err := <-done; err != nil {
				t.Error(err)
			}
		}
	}
	base, stop := serve(newServerOn(t, st, opts...))
	const js = "application/json"
	call(t, base, "POST", "/api/2.0/mlflow/webhooks", js, `{"name": "h", "url": "`+hookSrv.URL+`", "secret": "s3cret",
		"events": [{"entity": "REGISTERED_MODEL", "action": "CREATED"}]}`)
	call(t, base, "POST", "/api/2.0/mlflow/registered-models/create", js, `{"name": "iris"}`)
	firstID := ""
	for deadline := time.Now().Add(10 * time.Second); firstID == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		rec.mu.Lock()
		for id := range rec.seen {
			firstID = id
		}
		rec.mu.Unlock()
	}
	if firstID == "" {
		t.Fatal("no first attempt within 10s")
	}
	start := time.Now()
	stop() // the retry is 3s away: the server does not wait for it
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("stopping took %v: it waited for the retry", d)
	}
	select {
	case ev := <-rec.got:
		t.Fatalf("delivered before the restart: %+v", ev)
	default:
	}
	_, stop = serve(newServerOn(t, st, opts...))
	defer stop()
	ev := rec.next(t)
	if ev.Entity != "registered_model" || ev.Attempts != 2 {
		t.Errorf("event %+v, want registered_model on its 2nd attempt", ev)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.seen) != 1 || rec.seen[firstID] != 2 {
		t.Errorf("attempts by delivery id %v, want 2 of %s", rec.seen, firstID)
	}
}
