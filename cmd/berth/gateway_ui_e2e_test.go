package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthml/berth/gateway/gatewaytest"
	"github.com/berthml/berth/internal/browsertest"
)

// TestGatewayUIPage is the gateway page's "done when", on the real binary:
// berth server --gateway-config with gateway keys and a route, traffic
// through it with two keys, then in headless Chromium #/gateway shows the
// endpoints (type, provider, model, limit, fallbacks), the route, the keys
// (name, id, hint, endpoints, limits, use) and no secret, and usage charts
// per endpoint and per key from the usage runs; no console error; on a
// 390 px phone nothing is wider than the screen.
func TestGatewayUIPage(t *testing.T) {
	bin := buildBerth(t)
	up := httptest.NewServer(&gatewaytest.Echo{})
	defer up.Close()
	cfg := writeGatewayConfig(t, up.URL)
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("routes:\n  - name: chat-split\n    task_type: llm/v1/chat\n    destinations:\n" +
		"      - name: chat\n        traffic_percentage: 100\n" +
		"prices:\n  - endpoint: chat\n    input: 1000\n    output: 2000\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	data := t.TempDir()
	db := "sqlite:///" + filepath.Join(data, "b.db")
	secrets := map[string]string{}
	for _, k := range []struct{ name, extra string }{{"team-a", "--rpm=600"}, {"team-b", "--day-tokens=100000"}} {
		out, err := gatewayKeys(t, db, "create", "--name", k.name, k.extra, "-o", "json")
		if err != nil {
			t.Fatalf("creating %s: %v %s", k.name, err, out)
		}
		var created struct{ Secret string }
		if err := json.Unmarshal([]byte(out), &created); err != nil {
			t.Fatal(err)
		}
		secrets[k.name] = created.Secret
	}
	srv := startBerth(t, bin, "server", "--port", "0", "--backend-store-uri", db, "--artifacts-destination", filepath.Join(data, "a"),
		"--gateway-config", cfg, "--gateway-keys", "--gateway-keys-reconcile", "200ms", "--report-interval", "1s")
	call := func(path, body, secret string) {
		req, _ := http.NewRequest(http.MethodPost, srv+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
	}
	traffic := func() {
		for range 3 {
			call("/endpoints/chat/invocations", `{"messages":[{"role":"user","content":"hello there"}]}`, secrets["team-a"])
		}
		call("/v1/chat/completions", `{"model":"chat","messages":[{"role":"user","content":"one two three"}]}`, secrets["team-b"])
		call("/endpoints/embeddings/invocations", `{"input":["a","b"]}`, secrets["team-a"])
	}
	traffic()
	waitUsage(t, srv, "chat", map[string]float64{"gateway.requests": 4, "gateway.key.team-b.requests": 1})
	traffic() // a second interval with traffic: lines, not dots
	waitUsage(t, srv, "chat", map[string]float64{"gateway.requests": 8, "gateway.key.team-a.requests": 6})

	b := browsertest.New(t) // its time runs from here
	check := func(t *testing.T, p *browsertest.Page) {
		t.Helper()
		p.WaitVisible(`#app[data-state="ready"]`)
		p.WaitVisible(`section.gateway-usage[data-endpoint="chat"] canvas`)
		p.Settle()
		if h1 := p.Text("h1"); h1 != "Gateway" {
			t.Fatalf("h1 %q", h1)
		}
		endpoints := p.Text("table.gateway-endpoints")
		for _, want := range []string{"chat", "llm/v1/chat", "openai", "gpt-4o-mini", "embeddings", "text-embedding-3-small"} {
			if !strings.Contains(endpoints, want) {
				t.Errorf("the endpoints table lacks %q: %s", want, endpoints)
			}
		}
		if routes := p.Text("table.gateway-routes"); !strings.Contains(routes, "chat-split") || !strings.Contains(routes, "chat 100%") {
			t.Errorf("the routes table: %s", routes)
		}
		keys := p.Text("table.gateway-keys")
		for _, want := range []string{"team-a", "team-b", "600 req/min", "100000 tok/day", "active", "all"} {
			if !strings.Contains(keys, want) {
				t.Errorf("the keys table lacks %q: %s", want, keys)
			}
		}
		var page string
		p.Eval(`document.documentElement.outerHTML`, &page)
		for name, s := range secrets {
			if strings.Contains(page, s) || strings.Contains(page, s[3:19]) {
				t.Errorf("the page holds %s's secret", name)
			}
		}
		if n := p.Count(`section.gateway-usage[data-endpoint="chat"] canvas`); n < 6 {
			t.Errorf("%d charts for chat, want requests/s, tokens, errors, latency, and requests and tokens by key", n)
		}
		if legend := p.Text(`section.gateway-usage[data-endpoint="chat"]`); !strings.Contains(legend, "team-a") || !strings.Contains(legend, "team-b") {
			t.Errorf("chat's usage names no key: %s", legend)
		}
		if p.Count(`section.gateway-usage[data-endpoint="embeddings"] canvas`) == 0 {
			t.Error("no usage chart for embeddings")
		}
		p.AssertNoConsoleErrors()
	}
	t.Run("desktop", func(t *testing.T) {
		p := b.For(t).Open(srv + "/#/gateway")
		check(t, p)
		p.Screenshot("gateway")
	})
	t.Run("phone", func(t *testing.T) {
		p := browsertest.New(t, browsertest.WithMobileViewport()).Open(srv + "/#/gateway")
		check(t, p)
		var w struct{ Scroll, Inner int }
		p.Eval(`({Scroll: document.documentElement.scrollWidth, Inner: window.innerWidth})`, &w)
		if w.Scroll > w.Inner+1 {
			t.Errorf("the gateway page is %d px wide on a %d px screen", w.Scroll, w.Inner)
		}
		p.Screenshot("gateway-phone")
	})
}
