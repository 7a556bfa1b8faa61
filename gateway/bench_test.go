package gateway_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/config"
	"github.com/berthml/berth/gateway/gatewaytest"
	"github.com/berthml/berth/gateway/provider"
)

// instant answers at once, without a network: the benchmark measures
// the gateway's own work per query.
type instant struct{ provider.Unsupported }

func (instant) Chat(context.Context, *deployments.ChatRequest) (*deployments.ChatResponse, error) {
	return &deployments.ChatResponse{ID: "c", Object: "chat.completion", Model: "m", Usage: deployments.NewUsage(5, 3),
		Choices: []deployments.ChatChoice{{Message: deployments.ResponseMessage{Role: "assistant", Content: deployments.Ptr("echo: hello there")}, FinishReason: deployments.Ptr("stop")}}}, nil
}

func init() {
	provider.Register(provider.Spec{Name: "bench-instant", New: func(provider.Config) (provider.Provider, error) { return instant{}, nil }})
}

// BenchmarkChat is one /v1/chat/completions query through the gateway's
// handler (parsing, validation, limit, guard, provider call, encoding),
// the upstream answering instantly in process.
func BenchmarkChat(b *testing.B) {
	cfg, err := config.Parse([]byte("endpoints:\n  - name: chat\n    endpoint_type: llm/v1/chat\n    model: {provider: bench-instant, name: m}\n    limit: {calls: 1000000000, renewal_period: minute}\n"), "b.yaml")
	if err != nil {
		b.Fatal(err)
	}
	g, err := gateway.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	h := g.Handler()
	body := `{"model":"chat","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello there, how are you today?"}],"max_tokens":32,"temperature":0.2}`
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}

// BenchmarkChatUpstream is one /v1/chat/completions query through the
// gateway's handler to a real OpenAI-shaped upstream on loopback (the
// openai provider, its transport, the upstream's JSON): the gateway's
// whole cost on the path, the upstream's included.
func BenchmarkChatUpstream(b *testing.B) {
	up := httptest.NewServer(&gatewaytest.Echo{})
	defer up.Close()
	cfg, err := config.Parse([]byte("endpoints:\n  - name: chat\n    endpoint_type: llm/v1/chat\n    model:\n      provider: openai\n      name: gpt-4o-mini\n      config: {openai_api_key: sk-bench, openai_api_base: '"+up.URL+"/v1'}\n"), "b.yaml")
	if err != nil {
		b.Fatal(err)
	}
	g, err := gateway.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	h := g.Handler()
	body := `{"model":"chat","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello there, how are you today?"}],"max_tokens":32,"temperature":0.2}`
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}

// proxyBench runs c=64 clients (32 per GOMAXPROCS on 2 cores) posting the
// chat body to url over keep-alive connections: with BenchmarkDirect as
// its baseline, allocs/op and ns/op less the direct path's are what the
// gateway's leg adds per call (its server, its upstream client and its
// own work), all in this one process.
func proxyBench(b *testing.B, url, body string) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 256, 256
	c := &http.Client{Transport: t}
	b.Cleanup(t.CloseIdleConnections)
	b.SetParallelism(32)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Post(url, "application/json", strings.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("%s answered %d", url, resp.StatusCode)
				return
			}
		}
	})
}

const proxyBody = `{"model":"chat","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello there, how are you today?"}],"max_tokens":32}`

// BenchmarkDirect is BenchmarkProxy's baseline: the same clients straight
// to the upstream.
func BenchmarkDirect(b *testing.B) {
	up := httptest.NewServer(&gatewaytest.Echo{})
	defer up.Close()
	proxyBench(b, up.URL+"/v1/chat/completions", strings.Replace(proxyBody, `"chat"`, `"gpt-4o-mini"`, 1))
}

// BenchmarkProxy is c=64 clients through a gateway served over loopback
// to an OpenAI-shaped upstream answering at once (gatewaybench's
// throughput case, in one process).
func BenchmarkProxy(b *testing.B) {
	up := httptest.NewServer(&gatewaytest.Echo{})
	defer up.Close()
	cfg, err := config.Parse([]byte("endpoints:\n  - name: chat\n    endpoint_type: llm/v1/chat\n    model:\n      provider: openai\n      name: gpt-4o-mini\n      config: {openai_api_key: sk-bench, openai_api_base: '"+up.URL+"/v1'}\n"), "b.yaml")
	if err != nil {
		b.Fatal(err)
	}
	g, err := gateway.New(cfg, gateway.WithMetrics(gateway.NewMetrics(prometheus.NewRegistry())))
	if err != nil {
		b.Fatal(err)
	}
	gw := httptest.NewServer(g.Handler())
	defer gw.Close()
	proxyBench(b, gw.URL+"/v1/chat/completions", proxyBody)
}
