package gateway_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
