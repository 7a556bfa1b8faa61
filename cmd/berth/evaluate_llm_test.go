package main

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/server/servertest"
)

// TestEvaluateLLMQuestionAnswering: a column of answers scored against the
// ground truth, checked against a threshold and a baseline column, logged to
// a run with MLflow's eval_results_table.json.
func TestEvaluateLLMQuestionAnswering(t *testing.T) {
	ts := servertest.New(t)
	dir := t.TempDir()
	out, err := runDriftCmd(t, "evaluate", "--data", "../../testdata/evaluate-llm/qa.jsonl", "--model-type", "question-answering",
		"--predictions", "answer", "--target", "ground_truth", "--baseline-predictions", "old_answer",
		"--require", "exact_match/v1>=0.7", "--min-absolute-change", "exact_match/v1=0.25",
		"--artifacts-dir", dir, "--registry-uri", ts.URL, "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var rec struct {
		Metrics    map[string]float64 `json:"metrics"`
		Baseline   map[string]float64 `json:"baseline_metrics"`
		Validation struct{ Passed bool }
		RunID      string `json:"run_id"`
	}
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// 3 of 4 answers match exactly; the baseline's 2 of 4.
	if rec.Metrics["exact_match/v1"] != 0.75 || rec.Baseline["exact_match/v1"] != 0.5 || !rec.Validation.Passed || rec.RunID == "" {
		t.Fatalf("record: %s", out)
	}
	for _, k := range []string{"flesch_kincaid_grade_level/v1/mean", "flesch_kincaid_grade_level/v1/variance",
		"flesch_kincaid_grade_level/v1/p90", "ari_grade_level/v1/mean", "ari_grade_level/v1/variance", "ari_grade_level/v1/p90"} {
		if _, ok := rec.Metrics[k]; !ok {
			t.Errorf("no %s in %v", k, rec.Metrics)
		}
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
	wantCols := []string{"inputs", "ground_truth", "answer", "old_answer", "token_count",
		"flesch_kincaid_grade_level/v1/score", "ari_grade_level/v1/score"}
	if !slices.Equal(table.Columns, wantCols) || len(table.Data) != 4 {
		t.Fatalf("table columns %v, %d rows", table.Columns, len(table.Data))
	}
	// "It is blue." is 4 cl100k tokens: "It", " is", " blue", ".".
	if table.Data[2][4] != 4.0 || table.Data[0][2] != "Paris" {
		t.Errorf("row: %v / %v", table.Data[2], table.Data[0])
	}

	c := &mlflowrest.Client{BaseURL: ts.URL}
	var run mlflowrest.RunResponse
	if err := c.Get(t.Context(), "runs/get", url.Values{"run_id": {rec.RunID}}, &run); err != nil {
		t.Fatal(err)
	}
	logged := map[string]float64{}
	for _, m := range run.Run.Data.Metrics {
		logged[m.Key] = float64(m.Value)
	}
	if logged["exact_match/v1"] != 0.75 || math.IsNaN(logged["ari_grade_level/v1/p90"]) || len(logged) != 7 {
		t.Errorf("logged metrics %v", logged)
	}
	files, err := c.ListArtifacts(t.Context(), strings.TrimPrefix(run.Run.Info.ArtifactURI, "mlflow-artifacts:/"))
	if err != nil || len(files) != 1 || filepath.Base(files[0].Path) != "eval_results_table.json" {
		t.Errorf("artifacts %v, %v", files, err)
	}

	// A failed threshold is exit status 1 with the failure printed.
	out, err = runDriftCmd(t, "evaluate", "--data", "../../testdata/evaluate-llm/qa.jsonl", "--model-type", "question-answering",
		"--predictions", "old_answer", "--target", "ground_truth", "--require", "exact_match/v1>=0.6")
	if !errors.Is(err, errValidation) || !strings.Contains(out, "exact_match/v1") {
		t.Fatalf("failing check: %v\n%s", err, out)
	}
}

func TestEvaluateLLMSummarizationAndRetriever(t *testing.T) {
	out, err := runDriftCmd(t, "evaluate", "--data", "../../testdata/evaluate-llm/summarization.csv", "--model-type", "text-summarization",
		"--predictions", "generated", "--target", "summary", "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var rec struct{ Metrics map[string]float64 }
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatal(err)
	}
	// rouge1: 5/6 and 1; rouge2: 0.6 and 1; rougeL = rougeLsum: 5/6 and 1 (worked in evaluate/llm's tests).
	want := map[string]float64{"rouge1/v1/mean": (5.0/6 + 1) / 2, "rouge2/v1/mean": 0.8, "rougeL/v1/mean": (5.0/6 + 1) / 2,
		"rougeLsum/v1/mean": (5.0/6 + 1) / 2, "rouge2/v1/p90": 0.96}
	for k, w := range want {
		if math.Abs(rec.Metrics[k]-w) > 1e-12 {
			t.Errorf("%s = %v, want %v", k, rec.Metrics[k], w)
		}
	}

	out, err = runDriftCmd(t, "evaluate", "--data", "../../testdata/evaluate-llm/retriever.jsonl", "--model-type", "retriever",
		"--predictions", "retrieved", "--target", "relevant", "--k", "3", "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rec.Metrics = nil
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatal(err)
	}
	if math.Abs(rec.Metrics["precision_at_3/mean"]-(1.0/3+1+0+1)/4) > 1e-12 || math.Abs(rec.Metrics["ndcg_at_3/mean"]-(1/math.Log2(3)+1)/4) > 1e-12 {
		t.Errorf("retriever metrics %v", rec.Metrics)
	}
}

func TestEvaluateLLMErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--data", "../../testdata/evaluate-llm/qa.jsonl", "--model-type", "text"}, "are required for the LLM model types"},
		{[]string{"--data", "../../testdata/evaluate-llm/qa.jsonl", "--model-type", "text", "--predictions", "nope"}, `no column "nope"`},
		{[]string{"--data", "../../testdata/evaluate-llm/retriever.jsonl", "--model-type", "retriever", "--predictions", "retrieved"}, "needs --target"},
		{[]string{"--data", "../../testdata/evaluate-llm/retriever.jsonl", "--model-type", "retriever", "--predictions", "question", "--target", "relevant"}, `row 1, column "question"`},
		{[]string{"--data", "../../testdata/evaluate-llm/qa.jsonl", "--model-type", "text", "--predictions", "answer", "--k", "0"}, "--k must be at least 1"},
		{[]string{"somemodel", "--data", "../../testdata/evaluate-llm/qa.jsonl", "--model-type", "text", "--predictions", "answer"}, "a model makes the outputs: give no --predictions"},
		{[]string{"somemodel", "--model-url", "http://127.0.0.1:1/invocations", "--data", "../../testdata/evaluate-llm/qa.jsonl", "--model-type", "text"}, "either MODEL or --model-url"},
		{[]string{"--model-url", "ftp://h/invocations", "--data", "../../testdata/evaluate-llm/qa.jsonl", "--model-type", "text"}, "--model-url"},
		{[]string{"--model-url", "http://h/invocations", "--data", "../../testdata/evaluate-llm/qa.jsonl", "--model-type", "retriever"}, "not a model"},
		{[]string{"../../testdata/models/nope", "--data", "../../testdata/evaluate-llm/qa.jsonl", "--model-type", "text"}, "nope"},
		{[]string{"--data", "../../testdata/evaluate-llm/qa.jsonl", "--model-type", "text", "--predictions", "answer", "--min-relative-change", "ari_grade_level/v1/mean=0.1"}, "--baseline-predictions"},
		{[]string{"--data", "x.csv", "--target", "y", "--model-type", "classifier"}, "give the MODEL"},
	}
	for _, c := range cases {
		out, err := runDriftCmd(t, append([]string{"evaluate"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err %v, want %q\n%s", c.args, err, c.want, out)
		}
	}
}

// TestEvaluateLLMGateway: a gateway chat endpoint (an httptest stand-in that
// answers each prompt's last word) makes the outputs from a template.
func TestEvaluateLLMGateway(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/endpoints/echo/invocations" || r.Header.Get("Authorization") != "Bearer k1" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		var req struct{ Messages []struct{ Content string } }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) != 1 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		f := strings.Fields(req.Messages[0].Content)
		json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"index": 0,
			"message": map[string]any{"role": "assistant", "content": f[len(f)-1]}}}})
	}))
	defer ts.Close()
	dir := t.TempDir()
	out, err := runDriftCmd(t, "evaluate", "--data", "../../testdata/evaluate-llm/qa.jsonl", "--model-type", "question-answering",
		"--gateway-uri", ts.URL, "--gateway-token", "k1", "--endpoint", "echo", "--prompt-template", "Say {{ ground_truth }}",
		"--target", "ground_truth", "--artifacts-dir", dir, "-o", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var rec struct{ Metrics map[string]float64 }
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatal(err)
	}
	// The stand-in says the last word: "Shakespeare" misses "William Shakespeare".
	if rec.Metrics["exact_match/v1"] != 0.75 {
		t.Errorf("metrics %v", rec.Metrics)
	}
	b, err := os.ReadFile(filepath.Join(dir, "eval_results_table.json"))
	if err != nil {
		t.Fatal(err)
	}
	var table struct{ Columns []string }
	if err := json.Unmarshal(b, &table); err != nil || !slices.Contains(table.Columns, "outputs") || !slices.Contains(table.Columns, "latency") {
		t.Errorf("table columns %v, %v", table.Columns, err)
	}
	out, err = runDriftCmd(t, "evaluate", "--data", "../../testdata/evaluate-llm/qa.jsonl", "--model-type", "text",
		"--gateway-uri", ts.URL, "--endpoint", "echo", "--prompt-template", "Say {{ ground_truth }")
	if err == nil || !strings.Contains(err.Error(), "--prompt-template") {
		t.Errorf("bad template: %v\n%s", err, out)
	}
	out, err = runDriftCmd(t, "evaluate", "--data", "../../testdata/evaluate-llm/qa.jsonl", "--model-type", "text",
		"--gateway-uri", ts.URL, "--endpoint", "echo", "--prompt-template", "Say {{ ground_truth }}")
	if err == nil || !strings.Contains(err.Error(), "gateway answered 404") {
		t.Errorf("no token: %v\n%s", err, out)
	}
}
