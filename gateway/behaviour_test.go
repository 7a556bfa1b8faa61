package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/config"
	"github.com/berthml/berth/gateway/gatewaytest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func post(t *testing.T, url, body string, header ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

const hello = `{"messages":[{"role":"user","content":"hello there"}]}`

func TestRetriesHonourRetryAfterAndBackoff(t *testing.T) {
	echo := &gatewaytest.Echo{}
	up := httptest.NewServer(echo)
	defer up.Close()
	y := "endpoints:\n  - name: r\n    endpoint_type: llm/v1/chat\n    model: {provider: openai, name: m, config: {openai_api_key: k, openai_api_base: '" + up.URL + "'}}\n    max_retries: 2\n" +
		"  - name: r0\n    endpoint_type: llm/v1/chat\n    model: {provider: openai, name: m, config: {openai_api_key: k, openai_api_base: '" + up.URL + "'}}\n"
	cfg, err := config.Parse([]byte(y), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, _ := gateway.New(cfg, gateway.WithRetryBackoff(time.Millisecond))
	gs := httptest.NewServer(g.Handler())
	defer gs.Close()

	echo.FailFirst.Store(2)
	before := echo.Requests.Load()
	resp, b := post(t, gs.URL+"/endpoints/r/invocations", hello)
	if resp.StatusCode != 200 || echo.Requests.Load()-before != 3 {
		t.Errorf("2 failures then success: %d %s after %d upstream calls", resp.StatusCode, b, echo.Requests.Load()-before)
	}
	echo.FailFirst.Store(3)
	resp, b = post(t, gs.URL+"/endpoints/r/invocations", hello)
	if resp.StatusCode != 503 || !strings.Contains(b, "provider openai answered 503") {
		t.Errorf("3 failures, 2 retries: %d %s", resp.StatusCode, b)
	}
	echo.FailFirst.Store(1)
	resp, _ = post(t, gs.URL+"/endpoints/r0/invocations", hello)
	if resp.StatusCode != 503 {
		t.Errorf("no retries configured: %d", resp.StatusCode)
	}
	echo.FailFirst.Store(0)

	// A Retry-After longer than the endpoint's timeout is not waited for.
	echo.RetryAfter = "30"
	y2 := "endpoints:\n  - name: r\n    endpoint_type: llm/v1/chat\n    model: {provider: openai, name: fail429, config: {openai_api_key: k, openai_api_base: '" + up.URL + "'}}\n    max_retries: 3\n    timeout: 2s\n"
	cfg2, _ := config.Parse([]byte(y2), "c.yaml")
	g2, _ := gateway.New(cfg2, gateway.WithRetryBackoff(time.Millisecond))
	gs2 := httptest.NewServer(g2.Handler())
	defer gs2.Close()
	start, before := time.Now(), echo.Requests.Load()
	resp, _ = post(t, gs2.URL+"/endpoints/r/invocations", hello)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "30" || echo.Requests.Load()-before != 1 || time.Since(start) > time.Second {
		t.Errorf("429 with Retry-After 30 and a 2 s timeout: %d Retry-After %q, %d calls, %v", resp.StatusCode, resp.Header.Get("Retry-After"), echo.Requests.Load()-before, time.Since(start))
	}
}

func TestFallbacksAndTrafficRoutes(t *testing.T) {
	srv, echo := echoGateway(t, "")
	_ = srv
	up := httptest.NewServer(echo)
	defer up.Close()
	ep := func(name, model, extra string) string {
		return "  - name: " + name + "\n    endpoint_type: llm/v1/chat\n    model: {provider: openai, name: " + model +
			", config: {openai_api_key: k, openai_api_base: '" + up.URL + "'}}\n" + extra
	}
	y := "endpoints:\n" + ep("primary", "fail500", "    fallbacks: [second, third]\n") + ep("second", "fail500", "") + ep("third", "good", "") +
		ep("a", "model-a", "") + ep("b", "model-b", "") +
		"routes:\n  - name: split\n    task_type: llm/v1/chat\n    destinations: [{name: a, traffic_percentage: 75}, {name: b, traffic_percentage: 25}]\n"
	cfg, err := config.Parse([]byte(y), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, _ := gateway.New(cfg)
	gs := httptest.NewServer(g.Handler())
	defer gs.Close()
	resp, b := post(t, gs.URL+"/endpoints/primary/invocations", hello)
	if resp.StatusCode != 200 || !strings.Contains(b, `"model":"good"`) {
		t.Errorf("fallback chain: %d %s", resp.StatusCode, b)
	}
	// A client mistake is not retried elsewhere.
	resp, _ = post(t, gs.URL+"/endpoints/primary/invocations", `{"messages":[]}`)
	if resp.StatusCode != 422 {
		t.Errorf("invalid body: %d", resp.StatusCode)
	}
	counts := map[string]int{}
	for range 400 {
		_, b := post(t, gs.URL+"/v1/chat/completions", `{"model":"split","messages":[{"role":"user","content":"x"}]}`)
		var r deployments.ChatResponse
		_ = json.Unmarshal([]byte(b), &r)
		counts[r.Model]++
	}
	if counts["model-a"]+counts["model-b"] != 400 || counts["model-a"] < 250 || counts["model-a"] > 350 {
		t.Errorf("75/25 split over 400 calls: %v", counts)
	}
}

func TestCircuitBreaker(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clk := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv, echo := echoGateway(t, "", gateway.WithBreaker(gateway.BreakerSettings{Failures: 3, OpenFor: 10 * time.Second}), gateway.WithClock(clk))
	for i := range 3 {
		if resp, _ := post(t, srv.URL+"/endpoints/chat-500/invocations", hello); resp.StatusCode != 502 {
			t.Fatalf("failure %d: %d", i, resp.StatusCode)
		}
	}
	before := echo.Requests.Load()
	resp, b := post(t, srv.URL+"/endpoints/chat-500/invocations", hello)
	if resp.StatusCode != 503 || echo.Requests.Load() != before || resp.Header.Get("Retry-After") != "10" || !strings.Contains(b, "provider openai for endpoint chat-500 is failing") {
		t.Errorf("open circuit: %d %s (Retry-After %q), upstream called %d times", resp.StatusCode, b, resp.Header.Get("Retry-After"), echo.Requests.Load()-before)
	}
	if resp, _ := post(t, srv.URL+"/endpoints/chat/invocations", hello); resp.StatusCode != 200 {
		t.Errorf("another endpoint's circuit is its own: %d", resp.StatusCode)
	}
	mu.Lock()
	now = now.Add(11 * time.Second)
	mu.Unlock()
	if resp, _ := post(t, srv.URL+"/endpoints/chat-500/invocations", hello); resp.StatusCode != 502 || echo.Requests.Load() != before+2 {
		t.Errorf("half-open probe: %d", resp.StatusCode)
	}
}

func TestTimeoutAndCancellation(t *testing.T) {
	echo := &gatewaytest.Echo{SlowDelay: 5 * time.Second}
	up := httptest.NewServer(echo)
	defer up.Close()
	y := "endpoints:\n  - name: slow\n    endpoint_type: llm/v1/chat\n    model: {provider: openai, name: slow, config: {openai_api_key: k, openai_api_base: '" + up.URL + "'}}\n    timeout: 200ms\n"
	cfg, _ := config.Parse([]byte(y), "c.yaml")
	g, _ := gateway.New(cfg)
	gs := httptest.NewServer(g.Handler())
	defer gs.Close()
	start := time.Now()
	resp, b := post(t, gs.URL+"/endpoints/slow/invocations", hello)
	if resp.StatusCode != 504 || time.Since(start) > 2*time.Second {
		t.Errorf("timeout: %d %s after %v", resp.StatusCode, b, time.Since(start))
	}
	// The client goes away: the upstream call ends with it.
	y = strings.Replace(y, "timeout: 200ms", "timeout: 30s", 1)
	cfg, _ = config.Parse([]byte(y), "c.yaml")
	_ = g.Reload(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, gs.URL+"/endpoints/slow/invocations", strings.NewReader(hello))
	req.Header.Set("Content-Type", "application/json")
	start = time.Now()
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("the request did not fail")
	}
	// The upstream's handler returns when its request's context ends;
	// httptest.Server.Close waits for it, so a leaked call would hang here.
	done := make(chan struct{})
	go func() { gs.Close(); up.CloseClientConnections(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("the upstream call outlived its client")
	}
}

func TestBodyLimitAndBadInput(t *testing.T) {
	srv, _ := echoGateway(t, "", gateway.WithMaxBody(1024))
	big := `{"messages":[{"role":"user","content":"` + strings.Repeat("x", 2000) + `"}]}`
	tests := []struct {
		path, body string
		status     int
		want       string
	}{
		{"/endpoints/chat/invocations", big, 413, `{"detail":"The request body is larger than 1024 bytes."}`},
		{"/v1/chat/completions", big, 413, `"type":"invalid_request_error"`},
		{"/endpoints/chat/invocations", `{"messages":[{"role":"user","content":"x"}],"stream":"yes"}`, 422, `"msg":"value could not be parsed to a boolean"`},
		{"/endpoints/chat/invocations", `{"messages":[{"role":"user","content":"x"}],"stop":["a",1]}`, 422, `"loc":["body","stop",1]`},
		{"/endpoints/chat/invocations", `{"messages":[{"role":"user","content":"x"}],"n":1.5}`, 422, `value is not a valid integer`},
		{"/endpoints/embeddings/invocations", `{"input":null}`, 422, `none is not an allowed value`},
		{"/v1/chat/completions", `{"model":"chat","messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]}`, 200, `echo: [map[text:x type:text]]`},
		// model is pydantic v1's Optional[str]: a number becomes its text,
		// a list is refused; on /endpoints any model but null is refused.
		{"/v1/embeddings", `{"model":5,"input":"a"}`, 400, `"detail":"Route 5 not found in the configuration."`},
		{"/v1/embeddings", `{"model":1e2,"input":"a"}`, 400, `"detail":"Route 100.0 not found in the configuration."`},
		{"/v1/chat/completions", `{"model":true,"messages":[{"role":"user","content":"x"}]}`, 400, `Route True not found`},
		{"/v1/chat/completions", `{"model":["chat"],"messages":[{"role":"user","content":"x"}]}`, 422, `"msg":"str type expected"`},
		{"/endpoints/chat/invocations", `{"model":"","messages":[{"role":"user","content":"x"}]}`, 422, `The parameter 'model' is not permitted`},
		{"/endpoints/embeddings/invocations", `{"model":7,"input":"a"}`, 422, `The parameter 'model' is not permitted`},
		{"/endpoints/chat/invocations", `{"model":null,"messages":[{"role":"user","content":"x"}]}`, 200, `echo: x`},
		{"/endpoints/chat/invocations", `{"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"1","content":"42"}]}`, 200, `echo: 42`},
	}
	for _, tt := range tests {
		resp, b := post(t, srv.URL+tt.path, tt.body)
		if resp.StatusCode != tt.status || !strings.Contains(b, tt.want) {
			t.Errorf("%s %.60s: %d %s, want %d with %s", tt.path, tt.body, resp.StatusCode, b, tt.status, tt.want)
		}
	}
}

// fakeGuard admits the key "good" and records usage.
type fakeGuard struct {
	mu    sync.Mutex
	usage []gateway.Usage
}

func (f *fakeGuard) Admit(_ context.Context, r *http.Request, endpoint string) (gateway.Ticket, error) {
	switch r.Header.Get("Authorization") {
	case "Bearer good":
		return f, nil
	case "Bearer limited":
		return nil, &gateway.Denied{Reason: gateway.DenyRateLimited, Message: "60 requests per minute", RetryAfter: 1500 * time.Millisecond}
	case "Bearer other":
		return nil, &gateway.Denied{Reason: gateway.DenyForbidden, Message: "key may not use " + endpoint}
	}
	return nil, &gateway.Denied{Reason: gateway.DenyUnauthenticated, Message: "a gateway key is required"}
}

func (f *fakeGuard) Done(u gateway.Usage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.usage = append(f.usage, u)
}

func TestGuard(t *testing.T) {
	guard := &fakeGuard{}
	srv, _ := echoGateway(t, "", gateway.WithGuard(guard))
	tests := []struct {
		path, key string
		status    int
		want      string
	}{
		{"/endpoints/chat/invocations", "", 401, `{"detail":"a gateway key is required"}`},
		{"/v1/chat/completions", "", 401, `"type":"authentication_error"`},
		{"/v1/chat/completions", "other", 403, `"message":"key may not use chat"`},
		{"/v1/chat/completions", "limited", 429, `"code":"rate_limit_exceeded"`},
		{"/v1/chat/completions", "good", 200, `echo: hello there`},
	}
	for _, tt := range tests {
		body := hello
		if strings.HasPrefix(tt.path, "/v1") {
			body = `{"model":"chat","messages":[{"role":"user","content":"hello there"}]}`
		}
		resp, b := post(t, srv.URL+tt.path, body, "Authorization", "Bearer "+tt.key)
		if resp.StatusCode != tt.status || !strings.Contains(b, tt.want) {
			t.Errorf("%s key %q: %d %s", tt.path, tt.key, resp.StatusCode, b)
		}
		if tt.key == "limited" && resp.Header.Get("Retry-After") != "2" {
			t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
		}
	}
	resp, _ := post(t, srv.URL+"/endpoints/chat/invocations", `{"messages":[{"role":"user","content":"one two"}],"stream":true}`, "Authorization", "Bearer good")
	if resp.StatusCode != 200 {
		t.Fatal(resp.StatusCode)
	}
	guard.mu.Lock()
	defer guard.mu.Unlock()
	if len(guard.usage) != 2 || guard.usage[0].InputTokens != 5 || guard.usage[0].OutputTokens != 3 || guard.usage[0].Endpoint != "chat" ||
		guard.usage[1].OutputTokens != 3 || guard.usage[0].Provider != "openai" {
		t.Errorf("usage: %+v", guard.usage)
	}
}

// TestKeysStayOutOfLogsErrorsMetrics makes every failure happen with a
// logger and metrics attached and looks for the provider key everywhere.
func TestKeysStayOutOfLogsErrorsMetrics(t *testing.T) {
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	srv, _ := echoGateway(t, "", gateway.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		gateway.WithMetrics(gateway.NewMetrics(reg)))
	var answers strings.Builder
	for _, p := range []string{"chat", "chat-500", "chat-429", "nope"} {
		resp, b := post(t, srv.URL+"/endpoints/"+p+"/invocations", hello)
		answers.WriteString(b)
		for k, v := range resp.Header {
			answers.WriteString(k + strings.Join(v, ""))
		}
	}
	_, b := post(t, srv.URL+"/v1/chat/completions", `{"model":"chat-500","messages":[{"role":"user","content":"x"}],"stream":true}`)
	answers.WriteString(b)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := json.Marshal(mfs)
	for what, s := range map[string]string{"answers": answers.String(), "logs": logs.String(), "metrics": string(metrics)} {
		if strings.Contains(s, "sk-secret-provider-key") {
			t.Errorf("the provider key is in the %s", what)
		}
	}
	if !strings.Contains(logs.String(), "query failed") {
		t.Errorf("the failures were not logged: %s", logs.String())
	}
	if n, err := testutil.GatherAndCount(reg, "berth_gateway_requests_total", "berth_gateway_errors_total", "berth_gateway_tokens_total"); err != nil || n < 5 {
		t.Errorf("metrics: %d series, %v", n, err)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("metric lint: %v %v", problems, err)
	}
}

func TestOverheadHeader(t *testing.T) {
	srv, _ := echoGateway(t, "")
	resp, _ := post(t, srv.URL+"/endpoints/chat/invocations", hello)
	if h := resp.Header.Get("x-berth-gateway-overhead-ms"); h == "" {
		t.Error("no x-berth-gateway-overhead-ms")
	}
	resp, _ = post(t, srv.URL+"/v1/chat/completions", `{"model":"chat","stream":true,"messages":[{"role":"user","content":"x"}]}`)
	if h := resp.Header.Get("x-berth-gateway-overhead-ms"); h == "" {
		t.Error("no x-berth-gateway-overhead-ms on a stream")
	}
}

func TestHotReload(t *testing.T) {
	echo := &gatewaytest.Echo{}
	up := httptest.NewServer(echo)
	defer up.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "gateway.yaml")
	write := func(names ...string) {
		y := "endpoints:\n"
		for _, n := range names {
			y += "  - name: " + n + "\n    endpoint_type: llm/v1/chat\n    model: {provider: openai, name: m, config: {openai_api_key: k, openai_api_base: '" + up.URL + "'}}\n"
		}
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	write("one")
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := gateway.New(cfg)
	reloads := make(chan error, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := g.Watch(ctx, path, func(err error) { reloads <- err }); err != nil {
		t.Fatal(err)
	}
	wait := func() error {
		select {
		case err := <-reloads:
			return err
		case <-time.After(5 * time.Second):
			t.Fatal("no reload after the file changed")
		}
		return nil
	}
	write("one", "two")
	if err := wait(); err != nil || len(g.Endpoints()) != 2 {
		t.Fatalf("reload: %v, %d endpoints", err, len(g.Endpoints()))
	}
	if err := os.WriteFile(path, []byte("endpoints:\n  - name: bad name\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err = wait()
	if err == nil || !strings.Contains(err.Error(), "'bad name' is invalid") || len(g.Endpoints()) != 2 {
		t.Errorf("a bad edit: %v, %d endpoints (the old config must stay)", err, len(g.Endpoints()))
	}
	write("three")
	if err := wait(); err != nil || g.Endpoints()[0].Name != "three" {
		t.Errorf("the next good edit: %v %v", err, g.Endpoints())
	}
}
