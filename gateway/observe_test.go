package gateway_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/berthml/berth/gateway"
)

// TestMLflowTimingHeaders checks MLflow 3's x-mlflow-gateway-duration-ms
// and x-mlflow-gateway-overhead-duration-ms beside berth's own header:
// whole milliseconds, the duration covering the upstream's 30 ms, the
// overhead only where a provider was called.
func TestMLflowTimingHeaders(t *testing.T) {
	srv, echo := echoGateway(t, "")
	echo.Delay = 30 * time.Millisecond
	ms := func(resp *http.Response, name string) int {
		t.Helper()
		v := resp.Header.Get(name)
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("%s = %q, want whole milliseconds", name, v)
		}
		return n
	}
	for _, tt := range []struct{ name, path, body string }{
		{"mlflow unary", "/endpoints/chat/invocations", hello},
		{"mlflow 3 route", "/gateway/chat/mlflow/invocations", hello},
		{"openai unary", "/v1/chat/completions", `{"model":"chat","messages":[{"role":"user","content":"x"}]}`},
		{"openai stream", "/v1/chat/completions", `{"model":"chat","stream":true,"messages":[{"role":"user","content":"x"}]}`},
	} {
		resp, b := post(t, srv.URL+tt.path, tt.body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", tt.name, resp.StatusCode, b)
		}
		d, o := ms(resp, gateway.HeaderDuration), ms(resp, gateway.HeaderOverheadDuration)
		if d < 30 || o < 0 || o > d || o > 25 {
			t.Errorf("%s: duration %d ms, overhead %d ms; want duration ≥ the upstream's 30 ms and a small overhead", tt.name, d, o)
		}
		if resp.Header.Get("x-berth-gateway-overhead-ms") == "" {
			t.Errorf("%s: no x-berth-gateway-overhead-ms", tt.name)
		}
	}
	// A query refused before any provider call: the duration, no overhead.
	resp, _ := post(t, srv.URL+"/endpoints/chat/invocations", `{"messages": 3}`)
	if resp.StatusCode != 422 && resp.StatusCode != 400 {
		t.Fatalf("a bad body: %d", resp.StatusCode)
	}
	if ms(resp, gateway.HeaderDuration); resp.Header.Get(gateway.HeaderOverheadDuration) != "" {
		t.Errorf("overhead %q on an answer no provider took part in", resp.Header.Get(gateway.HeaderOverheadDuration))
	}
}

// keyGuard admits "Bearer bk-<name>" as the key <name> (a KeyedTicket),
// refuses "Bearer bk-limited" as a known key over its limit, and anything
// else as unknown.
type keyGuard struct{}

type keyedTicket string

func (keyedTicket) Done(gateway.Usage) {}
func (k keyedTicket) Key() string      { return string(k) }

func (keyGuard) Admit(_ context.Context, r *http.Request, _ string) (gateway.Ticket, error) {
	secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer bk-")
	switch {
	case !ok:
		return nil, &gateway.Denied{Reason: gateway.DenyUnauthenticated, Message: "unknown gateway key"}
	case secret == "limited":
		return nil, &gateway.Denied{Reason: gateway.DenyRateLimited, Message: "over", RetryAfter: time.Second, Key: "limited"}
	}
	return keyedTicket(secret), nil
}

// observed records what a UsageObserver is told.
type observed struct {
	mu sync.Mutex
	u  []gateway.Usage
}

func (o *observed) Observe(u gateway.Usage) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.u = append(o.u, u)
}

// TestKeyMetrics scrapes /metrics after traffic from several keys: per
// key requests, errors by class and tokens, the keys past the label cap
// counted as "other", unknown keys under no key label, and no secret
// anywhere in the exposition.
func TestKeyMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	obs := &observed{}
	srv, _ := echoGateway(t, "", gateway.WithGuard(keyGuard{}), gateway.WithUsageObserver(obs),
		gateway.WithMetrics(gateway.NewMetrics(reg, gateway.WithMaxKeyLabels(2))))
	metrics := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer metrics.Close()
	for _, q := range []struct{ key, endpoint string }{
		{"alice", "chat"}, {"alice", "chat"}, {"alice", "chat-500"}, {"bob", "chat"}, {"carol", "chat"}, {"dave", "chat"},
		{"limited", "chat"}, {"", "chat"},
	} {
		h := []string{}
		if q.key != "" {
			h = []string{"Authorization", "Bearer bk-" + q.key}
		}
		post(t, srv.URL+"/endpoints/"+q.endpoint+"/invocations", hello, h...)
	}
	resp, err := http.Get(metrics.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(b)
	for _, want := range []string{
		`berth_gateway_key_requests_total{code="200",endpoint="chat",key="alice"} 2`,
		`berth_gateway_key_requests_total{code="502",endpoint="chat-500",key="alice"} 1`,
		`berth_gateway_key_errors_total{class="upstream",endpoint="chat-500",key="alice"} 1`,
		`berth_gateway_key_tokens_total{direction="input",endpoint="chat",key="alice"} 10`,
		`berth_gateway_key_tokens_total{direction="output",endpoint="chat",key="alice"} 6`,
		`berth_gateway_key_requests_total{code="200",endpoint="chat",key="bob"} 1`,
		`berth_gateway_key_requests_total{code="200",endpoint="chat",key="other"} 2`, // carol and dave: past the cap of 2
		`berth_gateway_key_requests_total{code="429",endpoint="chat",key="other"} 1`, // limited, refused by name
		`berth_gateway_key_errors_total{class="denied",endpoint="chat",key="other"} 1`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("exposition:\n%s", grepLines(text, "berth_gateway_key_"))
	}
	for _, leak := range []string{"bk-", "carol", "dave", "sk-secret"} {
		if strings.Contains(text, leak) {
			t.Errorf("/metrics holds %q", leak)
		}
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("metric lint: %v %v", problems, err)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.u) != 8 {
		t.Fatalf("observer told of %d queries, want 8", len(obs.u))
	}
	for i, want := range []struct {
		key    string
		status int
	}{{"alice", 200}, {"alice", 200}, {"alice", 502}, {"bob", 200}, {"carol", 200}, {"dave", 200}, {"limited", 429}, {"", 401}} {
		if u := obs.u[i]; u.Key != want.key || u.Status != want.status {
			t.Errorf("query %d observed as key %q status %d, want %q %d", i, u.Key, u.Status, want.key, want.status)
		}
	}
}

func grepLines(text, prefix string) string {
	var out []string
	for l := range strings.SplitSeq(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
