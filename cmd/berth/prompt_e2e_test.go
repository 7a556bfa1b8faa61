package main

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/internal/llmtest"
	"github.com/berthml/berth/internal/ortest"
)

// The prompt versions of TestPromptsEndToEnd: the same question asked
// three ways. model_config names the gateway endpoint and greedy
// decoding, so each version's answers are fixed; version 3 may answer in
// 2 tokens only (the tiny random-weight model answers much alike whatever
// the prompt, so a worse version is best made by truncating its answers).
var e2eTemplates = []string{
	"Answer in one word: {{ question }}",
	"Q: {{ question }}\nA:",
	"{{ question }}? Tell me about {{ question }}.",
}

var e2eMaxTokens = []int{6, 6, 2}

func e2eModelConfig(maxTokens int) string {
	return fmt.Sprintf(`{"provider": "openai", "model_name": "chat", "temperature": 0, "max_tokens": %d}`, maxTokens)
}

// registerE2EPrompt registers a prompt version as MLflow 3's client does
// (a registered model and a version tagged as a prompt, the template and
// model_config in the version's tags).
func registerE2EPrompt(t *testing.T, c *mlflowrest.Client, name, template string, maxTokens int) {
	t.Helper()
	ctx := context.Background()
	var rm mlflowrest.RegisteredModelResponse
	if err := c.Get(ctx, "registered-models/get", map[string][]string{"name": {name}}, &rm); err != nil {
		if err := c.Post(ctx, "registered-models/create", mlflowrest.CreateRegisteredModelRequest{Name: name,
			Tags: []mlflowrest.RegisteredModelTag{{Key: "mlflow.prompt.is_prompt", Value: "true"}}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Post(ctx, "model-versions/create", mlflowrest.CreateModelVersionRequest{Name: name, Source: "dummy-source",
		Tags: []mlflowrest.ModelVersionTag{{Key: "mlflow.prompt.is_prompt", Value: "true"}, {Key: "mlflow.prompt.text", Value: template},
			{Key: "_mlflow_prompt_type", Value: "text"}, {Key: "_mlflow_prompt_model_config", Value: e2eModelConfig(maxTokens)}}}, nil); err != nil {
		t.Fatal(err)
	}
}

// askGateway is what a template answers for a question, asked of the
// gateway directly as the promptlab model asks it.
func askGateway(t *testing.T, gw, template string, maxTokens int, question string) string {
	t.Helper()
	temp := 0.0
	prompt := strings.ReplaceAll(template, "{{ question }}", question)
	resp, err := (&deployments.Client{BaseURL: gw}).Chat(context.Background(), "chat", &deployments.ChatRequest{
		Messages: []deployments.Message{deployments.TextMessage("user", prompt)}, Temperature: &temp, MaxTokens: &maxTokens})
	if err != nil || len(resp.Choices) == 0 || resp.Choices[0].Message.Content == nil {
		t.Fatalf("asking the gateway %q: %v %+v", prompt, err, resp)
	}
	return *resp.Choices[0].Message.Content
}

// invoke posts the questions to a served prompt and returns its answers.
func invoke(t *testing.T, url string, questions []string) []string {
	t.Helper()
	rows := make([][]string, len(questions))
	for i, q := range questions {
		rows[i] = []string{q}
	}
	body, _ := json.Marshal(map[string]any{"dataframe_split": map[string]any{"columns": []string{"question"}, "data": rows}})
	resp, err := http.Post(url+"/invocations", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var ans struct{ Predictions []string }
	if resp.StatusCode != 200 || json.Unmarshal(b, &ans) != nil || len(ans.Predictions) != len(questions) {
		t.Fatalf("/invocations: %d %s", resp.StatusCode, b)
	}
	return ans.Predictions
}

// promptE2E is the setup the prompt end-to-end tests share: llama.cpp
// behind a real berth gateway (MLFLOW_DEPLOYMENTS_TARGET set to it for the
// test), a berth server with SQLite holding the three versions of the
// prompt qa (no alias yet), and the registry flags for berth's commands.
type promptE2E struct {
	bin, gw, registry, data string
	c                       *mlflowrest.Client
	reg                     []string // --registry-uri and --cache-dir
}

func setupPromptE2E(t *testing.T) *promptE2E {
	t.Helper()
	engine := llmtest.New(t)
	e := &promptE2E{bin: buildBerth(t), data: t.TempDir()}
	e.gw = startBerth(t, e.bin, "gateway", "--config", writeGatewayConfig(t, engine.URL), "--port", "0")
	t.Setenv("MLFLOW_DEPLOYMENTS_TARGET", e.gw) // for berth serve, evaluate and promote
	e.registry = startSQLiteServer(t, e.bin, e.data)
	e.c = &mlflowrest.Client{BaseURL: e.registry}
	for v, tmpl := range e2eTemplates {
		registerE2EPrompt(t, e.c, "qa", tmpl, e2eMaxTokens[v])
	}
	e.reg = []string{"--registry-uri", e.registry, "--cache-dir", filepath.Join(e.data, "cache")}
	return e
}

// setAlias points qa@production at version v.
func (e *promptE2E) setAlias(t *testing.T, v string) {
	t.Helper()
	if err := e.c.Post(context.Background(), "registered-models/alias", mlflowrest.SetRegisteredModelAliasRequest{Name: "qa", Alias: "production", Version: v}, nil); err != nil {
		t.Fatal(err)
	}
}

// TestPromptsEndToEnd is issue 19's "prompts in production" on the real
// binaries and the real LLM engine (llama.cpp behind berth gateway):
// three versions of a registered prompt; berth serve prompts:/qa@production
// answers what the gateway answers for version 1's template and swaps to
// version 2 when the alias moves; berth pack packs it; berth evaluate
// scores the served model over /invocations and a prompts:/ version
// loaded in process; berth promote moves @production to a version that
// beats the holder and refuses one that does not, leaving the alias.
func TestPromptsEndToEnd(t *testing.T) {
	e := setupPromptE2E(t)
	bin, gw, data, c, reg := e.bin, e.gw, e.data, e.c, e.reg
	setAlias := func(v string) { t.Helper(); e.setAlias(t, v) }
	setAlias("1")

	questions := []string{"tea", "the moon", "rivers", "seven", "bread"}
	want := make([][]string, len(e2eTemplates))
	for v, tmpl := range e2eTemplates {
		for _, q := range questions {
			want[v] = append(want[v], askGateway(t, gw, tmpl, e2eMaxTokens[v], q))
		}
	}
	t.Logf("the gateway's answers by version: %q", want)
	if strings.Join(want[0], "\x00") == strings.Join(want[1], "\x00") {
		t.Fatalf("versions 1 and 2 answer alike (%q): the test cannot tell them apart", want[0])
	}
	same := 0
	for i := range questions {
		if want[2][i] == want[1][i] {
			same++
		}
	}
	if same*2 >= len(questions) {
		t.Fatalf("version 3 answers %d of %d questions as version 2 does: the refusal below would not be one", same, len(questions))
	}

	// Serve: the template's variable is the input, the text the output.
	serving := startBerth(t, bin, append([]string{"serve", "prompts:/qa@production", "--port", "0", "--poll-interval", "200ms"}, reg...)...)
	if got := invoke(t, serving, questions); strings.Join(got, "\x00") != strings.Join(want[0], "\x00") {
		t.Fatalf("prompts:/qa@production (v1) answered %q, want %q", got, want[0])
	}
	if code, body := get(t, serving+"/metrics"); code != 200 || !strings.Contains(body, `model="qa"`) {
		t.Errorf("/metrics: %d, no series of model qa", code)
	}
	setAlias("2")
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := invoke(t, serving, questions)
		if strings.Join(got, "\x00") == strings.Join(want[1], "\x00") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after @production moved to v2, berth serve still answers %q (want %q)", got, want[1])
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Pack: the image holds the prompt as a promptlab model.
	images := filepath.Join(data, "images")
	runBerth(t, bin, append([]string{"pack", "prompts:/qa@production", "--oci-layout", images, "--name", "qa:2",
		"--binary", bin, "--ort-lib", ortest.Init(t)}, reg...)...)
	params := imageFile(t, images, "opt/ml/model/parameters.yaml")
	if !strings.Contains(params, "model_route: chat") || !strings.Contains(params, "Q: {{ question }}") {
		t.Errorf("the packed parameters.yaml:\n%s", params)
	}

	// The evaluation data: version 2's answers are the targets.
	dataFile := filepath.Join(data, "questions.jsonl")
	var lines []string
	for i, q := range questions {
		b, _ := json.Marshal(map[string]string{"question": q, "answer": want[1][i]})
		lines = append(lines, string(b))
	}
	if err := os.WriteFile(dataFile, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	eval := []string{"--data", dataFile, "--target", "answer", "--model-type", "question-answering", "-o", "json"}

	// Evaluate the served model over /invocations, against prompts:/qa/1
	// loaded here as the baseline.
	artifacts := filepath.Join(data, "eval")
	out := berthStdout(t, bin, append(append([]string{"evaluate", "--model-url", serving + "/invocations", "--batch-size", "2",
		"--baseline", "prompts:/qa/1", "--require", "exact_match/v1>=1", "--min-absolute-change", "exact_match/v1=0.2",
		"--artifacts-dir", artifacts}, eval...), reg...)...)
	var rec struct {
		Metrics  map[string]float64 `json:"metrics"`
		Baseline map[string]float64 `json:"baseline_metrics"`
		RunID    string             `json:"run_id"`
	}
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rec.Metrics["exact_match/v1"] != 1 || rec.RunID == "" {
		t.Errorf("evaluate --model-url: %s", out)
	}
	var table struct {
		Columns []string `json:"columns"`
		Data    [][]any  `json:"data"`
	}
	b, err := os.ReadFile(filepath.Join(artifacts, "eval_results_table.json"))
	if err != nil || json.Unmarshal(b, &table) != nil || len(table.Data) != len(questions) {
		t.Fatalf("eval_results_table.json: %v %s", err, b)
	}
	for _, c := range []string{"question", "answer", "outputs", "baseline_outputs", "latency", "token_count"} {
		if !strings.Contains(","+strings.Join(table.Columns, ",")+",", ","+c+",") {
			t.Errorf("eval_results_table.json has no %s column: %v", c, table.Columns)
		}
	}

	// The gateway path of berth evaluate, through the same engine:
	// version 2's template as --prompt-template gives the targets.
	out = berthStdout(t, bin, append([]string{"evaluate", "--gateway-uri", gw, "--endpoint", "chat",
		"--prompt-template", e2eTemplates[1], "--temperature", "0", "--max-tokens", "6"}, eval...)...)
	rec.Metrics = nil
	if err := json.Unmarshal([]byte(out), &rec); err != nil || rec.Metrics["exact_match/v1"] != 1 {
		t.Errorf("evaluate --gateway-uri with version 2's template: %v %s", err, out)
	}

	// Promote: version 2 answers every target, version 1 (the holder) not
	// all of them; then version 3 does worse than version 2 and is refused.
	promote := func(v string) (string, error) {
		cmd := exec.Command(bin, append(append([]string{"promote", "prompts:/qa/" + v, "--alias", "production",
			"--require", "exact_match/v1>=0.5", "--min-absolute-change", "exact_match/v1=0.2"}, eval...), reg...)...)
		b, err := cmd.Output()
		return string(b), err
	}
	setAlias("1")
	out, err = promote("2")
	var p struct {
		Promoted bool               `json:"promoted"`
		Previous string             `json:"previous_version"`
		Metrics  map[string]float64 `json:"metrics"`
		Prev     map[string]float64 `json:"previous_metrics"`
		Failures []struct{ Metric string }
	}
	if err != nil || json.Unmarshal([]byte(out), &p) != nil || !p.Promoted || p.Previous != "1" || p.Metrics["exact_match/v1"] != 1 {
		var stderr []byte
		if exit, ok := err.(*exec.ExitError); ok {
			stderr = exit.Stderr
		}
		t.Fatalf("promote prompts:/qa/2 over v1: %v\n%s%s", err, out, stderr)
	}
	if holder := aliasVersion(t, c); holder != "2" {
		t.Fatalf("@production is on %s after a passing promotion, want 2", holder)
	}
	out, err = promote("3")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("promote prompts:/qa/3 over v2: %v, want exit status 1\n%s", err, out)
	}
	p = struct {
		Promoted bool               `json:"promoted"`
		Previous string             `json:"previous_version"`
		Metrics  map[string]float64 `json:"metrics"`
		Prev     map[string]float64 `json:"previous_metrics"`
		Failures []struct{ Metric string }
	}{}
	if json.Unmarshal([]byte(out), &p) != nil || p.Promoted || len(p.Failures) == 0 || p.Previous != "2" {
		t.Fatalf("refused promotion of v3: %s\n%s", out, exit.Stderr)
	}
	if holder := aliasVersion(t, c); holder != "2" {
		t.Fatalf("@production moved to %s on a refused promotion", holder)
	}
}

func aliasVersion(t *testing.T, c *mlflowrest.Client) string {
	t.Helper()
	var resp mlflowrest.ModelVersionResponse
	if err := c.Get(context.Background(), "registered-models/alias", map[string][]string{"name": {"qa"}, "alias": {"production"}}, &resp); err != nil {
		t.Fatal(err)
	}
	return resp.ModelVersion.Version
}

// imageFile reads a file from the one image of an OCI layout.
func imageFile(t *testing.T, dir, name string) string {
	t.Helper()
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil || len(m.Manifests) == 0 {
		t.Fatalf("index: %v", err)
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			if strings.TrimPrefix(h.Name, "/") == name {
				b, _ := io.ReadAll(tr)
				rc.Close()
				return string(b)
			}
		}
		rc.Close()
	}
	t.Fatalf("no %s in the image", name)
	return ""
}
