package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/gatewaytest"
)

func writeGatewayConfig(t *testing.T, upstream string) string {
	t.Helper()
	y := "endpoints:\n"
	for _, e := range [][3]string{{"chat", "llm/v1/chat", "gpt-4o-mini"}, {"completions", "llm/v1/completions", "gpt-3.5-turbo-instruct"},
		{"embeddings", "llm/v1/embeddings", "text-embedding-3-small"}} {
		y += "  - name: " + e[0] + "\n    endpoint_type: " + e[1] + "\n    model:\n      provider: openai\n      name: " + e[2] +
			"\n      config:\n        openai_api_key: sk-e2e-literal\n        openai_api_base: " + upstream + "/v1\n"
	}
	path := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkGateway drives a running gateway with MLflow's deployments client
// calls and the OpenAI SDK, streaming included.
func checkGateway(t *testing.T, base string) {
	t.Helper()
	ctx := context.Background()
	c := &deployments.Client{BaseURL: base}
	eps, err := c.ListEndpoints(ctx)
	if err != nil || len(eps) != 3 || eps[0].EndpointURL != "/gateway/chat/invocations" {
		t.Fatalf("list: %v %+v", err, eps)
	}
	chat, err := c.Chat(ctx, "chat", &deployments.ChatRequest{Messages: []deployments.Message{deployments.TextMessage("user", "hello there")}})
	if err != nil || *chat.Choices[0].Message.Content != "echo: hello there" {
		t.Fatalf("predict chat: %v %+v", err, chat)
	}
	emb, err := c.Embeddings(ctx, "embeddings", &deployments.EmbeddingsRequest{Input: json.RawMessage(`["a","b"]`)})
	if err != nil || len(emb.Data) != 2 {
		t.Fatalf("predict embeddings: %v %+v", err, emb)
	}
	oc := openai.NewClient(option.WithBaseURL(base+"/v1/"), option.WithAPIKey("x"), option.WithMaxRetries(0))
	s := oc.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "chat",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("one two")}})
	var text strings.Builder
	for s.Next() {
		if len(s.Current().Choices) > 0 {
			text.WriteString(s.Current().Choices[0].Delta.Content)
		}
	}
	if s.Err() != nil || text.String() != "echo: one two " {
		t.Fatalf("OpenAI SDK stream: %q %v", text.String(), s.Err())
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestGatewayCommand runs `berth gateway --config` and `berth server
// --gateway-config` (and berth server without one) as the binary.
func TestGatewayCommand(t *testing.T) {
	bin := buildBerth(t)
	up := httptest.NewServer(&gatewaytest.Echo{})
	defer up.Close()
	cfg := writeGatewayConfig(t, up.URL)

	gw := startBerth(t, bin, "gateway", "--config", cfg, "--port", "0")
	checkGateway(t, gw)
	if code, body := get(t, gw+"/metrics"); code != 200 || !strings.Contains(body, `berth_gateway_requests_total{code="200",endpoint="chat",provider="openai"}`) ||
		strings.Contains(body, "sk-e2e-literal") {
		t.Errorf("/metrics: %d\n%s", code, body)
	}

	data := t.TempDir()
	srv := startBerth(t, bin, "server", "--port", "0", "--backend-store-uri", "sqlite:///"+filepath.Join(data, "b.db"),
		"--artifacts-destination", filepath.Join(data, "a"), "--gateway-config", cfg)
	checkGateway(t, srv)
	if code, body := get(t, srv+"/ajax-api/2.0/mlflow/gateway-proxy?gateway_path=api/2.0/endpoints/chat"); code != 200 ||
		body != `{"endpoint_type":"llm/v1/chat","endpoint_url":"/gateway/chat/invocations","limit":null,"model":{"name":"gpt-4o-mini","provider":"openai"},"name":"chat"}` {
		t.Errorf("gateway-proxy: %d %s", code, body)
	}
	if code, _ := get(t, srv+"/api/2.0/mlflow/experiments/search?max_results=1"); code != 200 {
		t.Errorf("the tracking server beside the gateway: %d", code)
	}

	data2 := t.TempDir()
	bare := startBerth(t, bin, "server", "--port", "0", "--backend-store-uri", "sqlite:///"+filepath.Join(data2, "b.db"),
		"--artifacts-destination", filepath.Join(data2, "a"))
	if code, body := get(t, bare+"/api/2.0/endpoints/"); code != 200 || body != `{"endpoints":[],"next_page_token":null}` {
		t.Errorf("berth server without a gateway config: %d %s", code, body)
	}
	if code, body := get(t, bare+"/ajax-api/2.0/mlflow/gateway-proxy?gateway_path=health"); code != 200 || body != `{"endpoints":[]}` {
		t.Errorf("gateway-proxy without a target: %d %s", code, body)
	}
}
