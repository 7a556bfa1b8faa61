package gateway_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/config"
)

// upstreamGateway serves a gateway (its default upstream transport: package
// h1 for plain http) whose endpoint "chat" calls base with timeout.
func upstreamGateway(t *testing.T, base, timeout string) *httptest.Server {
	t.Helper()
	y := "endpoints:\n  - name: chat\n    endpoint_type: llm/v1/chat\n    model: {provider: openai, name: m, config: {openai_api_key: k, openai_api_base: '" + base + "'}}\n    timeout: " + timeout + "\n"
	cfg, err := config.Parse([]byte(y), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfg, gateway.WithRetryBackoff(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// TestUpstreamFailuresThroughTransport: what the upstream transport's
// failures become at the gateway's client — a refused connection 502 and a
// timeout 504, each naming the provider; an answer over the 32 MiB bound
// 502 without the gateway holding more than the bound (and the next call
// still served); a stream the client leaves ends the upstream's request.
func TestUpstreamFailuresThroughTransport(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		srv := upstreamGateway(t, "http://"+addr+"/v1", "5s")
		resp, b := post(t, srv.URL+"/v1/chat/completions", `{"model":"chat","messages":[{"role":"user","content":"hi"}]}`)
		if resp.StatusCode != 502 || !strings.Contains(b, "provider openai unreachable") {
			t.Errorf("%d %s, want 502 naming the provider", resp.StatusCode, b)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}))
		defer up.Close()
		srv := upstreamGateway(t, up.URL+"/v1", "200ms")
		start := time.Now()
		resp, b := post(t, srv.URL+"/endpoints/chat/invocations", hello)
		if resp.StatusCode != 504 || !strings.Contains(b, "openai") || time.Since(start) > 3*time.Second {
			t.Errorf("after %v: %d %s, want 504 naming the provider", time.Since(start), resp.StatusCode, b)
		}
	})
	t.Run("oversize answer", func(t *testing.T) {
		var calls atomic.Int64
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			if calls.Add(1) == 1 { // 33 MiB of a JSON string, chunked (no length)
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, `{"id":"`)
				chunk := strings.Repeat("x", 1<<20)
				for range 33 {
					if _, err := io.WriteString(w, chunk); err != nil {
						return
					}
				}
				_, _ = io.WriteString(w, `"}`)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"fine"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`)
		}))
		defer up.Close()
		srv := upstreamGateway(t, up.URL+"/v1", "30s")
		resp, b := post(t, srv.URL+"/endpoints/chat/invocations", hello)
		if resp.StatusCode != 502 || !strings.Contains(b, "larger than 32 MiB") {
			t.Errorf("%d %.200s, want 502: the answer is larger than 32 MiB", resp.StatusCode, b)
		}
		resp, b = post(t, srv.URL+"/endpoints/chat/invocations", hello)
		if resp.StatusCode != 200 || !strings.Contains(b, "fine") {
			t.Errorf("the call after: %d %.200s", resp.StatusCode, b)
		}
	})
	t.Run("client leaves a stream", func(t *testing.T) {
		ended := make(chan struct{})
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = fmt.Fprint(w, `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"one"},"finish_reason":null}]}`+"\n\n")
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				close(ended)
			case <-time.After(10 * time.Second):
			}
		}))
		defer up.Close()
		srv := upstreamGateway(t, up.URL+"/v1", "30s")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/chat/completions",
			strings.NewReader(`{"model":"chat","stream":true,"messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		line, err := bufio.NewReader(resp.Body).ReadString('\n')
		if err != nil || !strings.Contains(line, `"one"`) {
			t.Fatalf("first event %q, %v", line, err)
		}
		cancel()
		select {
		case <-ended:
		case <-time.After(5 * time.Second):
			t.Fatal("the upstream's request did not end when the client left")
		}
	})
}
