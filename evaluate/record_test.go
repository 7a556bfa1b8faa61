package evaluate

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRecordWrite(t *testing.T) {
	th := map[string]MetricThreshold{"accuracy_score": {Threshold: new(0.99), GreaterIsBetter: true}}
	verr := ValidateResults(th, map[string]float64{"accuracy_score": 0.9}, nil)
	if verr == nil {
		t.Fatal("0.9 passed >= 0.99")
	}
	r := &Record{Model: "m", Data: "d.csv", Target: "y", ModelType: Classifier,
		Result:   &Result{Metrics: map[string]float64{"accuracy_score": 0.9, "f1_score": 0.8}, Warnings: []string{"w"}},
		Baseline: &Result{Metrics: map[string]float64{"accuracy_score": 0.85}}, Thresholds: th, Validation: verr,
		ArtifactDir: "out", Artifacts: []string{"a.png"}, RunID: "r1"}
	var b strings.Builder
	if err := r.Write(&b, "table"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"METRIC          CANDIDATE  BASELINE\n", "f1_score        0.8        -\n", "note: w\n",
		"artifacts in out: a.png\n", "logged to run r1\n", "validation failed:\n  "} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := r.Write(&b, "json"); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Model           string             `json:"model"`
		Metrics         map[string]float64 `json:"metrics"`
		BaselineMetrics map[string]float64 `json:"baseline_metrics"`
		Validation      struct {
			Passed   bool      `json:"passed"`
			Failures []Failure `json:"failures"`
		} `json:"validation"`
		RunID string `json:"run_id"`
	}
	if err := json.Unmarshal([]byte(b.String()), &got); err != nil {
		t.Fatal(err)
	}
	if got.Model != "m" || got.Metrics["f1_score"] != 0.8 || got.BaselineMetrics["accuracy_score"] != 0.85 ||
		got.Validation.Passed || len(got.Validation.Failures) != 1 || got.RunID != "r1" {
		t.Errorf("json = %s", b.String())
	}
}

func TestSubjectLabel(t *testing.T) {
	if got := (&Subject{Dir: "/tmp/x", Name: "iris", Version: "3"}).Label(); got != "iris-v3" {
		t.Errorf("registered: %q", got)
	}
	if got := (&Subject{Dir: "models/iris/"}).Label(); got != "iris" {
		t.Errorf("directory: %q", got)
	}
}
