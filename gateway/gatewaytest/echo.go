// Package gatewaytest holds test helpers for the gateway: Echo, an
// OpenAI-shaped upstream that answers as the stand-in MLflow's
// Deployments server was recorded against
// (testdata/conformance/mlflow-deployments/openai_standin_upstream.py),
// ported to Go so tests and benchmarks need no Python.
//
// It is a protocol stand-in for tests of the gateway's own code; the real
// engine behind the gateway in end-to-end tests is llama.cpp.
package gatewaytest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Created is the fixed "created" of every answer.
const Created = 1700000000

// Echo answers /v1/chat/completions with "echo: <last message content>"
// (streamed word by word when asked), /v1/completions with "echo:
// <prompt>", /v1/embeddings with [0.1, 0.2, 0.3, i] per input. Model names
// select failures: "fail500" (500 with an OpenAI error), "fail429" (429,
// with Retry-After when RetryAfter is set), "badjson" (200, not JSON),
// "slow" (waits SlowDelay first).
type Echo struct {
	Delay      time.Duration // before every answer (a fixed upstream latency)
	SlowDelay  time.Duration // before answers for model "slow"
	RetryAfter string        // the 429's Retry-After header, if set
	Requests   atomic.Int64  // requests served
	// FailFirst makes the first N requests answer 503 (to test retries).
	FailFirst atomic.Int64
	// LastAuth is the Authorization header of the last request.
	LastAuth atomic.Value
}

func (e *Echo) send(w http.ResponseWriter, code int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

func (e *Echo) sse(w http.ResponseWriter, events []any) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	for _, ev := range events {
		var b []byte
		if s, ok := ev.(string); ok {
			b = []byte(s)
		} else {
			b, _ = json.Marshal(ev)
		}
		_, _ = fmt.Fprintf(w, "data: %s\n\n", b)
		if f != nil {
			f.Flush()
		}
	}
}

func errBody(msg, typ string, code any) map[string]any {
	return map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": code}}
}

// ServeHTTP answers one request.
func (e *Echo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.Requests.Add(1)
	e.LastAuth.Store(r.Header.Get("Authorization"))
	raw, _ := io.ReadAll(r.Body)
	var req map[string]any
	if json.Unmarshal(raw, &req) != nil {
		e.send(w, 400, errBody("bad json", "invalid_request_error", nil))
		return
	}
	if e.FailFirst.Add(-1) >= 0 {
		e.send(w, 503, errBody("overloaded", "server_error", nil))
		return
	}
	model, _ := req["model"].(string)
	switch model {
	case "fail500":
		e.send(w, 500, errBody("The server had an error while processing your request.", "server_error", nil))
		return
	case "fail429":
		if e.RetryAfter != "" {
			w.Header().Set("Retry-After", e.RetryAfter)
		}
		e.send(w, 429, errBody("Rate limit reached", "requests", "rate_limit_exceeded"))
		return
	case "badjson":
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "this is not json")
		return
	case "slow":
		select {
		case <-time.After(e.SlowDelay):
		case <-r.Context().Done():
			return
		}
	}
	if e.Delay > 0 {
		select {
		case <-time.After(e.Delay):
		case <-r.Context().Done():
			return
		}
	}
	k := 1
	if n, ok := req["n"].(float64); ok && n >= 1 {
		k = int(n)
	}
	stream, _ := req["stream"].(bool)
	switch strings.TrimPrefix(r.URL.Path, "/v1") {
	case "/chat/completions":
		msgs, _ := req["messages"].([]any)
		if len(msgs) == 0 {
			e.send(w, 400, errBody("messages required", "invalid_request_error", nil))
			return
		}
		last, _ := msgs[len(msgs)-1].(map[string]any)
		text := fmt.Sprintf("echo: %v", last["content"])
		if stream {
			var ev []any
			words := strings.Fields(text)
			for i, wd := range words {
				for c := range k {
					delta := map[string]any{"content": wd + " "}
					if i == 0 {
						delta["role"] = "assistant"
					}
					var finish any
					if i == len(words)-1 {
						finish = "stop"
					}
					ev = append(ev, map[string]any{"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": Created, "model": model,
						"choices": []any{map[string]any{"index": c, "delta": delta, "finish_reason": finish}}})
				}
			}
			e.sse(w, append(ev, "[DONE]"))
			return
		}
		choices := make([]any, k)
		for c := range k {
			choices[c] = map[string]any{"index": c, "message": map[string]any{"role": "assistant", "content": text}, "finish_reason": "stop"}
		}
		e.send(w, 200, map[string]any{"id": "chatcmpl-1", "object": "chat.completion", "created": Created, "model": model, "choices": choices,
			"usage": map[string]any{"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}})
	case "/embeddings":
		m := 1
		if l, ok := req["input"].([]any); ok {
			m = len(l)
		}
		data := make([]any, m)
		for i := range m {
			data[i] = map[string]any{"object": "embedding", "index": i, "embedding": []float64{0.1, 0.2, 0.3, float64(i)}}
		}
		e.send(w, 200, map[string]any{"object": "list", "model": model, "data": data, "usage": map[string]any{"prompt_tokens": 2, "total_tokens": 2}})
	default:
		e.send(w, 404, errBody("unknown path "+r.URL.Path, "invalid_request_error", nil))
	}
}
