package options

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/config"
	"github.com/berthml/berth/gateway/keys"
	"github.com/berthml/berth/internal/llmtest"

	_ "github.com/berthml/berth/gateway/provider/builtin" // the openai provider
)

// TestGatewayKeysEndToEnd puts gateway keys in front of the real LLM
// engine (llama.cpp behind an OpenAI-compatible server) through the
// gateway's HTTP routes: refusals as the client sees them, and token
// limits and budgets counted from the usage the engine reports.
func TestGatewayKeysEndToEnd(t *testing.T) {
	ctx := context.Background()
	engine := llmtest.New(t)
	cfgYAML := []byte("endpoints:\n" +
		"  - name: chat\n    endpoint_type: llm/v1/chat\n" +
		"    model: {provider: openai, name: m, config: {openai_api_key: unused, openai_api_base: '" + engine.URL + "/v1'}}\n" +
		"  - name: other\n    endpoint_type: llm/v1/chat\n" +
		"    model: {provider: openai, name: m, config: {openai_api_key: unused, openai_api_base: '" + engine.URL + "/v1'}}\n" +
		"prices:\n  - endpoint: chat\n    input: 1000\n    output: 2000\n")
	cfg, err := config.Parse(cfgYAML, "gateway.yaml")
	if err != nil {
		t.Fatal(err)
	}
	uri := "sqlite:///" + filepath.Join(t.TempDir(), "gateway.db")
	store, err := OpenGatewayKeys(ctx, uri, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	tpm, tpmKey, _ := store.Create(ctx, keys.Spec{Name: "tpm", Endpoints: []string{"chat"}, Limits: keys.Limits{TokensPerMinute: 30}})
	spend, spendKey, _ := store.Create(ctx, keys.Spec{Name: "spend", Limits: keys.Limits{DaySpend: 100_000_000}}) // $0.10
	revoked, _, _ := store.Create(ctx, keys.Spec{Name: "gone"})
	if _, err := store.Revoke(ctx, "gone"); err != nil {
		t.Fatal(err)
	}

	kg, err := (&GatewayKeys{Require: true, Reconcile: time.Hour}).Guard(ctx, uri, false, cfgYAML, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := kg.Start(ctx)
	g, err := gateway.New(cfg, gateway.WithGuard(kg))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	defer srv.Close()

	type answer struct {
		status     int
		retryAfter string
		body       struct {
			Error struct{ Message, Type, Code string } `json:"error"`
			Usage struct {
				PromptTokens     int64 `json:"prompt_tokens"`
				CompletionTokens int64 `json:"completion_tokens"`
			} `json:"usage"`
		}
	}
	call := func(endpoint, secret string) answer {
		t.Helper()
		body := `{"model": "` + endpoint + `", "max_tokens": 6, "temperature": 0, "messages": [{"role": "user", "content": "hello there"}]}`
		req, _ := http.NewRequest("POST", srv.URL+"/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("Authorization", "Bearer "+secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var a answer
		a.status, a.retryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
		if err := json.Unmarshal(b, &a.body); err != nil {
			t.Fatalf("%s: %d %s", endpoint, resp.StatusCode, b)
		}
		if secret != "" && strings.Contains(string(b), secret) {
			t.Fatalf("the answer holds the key: %s", b)
		}
		return a
	}

	for _, tt := range []struct {
		name, endpoint, secret string
		status                 int
		typ, code, msg         string
	}{
		{"no key", "chat", "", 401, "authentication_error", "invalid_api_key", "missing gateway key"},
		{"malformed", "chat", "bk-nope", 401, "authentication_error", "invalid_api_key", "malformed gateway key"},
		{"revoked", "chat", revoked, 401, "authentication_error", "invalid_api_key", `gateway key "gone" was revoked`},
		{"endpoint not allowed", "other", tpm, 403, "permission_error", "endpoint_not_allowed", `may not call endpoint "other"`},
	} {
		a := call(tt.endpoint, tt.secret)
		if a.status != tt.status || a.body.Error.Type != tt.typ || a.body.Error.Code != tt.code || !strings.Contains(a.body.Error.Message, tt.msg) {
			t.Errorf("%s: %d %+v, want %d %s/%s %q", tt.name, a.status, a.body.Error, tt.status, tt.typ, tt.code, tt.msg)
		}
	}

	// Tokens per minute: the engine's own counts (prompt + completion)
	// fill the key's 30 until the next call is refused with Retry-After.
	price := func(a answer) keys.Spend { // nano-dollars per token at $1000 and $2000 per million
		return keys.Spend(a.body.Usage.PromptTokens*1_000_000 + a.body.Usage.CompletionTokens*2_000_000)
	}
	var used int64
	var tpmCost keys.Spend
	calls := 0
	for ; calls < 10; calls++ {
		a := call("chat", tpm)
		if a.status == 429 {
			if a.body.Error.Code != "rate_limit_exceeded" || a.retryAfter == "" || !strings.Contains(a.body.Error.Message, "tokens per minute") {
				t.Fatalf("refusal: %d %+v Retry-After %q", a.status, a.body.Error, a.retryAfter)
			}
			break
		}
		if a.status != 200 || a.body.Usage.PromptTokens == 0 {
			t.Fatalf("call %d: %d %+v", calls+1, a.status, a.body)
		}
		used += a.body.Usage.PromptTokens + a.body.Usage.CompletionTokens
		tpmCost += price(a)
	}
	if calls == 0 || calls == 10 || used < 30 {
		t.Fatalf("%d calls admitted with %d tokens used, want refusals once 30 are used", calls, used)
	}

	// A spend budget, priced by the config: $1000 per million input and
	// $2000 per million output tokens.
	var cost keys.Spend
	for calls = 0; calls < 10; calls++ {
		a := call("chat", spend)
		if a.status == 429 {
			if a.body.Error.Type != "insufficient_quota" || a.retryAfter == "" {
				t.Fatalf("refusal: %+v Retry-After %q", a.body.Error, a.retryAfter)
			}
			break
		}
		if a.status != 200 {
			t.Fatalf("call %d: %d %+v", calls+1, a.status, a.body)
		}
		cost += price(a)
	}
	if calls == 0 || calls == 10 || cost < 100_000_000 {
		t.Fatalf("%d calls admitted costing %s, want refusals once $0.10 is spent", calls, cost)
	}

	// Stopping writes the counts: the database agrees with the engine.
	stop()
	for _, k := range []struct {
		id     string
		tokens int64
		cost   keys.Spend
	}{{tpmKey.ID, used, tpmCost}, {spendKey.ID, -1, cost}} {
		u, err := store.UsageOf(ctx, k.id, keys.PerDay, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if (k.tokens >= 0 && u.Tokens != k.tokens) || u.Cost != k.cost {
			t.Errorf("key %s: database has %+v, want %d tokens costing %s", k.id, u, k.tokens, k.cost)
		}
	}
}
