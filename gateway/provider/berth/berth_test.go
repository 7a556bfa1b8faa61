package berth_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/config"
	"github.com/berthml/berth/gateway/provider"
	_ "github.com/berthml/berth/gateway/provider/berth"
	"github.com/berthml/berth/internal/ortest"
	"github.com/berthml/berth/modeluri"
	"github.com/berthml/berth/server/servertest"
)

var modelDir = filepath.Join("..", "..", "..", "testdata", "models", "byte_embedder")

// expected is testdata/models/byte_embedder/embeddings.json: numpy's
// evaluation of the generated graph.
type expected struct {
	Texts      []string    `json:"texts"`
	Tokens     []int       `json:"tokens"`
	Embeddings [][]float64 `json:"embeddings"`
}

func readExpected(t *testing.T) expected {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(modelDir, "embeddings.json"))
	if err != nil {
		t.Fatalf("the embedding fixture is missing (run /usr/bin/python3 testdata/make_embedding_model.py): %v", err)
	}
	var e expected
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

// gatewayFor serves a gateway whose endpoints run the fixture in-process.
func gatewayFor(t *testing.T, extra string) *httptest.Server {
	t.Helper()
	ortest.Init(t)
	abs, err := filepath.Abs(modelDir)
	if err != nil {
		t.Fatal(err)
	}
	y := `endpoints:
  - name: embed
    endpoint_type: llm/v1/embeddings
    model:
      provider: berth
      name: byte-embedder
      config:
        model_uri: ` + abs + `
  - name: embed-tokens
    endpoint_type: llm/v1/embeddings
    model:
      provider: berth
      name: byte-embedder-hidden
      config:
        model_uri: file://` + abs + `
        output: last_hidden_state
        max_input_tokens: 24
        batch_size: 2
` + extra
	cfg, err := config.Parse([]byte(y), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfg, gateway.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	return srv
}

func near(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol+1e-5*math.Abs(b[i]) {
			return false
		}
	}
	return true
}

func normalise(v []float64) []float64 {
	s := 0.0
	for _, x := range v {
		s += x * x
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x / math.Sqrt(s)
	}
	return out
}

// TestOpenAISDKEmbeddings: the official OpenAI SDK gets the model's
// vectors, computed in the gateway's process by ONNX Runtime, equal to
// numpy's evaluation of the graph, with the tokens counted.
func TestOpenAISDKEmbeddings(t *testing.T) {
	want := readExpected(t)
	srv := gatewayFor(t, "")
	client := openai.NewClient(option.WithBaseURL(srv.URL+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	resp, err := client.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
		Model: "embed",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: want.Texts},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Data) != len(want.Texts) || resp.Model != "byte-embedder" || resp.Object != "list" {
		t.Fatalf("answer: %d vectors, model %q, object %q", len(resp.Data), resp.Model, resp.Object)
	}
	tokens := 0
	for i, d := range resp.Data {
		tokens += want.Tokens[i]
		if d.Index != int64(i) || !near(d.Embedding, want.Embeddings[i], 1e-6) {
			t.Errorf("vector %d (index %d) = %v, want %v", i, d.Index, d.Embedding[:4], want.Embeddings[i][:4])
		}
	}
	if resp.Usage.PromptTokens != int64(tokens) || resp.Usage.TotalTokens != int64(tokens) {
		t.Errorf("usage = %+v, want %d prompt and total tokens", resp.Usage, tokens)
	}

	// One string alone, through the same SDK.
	one, err := client.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
		Model: "embed", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String(want.Texts[1])},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Data) != 1 || !near(one.Data[0].Embedding, want.Embeddings[1], 1e-6) {
		t.Errorf("single input: %+v", one.Data)
	}
}

// TestMLflowInvocations: MLflow's query route on the same model; the
// rank-3 output pooled by the provider (over each input's own tokens, in
// batches of two, with padding) normalises to the model's own pooled
// vector.
func TestMLflowInvocations(t *testing.T) {
	want := readExpected(t)
	srv := gatewayFor(t, "")
	for _, ep := range []string{"embed", "embed-tokens"} {
		body, _ := json.Marshal(map[string]any{"input": want.Texts})
		resp, err := http.Post(srv.URL+"/endpoints/"+ep+"/invocations", "application/json", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", ep, resp.StatusCode, b)
		}
		var got deployments.EmbeddingsResponse
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Data) != len(want.Texts) {
			t.Fatalf("%s: %d vectors", ep, len(got.Data))
		}
		for i, d := range got.Data {
			v := d.Embedding
			if ep == "embed-tokens" {
				v = normalise(v)
			}
			if d.Index != i || !near(v, want.Embeddings[i], 1e-5) {
				t.Errorf("%s: vector %d = %v..., want %v...", ep, i, v[:3], want.Embeddings[i][:3])
			}
		}
		in, _ := got.Usage.Tokens()
		if in != 5+11+23+2 || got.Usage.TotalTokens == nil || *got.Usage.TotalTokens != in {
			t.Errorf("%s: usage %s", ep, b[strings.Index(string(b), `"usage"`):])
		}
	}
}

