package judge

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/berthml/berth/api/deployments"
)

// deploymentsServer answers as an MLflow Deployments server with one
// endpoint "judge" of type typ: 429 for the first busy calls, then text.
func deploymentsServer(t *testing.T, typ, text string, busy int64, bodies *[]map[string]any) *httptest.Server {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "GET" && r.URL.Path == "/api/2.0/endpoints/judge":
			json.NewEncoder(w).Encode(map[string]any{"name": "judge", "endpoint_type": typ, "model": map[string]any{"name": "m", "provider": "openai"}})
		case r.Method == "POST" && r.URL.Path == "/endpoints/judge/invocations":
			if r.Header.Get("Authorization") != "Bearer k1" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			var b map[string]any
			json.NewDecoder(r.Body).Decode(&b)
			*bodies = append(*bodies, b)
			if calls.Add(1) <= busy {
				w.WriteHeader(http.StatusTooManyRequests)
				w.Write([]byte(`{"error": {"message": "tokens per minute exceeded"}}`))
				return
			}
			if typ == deployments.TypeCompletions {
				json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"index": 0, "text": text}}})
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": text}}}})
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"detail": "no such endpoint"}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestGateway: what a judge call sends to chat and completions endpoints
// (MLflow's parameters, the bearer token), the retry of a 429, and the
// endpoint checks.
func TestGateway(t *testing.T) {
	ctx := context.Background()
	for _, typ := range []string{deployments.TypeChat, deployments.TypeCompletions} {
		var bodies []map[string]any
		srv := deploymentsServer(t, typ, "score: 4\njustification: ok", 2, &bodies)
		g := NewGateway(&deployments.Client{BaseURL: srv.URL, Token: "k1"}, "judge")
		g.Backoff = time.Millisecond
		text, ok, err := g.Judge(ctx, "the prompt")
		if err != nil || !ok || text != "score: 4\njustification: ok" {
			t.Fatalf("%s: %q %v %v", typ, text, ok, err)
		}
		if len(bodies) != 3 {
			t.Fatalf("%s: %d calls, want 2 refused and 1 answered", typ, len(bodies))
		}
		b := bodies[2]
		if b["temperature"] != 0.0 || b["max_tokens"] != 200.0 || b["top_p"] != 1.0 || len(b) != 4 {
			t.Errorf("%s: body %v", typ, b)
		}
		if typ == deployments.TypeChat {
			msgs, _ := json.Marshal(b["messages"])
			if string(msgs) != `[{"content":"the prompt","role":"user"}]` {
				t.Errorf("messages %s", msgs)
			}
		} else if b["prompt"] != "the prompt" {
			t.Errorf("prompt %v", b["prompt"])
		}
	}

	// Past its retries a 429 is the row's failure.
	var bodies []map[string]any
	srv := deploymentsServer(t, deployments.TypeChat, "x", 100, &bodies)
	g := NewGateway(&deployments.Client{BaseURL: srv.URL, Token: "k1"}, "judge")
	g.Backoff = time.Millisecond
	rel, _ := Lookup("answer_relevance")
	r, err := Evaluate(ctx, g, []*Metric{rel}, Rows{Inputs: []*string{sp("q")}, Outputs: []*string{sp("a")}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if j := r.Columns[1].Values[0].(string); !strings.HasPrefix(j, "Failed to score model on payload. Error: gateway answered 429") || len(bodies) != 5 {
		t.Errorf("%d calls, justification %q", len(bodies), j)
	}

	// The endpoint is looked up once, and must be chat or completions.
	if err := NewGateway(&deployments.Client{BaseURL: srv.URL}, "nope").Check(ctx); err == nil || !strings.Contains(err.Error(), "judge endpoint nope") {
		t.Errorf("unknown endpoint: %v", err)
	}
	emb := deploymentsServer(t, deployments.TypeEmbeddings, "", 0, &bodies)
	if err := NewGateway(&deployments.Client{BaseURL: emb.URL}, "judge").Check(ctx); err == nil || !strings.Contains(err.Error(), "llm/v1/embeddings") {
		t.Errorf("embeddings endpoint: %v", err)
	}
}
