package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/internal/ortest"
)

// TestGatewayEmbeddingsInProcess: berth gateway and berth server
// --gateway-config, as binaries, serve an llm/v1/embeddings endpoint whose
// ONNX model they run themselves (provider berth), to MLflow's deployments
// client and the OpenAI SDK; the vectors are numpy's evaluation of the
// fixture (testdata/models/byte_embedder/embeddings.json).
func TestGatewayEmbeddingsInProcess(t *testing.T) {
	lib := ortest.Init(t)
	bin := buildBerth(t)
	model, err := filepath.Abs(filepath.Join("..", "..", "testdata", "models", "byte_embedder"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(model, "embeddings.json"))
	if err != nil {
		t.Fatalf("the embedding fixture: %v", err)
	}
	var want struct {
		Texts      []string    `json:"texts"`
		Embeddings [][]float64 `json:"embeddings"`
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "gateway.yaml")
	y := "endpoints:\n  - name: embed\n    endpoint_type: llm/v1/embeddings\n    model:\n      provider: berth\n      name: byte-embedder\n" +
		"      config:\n        model_uri: " + model + "\n        ort_lib: " + lib + "\n"
	if err := os.WriteFile(cfg, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	near := func(a, b []float64) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if math.Abs(a[i]-b[i]) > 1e-5 {
				return false
			}
		}
		return true
	}
	data := t.TempDir()
	for _, base := range []string{
		startBerth(t, bin, "gateway", "--config", cfg, "--port", "0"),
		startBerth(t, bin, "server", "--port", "0", "--backend-store-uri", "sqlite:///"+filepath.Join(data, "b.db"),
			"--artifacts-destination", filepath.Join(data, "a"), "--gateway-config", cfg),
	} {
		ctx := context.Background()
		in, _ := json.Marshal(want.Texts)
		got, err := (&deployments.Client{BaseURL: base}).Embeddings(ctx, "embed", &deployments.EmbeddingsRequest{Input: in})
		if err != nil {
			t.Fatalf("%s: deployments predict: %v", base, err)
		}
		if len(got.Data) != len(want.Texts) {
			t.Fatalf("%s: %d vectors", base, len(got.Data))
		}
		for i, d := range got.Data {
			if !near(d.Embedding, want.Embeddings[i]) {
				t.Errorf("%s: vector %d differs from numpy's", base, i)
			}
		}
		oc := openai.NewClient(option.WithBaseURL(base+"/v1/"), option.WithAPIKey("x"), option.WithMaxRetries(0))
		o, err := oc.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "embed", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String(want.Texts[0])}})
		if err != nil || len(o.Data) != 1 || !near(o.Data[0].Embedding, want.Embeddings[0]) || o.Usage.PromptTokens != int64(len(want.Texts[0])) {
			t.Errorf("%s: OpenAI SDK: %v %+v", base, err, o)
		}
	}
}