// TestBadInput: the client's mistakes are 400s in each route's format,
// never 5xx.
func TestBadInput(t *testing.T) {
	srv := gatewayFor(t, "")
	long := strings.Repeat("x", 25)
	tests := []struct {
		name, path, body, want string
		status                 int
	}{
		{"no input", "/endpoints/embed/invocations", `{}`, "field required", 422}, // MLflow's validation answer
		{"empty list", "/endpoints/embed/invocations", `{"input": []}`, "empty list", 400},
		{"not text", "/endpoints/embed/invocations", `{"input": {"a": 1}}`, "neither a string", 400},
		{"token out of vocabulary", "/endpoints/embed/invocations", `{"input": [[1, 999]]}`, "outside this model's vocabulary", 400},
		{"too long", "/endpoints/embed-tokens/invocations", `{"input": "` + long + `"}`, "more than this model's limit of 24", 400},
		{"too long on /v1", "/v1/embeddings", `{"model": "embed-tokens", "input": ["` + long + `"]}`, "more than this model's limit of 24", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(srv.URL+tt.path, "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.want) {
				t.Errorf("%d %s, want %d with %q", resp.StatusCode, b, tt.status, tt.want)
			}
		})
	}
}

// TestConfigErrors: a model the provider cannot use is refused when the
// config is built, naming why.
func TestConfigErrors(t *testing.T) {
	ortest.Init(t)
	spec, ok := provider.Lookup("berth")
	if !ok {
		t.Fatal("the berth provider is not registered")
	}
	iris, _ := filepath.Abs(filepath.Join("..", "..", "..", "testdata", "models", "iris_logreg"))
	tests := []struct {
		name     string
		settings map[string]any
		want     string
	}{
		{"missing dir", map[string]any{"model_uri": "/nonexistent/model"}, "MLmodel"},
		{"not an embedding model", map[string]any{"model_uri": iris}, "is not int64 input_ids"},
		{"unknown output", map[string]any{"model_uri": modelDir, "output": "nope"}, `no output "nope"`},
		{"bad batch", map[string]any{"model_uri": modelDir, "batch_size": "x"}, "batch_size x is not a positive whole number"},
		{"remote uri", map[string]any{"model_uri": "s3://bucket/model"}, "loads a local directory"},
		{"models uri without registry", map[string]any{"model_uri": "models:/embedder/1"}, "needs a registry"},
	}
	t.Setenv("MLFLOW_TRACKING_URI", "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := spec.New(provider.Config{Provider: "berth", EndpointType: deployments.TypeEmbeddings, Settings: tt.settings})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

// TestNotChat: the provider serves embeddings only; a chat endpoint on it
// is a config error.
func TestNotChat(t *testing.T) {
	_, err := config.Parse([]byte("endpoints:\n  - name: c\n    endpoint_type: llm/v1/chat\n    model:\n      provider: berth\n      name: x\n      config: {model_uri: /tmp}\n"), "t.yaml")
	if err == nil {
		t.Fatal("a chat endpoint on the berth provider was accepted")
	}
}

// TestModelsURI: model_uri models:/NAME@ALIAS resolves through a real
// berth registry (registry_uri), downloads into the cache and serves the
// registered model.
func TestModelsURI(t *testing.T) {
	want := readExpected(t)
	ortest.Init(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the model cache; ONNX Runtime is loaded already
	reg := servertest.New(t)
	c := &mlflowrest.Client{BaseURL: reg.URL}
	ctx := context.Background()
	if _, err := modeluri.Register(ctx, c, modeluri.Registration{Dir: modelDir, Name: "embedder"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Post(ctx, "registered-models/alias", mlflowrest.SetRegisteredModelAliasRequest{Name: "embedder", Alias: "prod", Version: "1"}, nil); err != nil {
		t.Fatal(err)
	}
	spec, _ := provider.Lookup("berth")
	p, err := spec.New(provider.Config{Provider: "berth", Model: "e", EndpointType: deployments.TypeEmbeddings,
		Settings: map[string]any{"model_uri": "models:/embedder@prod", "registry_uri": reg.URL}})
	if err != nil {
		t.Fatal(err)
	}
	in, _ := json.Marshal(want.Texts[:1])
	got, err := p.Embeddings(ctx, &deployments.EmbeddingsRequest{Input: in})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Data) != 1 || !near(got.Data[0].Embedding, want.Embeddings[0], 1e-6) {
		t.Errorf("models:/ model answered %+v", got.Data)
	}
	if _, err := spec.New(provider.Config{Provider: "berth", EndpointType: deployments.TypeEmbeddings,
		Settings: map[string]any{"model_uri": "models:/embedder@nope", "registry_uri": reg.URL}}); err == nil {
		t.Error("an unknown alias was accepted")
	}
}
