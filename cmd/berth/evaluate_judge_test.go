package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/gateway"
	"github.com/berthml/berth/gateway/config"
	"github.com/berthml/berth/internal/llmtest"
	"github.com/berthml/berth/server/servertest"

	_ "github.com/berthml/berth/gateway/provider/builtin" // the openai provider
)

// judgeGateway starts a real berth gateway with one chat endpoint, "judge",
// on the OpenAI-compatible upstream at base, and records the bodies of the
// calls to the endpoint.
func judgeGateway(t *testing.T, base string) (url string, bodies func() []map[string]any) {
	t.Helper()
	cfg, err := config.Parse([]byte("endpoints:\n  - name: judge\n    endpoint_type: llm/v1/chat\n"+
		"    model: {provider: openai, name: m, config: {openai_api_key: unused, openai_api_base: '"+base+"/v1'}}\n"), "gateway.yaml")
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		seen []map[string]any
	)
	h := g.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/endpoints/judge/invocations" {
			b, _ := io.ReadAll(r.Body)
			var m map[string]any
			json.Unmarshal(b, &m)
			mu.Lock()
			seen = append(seen, m)
			mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []map[string]any { mu.Lock(); defer mu.Unlock(); return append([]map[string]any(nil), seen...) }
}

// TestEvaluateJudgeEndToEnd: berth evaluate --extra-metrics through a real
// berth gateway to a deterministic judge stand-in (fixed JSON scores by
// output), checking what the judge is sent, the aggregates, the per-row
// columns of eval_results_table.json, a failed call and an unreadable
// answer kept on their rows, the logged run and the thresholds.
func TestEvaluateJudgeEndToEnd(t *testing.T) {
	scores := map[string]int{"Paris": 5, "8": 4, "William Shakespeare": 3}
	var (
		mu      sync.Mutex
		prompts = map[string][]string{}
	)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []struct{ Role, Content string }
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) != 1 || req.Messages[0].Role != "user" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		p := req.Messages[0].Content
		_, metric, _ := strings.Cut(p, "a numerical score called ")
		metric, _, _ = strings.Cut(metric, " ")
		_, out, _ := strings.Cut(p, "\n\nOutput:\n")
		out, _, _ = strings.Cut(out, "\n")
		mu.Lock()
		prompts[metric] = append(prompts[metric], p)
		mu.Unlock()
		if metric == "answer_relevance" && out == "8" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error": {"message": "the judge refuses", "type": "invalid_request_error"}}`)
			return
		}
		content := "I think this answer is rather good."
		if s, ok := scores[out]; ok {
			content = fmt.Sprintf(`{"score": %d, "justification": "%s gets %d"}`, s, out, s)
		}
		json.NewEncoder(w).Encode(map[string]any{"id": "x", "object": "chat.completion", "created": 1, "model": "m",
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": content}, "finish_reason": "stop"}},
			"usage":   map[string]any{"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
	}))
	defer upstream.Close()
	gw, bodies := judgeGateway(t, upstream.URL)
	ts := servertest.New(t)
	dir := t.TempDir()
	out, err := runDriftCmd(t, "evaluate", "--data", "../../testdata/evaluate-llm/qa.jsonl", "--model-type", "question-answering",
		"--predictions", "answer", "--target", "ground_truth", "--extra-metrics", "answer_similarity,answer_relevance",
		"--judge-model", "endpoints:/judge", "--gateway-uri", gw, "--judge-concurrency", "3",
		"--require", "answer_similarity/v1/mean>=3.5", "--artifacts-dir", dir, "--registry-uri", ts.URL, "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var rec struct {
		Metrics    map[string]float64 `json:"metrics"`
		Warnings   []string           `json:"warnings"`
		Validation struct{ Passed bool }
		RunID      string `json:"run_id"`
	}
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// answer_similarity: 5, 4, (unreadable), 3: mean 4, variance 2/3, p90 4.8.
	// answer_relevance: 5, (400), (unreadable), 3: mean 4, variance 1, p90 4.8.
	for k, v := range map[string]float64{"answer_similarity/v1/mean": 4, "answer_similarity/v1/variance": 2.0 / 3, "answer_similarity/v1/p90": 4.8,
		"answer_relevance/v1/mean": 4, "answer_relevance/v1/variance": 1, "answer_relevance/v1/p90": 4.8} {
		if got, ok := rec.Metrics[k]; !ok || math.Abs(got-v) > 1e-12 {
			t.Errorf("%s = %v (%v), want %v", k, got, ok, v)
		}
	}
	if !rec.Validation.Passed || rec.RunID == "" || rec.Metrics["exact_match/v1"] != 0.75 {
		t.Errorf("record: %s", out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "eval_results_table.json"))
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		Columns []string
		Data    [][]any
	}
	if err := json.Unmarshal(b, &table); err != nil {
		t.Fatal(err)
	}
	col := func(name string) []any {
		t.Helper()
		for i, c := range table.Columns {
			if c == name {
				var v []any
				for _, row := range table.Data {
					v = append(v, row[i])
				}
				return v
			}
		}
		t.Fatalf("no column %s in %v", name, table.Columns)
		return nil
	}
	if got := fmt.Sprint(col("answer_similarity/v1/score")); got != "[5 4 <nil> 3]" {
		t.Errorf("answer_similarity scores %s", got)
	}
	if got := fmt.Sprint(col("answer_relevance/v1/score")); got != "[5 <nil> <nil> 3]" {
		t.Errorf("answer_relevance scores %s", got)
	}
	just := col("answer_relevance/v1/justification")
	if just[0] != "Paris gets 5" || !strings.HasPrefix(just[1].(string), "Failed to score model on payload. Error: gateway answered 400") ||
		just[2] != "Failed to extract score and justification. Raw output: I think this answer is rather good." {
		t.Errorf("justifications %q", just)
	}
	if len(rec.Warnings) < 2 {
		t.Errorf("warnings %q", rec.Warnings)
	}
	// What MLflow sends: one user message, temperature 0, max_tokens 200, top_p 1.
	calls := bodies()
	if len(calls) != 8 {
		t.Fatalf("%d judge calls, want 8", len(calls))
	}
	for _, c := range calls {
		if c["temperature"] != 0.0 || c["max_tokens"] != 200.0 || c["top_p"] != 1.0 || len(c) != 4 {
			t.Fatalf("judge call %v", c)
		}
	}
	// answer_similarity leaves the input out and shows the targets; answer_relevance shows the input.
	for _, p := range prompts["answer_similarity"] {
		if strings.Contains(p, "\nInput:\n") || !strings.Contains(p, "key: targets\nvalue:\n") {
			t.Errorf("answer_similarity prompt:\n%s", p)
		}
	}
	for _, p := range prompts["answer_relevance"] {
		if !strings.Contains(p, "\n\nInput:\n") || strings.Contains(p, "key: targets") {
			t.Errorf("answer_relevance prompt:\n%s", p)
		}
	}
	var run mlflowrest.RunResponse
	if err := (&mlflowrest.Client{BaseURL: ts.URL}).Get(t.Context(), "runs/get", url.Values{"run_id": {rec.RunID}}, &run); err != nil {
		t.Fatal(err)
	}
	logged := map[string]float64{}
	for _, m := range run.Run.Data.Metrics {
		logged[m.Key] = float64(m.Value)
	}
	if logged["answer_similarity/v1/mean"] != 4 || logged["answer_relevance/v1/p90"] == 0 {
		t.Errorf("logged metrics %v", logged)
	}

	// A threshold on a judge metric fails like any other.
	_, err = runDriftCmd(t, "evaluate", "--data", "../../testdata/evaluate-llm/qa.jsonl", "--model-type", "question-answering",
		"--predictions", "answer", "--target", "ground_truth", "--extra-metrics", "answer_similarity",
		"--judge-endpoint", "judge", "--gateway-uri", gw, "--require", "answer_similarity/v1/mean>=4.5")
	if !errors.Is(err, errValidation) {
		t.Errorf("threshold: %v", err)
	}
	// The gateway from MLflow's MLFLOW_DEPLOYMENTS_TARGET, a grading context
	// mapped to another column (col_mapping), and a judged baseline.
	t.Setenv("MLFLOW_DEPLOYMENTS_TARGET", gw)
	mu.Lock()
	prompts["faithfulness"] = nil
	mu.Unlock()
	out, err = runDriftCmd(t, "evaluate", "--data", "../../testdata/evaluate-llm/qa.jsonl", "--model-type", "question-answering",
		"--predictions", "answer", "--target", "ground_truth", "--baseline-predictions", "old_answer", "--extra-metrics", "faithfulness",
		"--judge-endpoint", "judge", "--judge-column", "context=inputs", "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var rec2 struct {
		Metrics  map[string]float64 `json:"metrics"`
		Baseline map[string]float64 `json:"baseline_metrics"`
	}
	if err := json.Unmarshal([]byte(out), &rec2); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// The candidate's 5, 4, -, 3; the baseline's answers (Lyon, 8, blue, Marlowe) only 8 scores: 4.
	if rec2.Metrics["faithfulness/v1/mean"] != 4 || rec2.Baseline["faithfulness/v1/mean"] != 4 || rec2.Baseline["faithfulness/v1/variance"] != 0 {
		t.Errorf("faithfulness: %v / baseline %v", rec2.Metrics, rec2.Baseline)
	}
	mu.Lock()
	fp := prompts["faithfulness"]
	mu.Unlock()
	if len(fp) != 8 || !strings.Contains(strings.Join(fp, ""), "key: context\nvalue:\nWhat is the capital of France?\n") {
		t.Errorf("%d faithfulness prompts", len(fp))
	}
	t.Setenv("MLFLOW_DEPLOYMENTS_TARGET", "")

	// Refusals before any call: an unknown metric, a judge that is not an endpoint, a missing endpoint.
	n := len(bodies())
	for _, tt := range []struct{ args, want string }{
		{"--extra-metrics toxicity --judge-endpoint judge", "unknown metric"},
		{"--extra-metrics faithfulness --judge-model openai:/gpt-4", "endpoints:/NAME"},
		{"--extra-metrics faithfulness", "--judge-endpoint"},
		{"--extra-metrics answer_similarity --judge-endpoint nope", "judge endpoint nope"},
		{"--extra-metrics faithfulness --judge-endpoint judge", `"context"`},
		{"--extra-metrics faithfulness --judge-endpoint judge --judge-column context", "NAME=COLUMN"},
	} {
		args := append([]string{"evaluate", "--data", "../../testdata/evaluate-llm/qa.jsonl", "--model-type", "question-answering",
			"--predictions", "answer", "--target", "ground_truth", "--gateway-uri", gw}, strings.Fields(tt.args)...)
		if _, err := runDriftCmd(t, args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.args, err, tt.want)
		}
	}
	if len(bodies()) != n {
		t.Errorf("refused evaluations called the judge")
	}
}

