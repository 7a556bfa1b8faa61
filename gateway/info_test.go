package gateway_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/config"
)

type keyList struct {
	keys []gateway.KeyInfo
	err  error
}

func (k keyList) ListKeys(context.Context) ([]gateway.KeyInfo, error) { return k.keys, k.err }

// TestInfoHandler answers the web UI's gateway routes: the endpoints with
// their limits, timeouts, retries and fallbacks and the routes, never a
// provider's settings; the keys (required or not); a key database that
// fails is a 503, an unknown path a 404.
func TestInfoHandler(t *testing.T) {
	y := `
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: {provider: openai, name: gpt-4o-mini, config: {openai_api_key: $KEY}}
    limit: {renewal_period: minute, calls: 10}
    fallbacks: [backup]
    timeout: 5s
    max_retries: 2
  - name: backup
    endpoint_type: llm/v1/chat
    model: {provider: openai, name: gpt-4o, config: {openai_api_key: $KEY}}
routes:
  - name: split
    task_type: llm/v1/chat
    destinations:
      - {name: chat, traffic_percentage: 80}
      - {name: backup, traffic_percentage: 20}
`
	cfg, err := config.Parse([]byte(y), "test.yaml", config.WithLookupEnv(func(k string) (string, bool) { return "sk-secret-provider-key", k == "KEY" }))
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfg, gateway.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	get := func(h http.Handler, path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, gateway.InfoPath+path, nil))
		b, _ := io.ReadAll(rec.Body)
		return rec.Code, string(b)
	}
	h := g.InfoHandler(nil)
	code, body := get(h, "/endpoints")
	if code != 200 || strings.Contains(body, "sk-secret") || strings.Contains(body, "openai_api_key") ||
		!strings.Contains(body, `{"name":"chat","endpoint_type":"llm/v1/chat","provider":"openai","model":"gpt-4o-mini","limit":"10 per 1 minute","timeout_seconds":5,"max_retries":2,"fallbacks":["backup"]}`) ||
		!strings.Contains(body, `"routes":[{"name":"split","task_type":"llm/v1/chat","destinations":[{"endpoint":"chat","traffic_percentage":80},{"endpoint":"backup","traffic_percentage":20}]}]`) {
		t.Errorf("endpoints: %d %s", code, body)
	}
	if code, body := get(h, "/keys"); code != 200 || body != `{"required":false,"keys":[]}` {
		t.Errorf("keys off: %d %s", code, body)
	}
	h = g.InfoHandler(keyList{keys: []gateway.KeyInfo{{ID: "0123456789abcdef", Name: "team-a", Hint: "bk-...Ab3x"}}})
	if code, body := get(h, "/keys"); code != 200 || !strings.Contains(body, `"required":true`) || !strings.Contains(body, `"name":"team-a"`) {
		t.Errorf("keys: %d %s", code, body)
	}
	if code, _ := get(g.InfoHandler(keyList{err: errors.New("database is locked")}), "/keys"); code != 503 {
		t.Errorf("a failing key database: %d, want 503", code)
	}
	if code, _ := get(h, "/nope"); code != 404 {
		t.Errorf("an unknown path: %d, want 404", code)
	}
}
