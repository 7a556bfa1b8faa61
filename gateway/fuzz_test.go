package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/config"
	"github.com/berthml/berth/gateway/gatewaytest"
)

// FuzzQuery sends arbitrary bodies to every query route: the gateway
// never answers 5xx for a body (the upstream here always works), and never
// panics.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{hello, `{"messages": [`, `{"model":"chat","messages":[{"role":"user","content":"x"}],"stream":true}`,
		`{"prompt":"p","n":2}`, `{"input":["a"]}`, `[]`, ``, `{"messages":[{"role":1}]}`, `{"messages":[{"content":"x","tool_calls":[]}],"temperature":-1}`} {
		f.Add(s)
	}
	echo := &gatewaytest.Echo{}
	up := httptest.NewServer(echo)
	defer up.Close()
	y := "endpoints:\n"
	for _, e := range [][2]string{{"chat", "llm/v1/chat"}, {"completions", "llm/v1/completions"}, {"embeddings", "llm/v1/embeddings"}} {
		y += "  - name: " + e[0] + "\n    endpoint_type: " + e[1] + "\n    model: {provider: openai, name: m, config: {openai_api_key: k, openai_api_base: '" + up.URL + "'}}\n"
	}
	cfg, err := config.Parse([]byte(y), "c.yaml")
	if err != nil {
		f.Fatal(err)
	}
	g, err := gateway.New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	h := g.Handler()
	paths := []string{"/endpoints/chat/invocations", "/endpoints/completions/invocations", "/endpoints/embeddings/invocations",
		"/v1/chat/completions", "/v1/completions", "/v1/embeddings"}
	f.Fuzz(func(t *testing.T, body string) {
		for _, p := range paths {
			req := httptest.NewRequest(http.MethodPost, p, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code >= 500 {
				t.Fatalf("%s %q: %d %s", p, body, w.Code, w.Body.String())
			}
		}
	})
}
