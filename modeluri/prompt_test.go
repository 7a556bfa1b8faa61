package modeluri_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/modeluri"
	"github.com/berthml/berth/prompt"
)

// registerPrompt registers a prompt version as MLflow 3's client does: a
// registered model and a model version, both tagged as a prompt, the
// template and settings in the version's tags.
func registerPrompt(t *testing.T, c *mlflowrest.Client, name string, tags map[string]string) string {
	t.Helper()
	ctx := context.Background()
	var rm mlflowrest.RegisteredModelResponse
	err := c.Get(ctx, "registered-models/get", map[string][]string{"name": {name}}, &rm)
	if err != nil {
		if err := c.Post(ctx, "registered-models/create", mlflowrest.CreateRegisteredModelRequest{Name: name,
			Tags: []mlflowrest.RegisteredModelTag{{Key: modeluri.PromptTag, Value: "true"}}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	vt := []mlflowrest.ModelVersionTag{{Key: modeluri.PromptTag, Value: "true"}}
	for k, v := range tags {
		vt = append(vt, mlflowrest.ModelVersionTag{Key: k, Value: v})
	}
	var resp mlflowrest.ModelVersionResponse
	if err := c.Post(ctx, "model-versions/create", mlflowrest.CreateModelVersionRequest{Name: name, Source: "dummy-source", Tags: vt}, &resp); err != nil {
		t.Fatal(err)
	}
	return resp.ModelVersion.Version
}

// TestPromptResolveDownload resolves prompts:/ URIs against a real
// registry and checks the promptlab model directory each is written as.
func TestPromptResolveDownload(t *testing.T) {
	ctx := context.Background()
	c := newRegistry(t)
	registerPrompt(t, c, "qa", map[string]string{modeluri.PromptTextTag: "Answer: {{ question }} ({{ lang }})",
		modeluri.PromptModelConfigTag: `{"provider": "openai", "model_name": "chat", "temperature": 0.5, "max_tokens": 64, "stop_sequences": ["END", "it's"], "extra_params": {"seed": 7}}`})
	registerPrompt(t, c, "qa", map[string]string{modeluri.PromptTextTag: "Reply briefly: {{ question }}"})
	if err := c.Post(ctx, "registered-models/alias", mlflowrest.SetRegisteredModelAliasRequest{Name: "qa", Alias: "production", Version: "1"}, nil); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	r, err := modeluri.NewResolver(c.BaseURL, cache)
	if err != nil {
		t.Fatal(err)
	}
	f, err := modeluri.Fetch(ctx, r, "prompts:/qa@production")
	if err != nil {
		t.Fatal(err)
	}
	if f.Version.Version != "1" || f.Version.Prompt == nil || f.Version.Source != "prompts:/qa@production" {
		t.Fatalf("resolved %+v", f.Version)
	}
	saved, err := prompt.ReadDir(f.Dir, []string{"question", "lang"})
	if err != nil {
		t.Fatal(err)
	}
	if saved.Route != "chat" || saved.Template.String() != "Answer: {{ question }} ({{ lang }})" ||
		strings.Join(saved.PromptParameters, ",") != "question,lang" {
		t.Errorf("saved %+v", saved)
	}
	want := map[string]string{"temperature": "0.5", "max_tokens": "64", "stop": `['END', 'it\'s']`, "seed": "7"}
	for k, v := range want {
		if saved.ModelParameters[k] != v {
			t.Errorf("model parameter %s = %q, want %q (all: %v)", k, saved.ModelParameters[k], v, saved.ModelParameters)
		}
	}
	mlmodel, err := os.ReadFile(filepath.Join(f.Dir, "MLmodel"))
	if err != nil || !strings.Contains(string(mlmodel), "loader_module: mlflow.promptlab") {
		t.Errorf("MLmodel: %v\n%s", err, mlmodel)
	}
	// The same version is the same directory; written once.
	again, err := modeluri.Fetch(ctx, r, "prompts:/qa/1")
	if err != nil || again.Dir != f.Dir {
		t.Errorf("prompts:/qa/1 = %v, %v; want %s", again, err, f.Dir)
	}

	// Version 2 has no model_config: no endpoint unless one is given.
	if _, err := modeluri.Fetch(ctx, r, "prompts:/qa@latest"); err == nil || !strings.Contains(err.Error(), "--prompt-endpoint") {
		t.Errorf("a version with no endpoint: %v", err)
	}
	r2, _ := modeluri.NewResolver(c.BaseURL, cache, modeluri.WithPromptEndpoint("other"))
	f2, err := modeluri.Fetch(ctx, r2, "prompts:/qa@latest")
	if err != nil {
		t.Fatal(err)
	}
	if s, err := prompt.ReadDir(f2.Dir, nil); err != nil || s.Route != "other" || f2.Version.Version != "2" || f2.Dir == f.Dir {
		t.Errorf("with --prompt-endpoint: %+v %v in %s", s, err, f2.Dir)
	}
	// The flag names the endpoint of versions that have one too.
	f3, err := modeluri.Fetch(ctx, r2, "prompts:/qa/1")
	if s, err2 := prompt.ReadDir(f3.Dir, nil); err != nil || err2 != nil || s.Route != "other" {
		t.Errorf("prompts:/qa/1 with --prompt-endpoint: %+v %v %v", s, err, err2)
	}
}

func TestPromptRefused(t *testing.T) {
	ctx := context.Background()
	c := newRegistry(t)
	registerPrompt(t, c, "chatty", map[string]string{modeluri.PromptTextTag: `[{"role": "user", "content": "{{ q }}"}]`, modeluri.PromptTypeTag: "chat"})
	registerPrompt(t, c, "broken", map[string]string{modeluri.PromptTextTag: "Hello {{ name"})
	registerPrompt(t, c, "badconfig", map[string]string{modeluri.PromptTextTag: "{{ q }}", modeluri.PromptModelConfigTag: `{"temperature": [1]}`})
	registerPrompt(t, c, "badstop", map[string]string{modeluri.PromptTextTag: "{{ q }}", modeluri.PromptModelConfigTag: `{"stop_sequences": "END"}`})
	if _, err := modeluri.Register(ctx, c, modeluri.Registration{Dir: filepath.Join("..", "testdata", "models", "iris_logreg"), Name: "iris"}); err != nil {
		t.Fatal(err)
	}
	r, err := modeluri.NewResolver(c.BaseURL, t.TempDir(), modeluri.WithPromptEndpoint("chat"))
	if err != nil {
		t.Fatal(err)
	}
	for uri, want := range map[string]string{
		"prompts:/chatty/1":    "chat prompt",
		"prompts:/broken/1":    `without a closing "}}"`,
		"prompts:/badconfig/1": "temperature is not a number",
		"prompts:/badstop/1":   "stop_sequences is not a list",
		"prompts:/iris/1":      "not a prompt version",
		"prompts:/nope/1":      "nope",
	} {
		if _, err := modeluri.Fetch(ctx, r, uri); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error containing %q", uri, err, want)
		}
	}
}