// judgeEngine starts the real LLM engine with room for a judge prompt: the
// test model's tokens are bytes, and MLflow's judge prompts are about 3,300
// bytes with max_tokens 200, more than llmtest.New's 1024-token context.
func judgeEngine(t *testing.T) *llmtest.Engine {
	t.Helper()
	cfg := llmtest.DefaultModelConfig
	cfg.ContextLen = 4096
	model := filepath.Join(t.TempDir(), "tiny.gguf")
	if err := llmtest.WriteModelFile(model, cfg); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	var mu sync.Mutex
	e, err := llmtest.Start(t.Context(), llmtest.Config{Model: model, ContextSize: 4096, Log: writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return log.Write(p)
	})})
	if err != nil {
		if errors.Is(err, llmtest.ErrUnavailable) && os.Getenv("BERTH_REQUIRE_TOOLS") != "1" {
			t.Skipf("skipping: %v", err)
		}
		t.Fatalf("%v\n%s", err, log.String())
	}
	t.Cleanup(func() {
		e.Close()
		if t.Failed() {
			mu.Lock()
			t.Logf("LLM engine log:\n%s", log.String())
			mu.Unlock()
		}
	})
	return e
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestEvaluateJudgeLLM runs the whole path on the real LLM engine
// (llama.cpp with a tiny random-weight model behind berth gateway): every
// row is judged, and its answers, gibberish, are handled as MLflow handles
// them: no score, the raw answer kept in the justification.
func TestEvaluateJudgeLLM(t *testing.T) {
	engine := judgeEngine(t)
	gw, bodies := judgeGateway(t, engine.URL)
	dir := t.TempDir()
	out, err := runDriftCmd(t, "evaluate", "--data", "../../testdata/evaluate-llm/qa.jsonl", "--model-type", "question-answering",
		"--predictions", "answer", "--target", "ground_truth", "--extra-metrics", "answer_relevance",
		"--judge-endpoint", "judge", "--gateway-uri", gw, "--judge-concurrency", "2", "--artifacts-dir", dir, "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if n := len(bodies()); n != 4 {
		t.Fatalf("%d judge calls, want 4", n)
	}
	b, err := os.ReadFile(filepath.Join(dir, "eval_results_table.json"))
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		Columns []string
		Data    [][]any
	}
	if err := json.Unmarshal(b, &table); err != nil {
		t.Fatal(err)
	}
	si, ji := -1, -1
	for i, c := range table.Columns {
		switch c {
		case "answer_relevance/v1/score":
			si = i
		case "answer_relevance/v1/justification":
			ji = i
		}
	}
	if si < 0 || ji < 0 || len(table.Data) != 4 {
		t.Fatalf("table %v", table.Columns)
	}
	unread := 0
	for i, row := range table.Data {
		j, _ := row[ji].(string)
		if strings.HasPrefix(j, "Failed to score model on payload") {
			t.Errorf("row %d: the call failed: %s", i+1, j)
		}
		if raw, ok := strings.CutPrefix(j, "Failed to extract score and justification. Raw output: "); ok {
			unread++
			if row[si] != nil || raw == "" {
				t.Errorf("row %d: score %v, raw %q", i+1, row[si], raw)
			}
		} else if row[si] == nil && j != "" {
			t.Errorf("row %d: no score, justification %q", i+1, j)
		}
	}
	if unread == 0 {
		t.Errorf("the random-weight model's answers all parsed: %v", table.Data)
	}
	t.Logf("%d of 4 answers unreadable; first justification %.120q", unread, table.Data[0][ji])
}
