package llm

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/berthml/berth/api/deployments"
)

func TestParseTemplate(t *testing.T) {
	cases := []struct {
		in   string
		vars []string
		err  bool
	}{
		{"Answer: {{ question }} in {{lang}} ({{ question }})", []string{"question", "lang"}, false},
		{"no variables", nil, false},
		{"{{ question }", nil, true},
		{"{{ 1x }}", nil, true},
		{"a }} b", nil, true},
		{"{{}}", nil, true},
	}
	for _, c := range cases {
		tm, err := ParseTemplate(c.in)
		if c.err {
			if !errors.Is(err, ErrBadTemplate) {
				t.Errorf("%q: err %v, want ErrBadTemplate", c.in, err)
			}
			continue
		}
		if err != nil || !slices.Equal(tm.Variables(), c.vars) {
			t.Errorf("%q: %v, %v", c.in, tm, err)
		}
	}
	tm, _ := ParseTemplate("Q: {{ q }}! {{q}}")
	if got := tm.Render(map[string]string{"q": "why"}); got != "Q: why! why" {
		t.Errorf("render %q", got)
	}
}

func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{"", "{{ a }}", "{{", "}}", "{{ a }} {{ b }", "{{{ a }}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParseTemplate(s)
		if err != nil {
			return
		}
		vals := map[string]string{}
		for _, v := range tm.Variables() {
			vals[v] = "x"
		}
		if out := tm.Render(vals); strings.Count(out, "{{") > strings.Count(s, "{{") {
			t.Fatalf("render added braces: %q -> %q", s, out)
		}
	})
}

// gatewayStandIn answers a chat endpoint "echo" with the prompt's last word,
// and 404 for any other endpoint, as berth's gateway would.
func gatewayStandIn(t *testing.T, calls *atomic.Int64) *httptest.Server {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path != "/endpoints/echo/invocations" {
			w.WriteHeader(404)
			w.Write([]byte(`{"detail":"endpoint not found"}`))
			return
		}
		var req struct {
			Messages []struct{ Role, Content string }
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) != 1 || req.Messages[0].Role != "user" {
			w.WriteHeader(400)
			return
		}
		f := strings.Fields(req.Messages[0].Content)
		json.NewEncoder(w).Encode(map[string]any{"id": "x", "object": "chat.completion", "choices": []any{
			map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": f[len(f)-1]}}}})
	}))
	t.Cleanup(ts.Close)
	return ts
}

func TestGenerateThroughGateway(t *testing.T) {
	var calls atomic.Int64
	ts := gatewayStandIn(t, &calls)
	tab, err := ParseJSONL(strings.NewReader("{\"q\":\"say Paris\"}\n{\"q\":\"say 8\"}\n{\"q\":\"say blue\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	tm, _ := ParseTemplate("Please {{ q }}")
	g := &Gateway{Client: &deployments.Client{BaseURL: ts.URL}, Endpoint: "echo"}
	outs, lat, err := Generate(t.Context(), g, tm, tab, 2)
	if err != nil {
		t.Fatal(err)
	}
	if *outs[0] != "Paris" || *outs[1] != "8" || *outs[2] != "blue" || len(lat) != 3 || lat[0] <= 0 {
		t.Fatalf("outputs %v latencies %v", outs, lat)
	}
	g.Endpoint = "missing"
	if _, _, err := Generate(t.Context(), g, tm, tab, 1); err == nil || !strings.Contains(err.Error(), "row 1") || !strings.Contains(err.Error(), "404") {
		t.Fatalf("missing endpoint: %v", err)
	}
	bad, _ := ParseTemplate("{{ nope }}")
	if _, _, err := Generate(t.Context(), g, bad, tab, 1); err == nil || !strings.Contains(err.Error(), `variable "nope"`) {
		t.Fatalf("unknown variable: %v", err)
	}
}
