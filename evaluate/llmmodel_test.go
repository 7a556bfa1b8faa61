package evaluate

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthml/berth/flavors"
)

// echoText is a text model: one string input "question", one string output
// "output" that repeats it (a promptlab model's shape, without a gateway).
type echoText struct{ calls int }

func (*echoText) Inputs() []flavors.TensorInfo {
	return []flavors.TensorInfo{{Name: "question", DType: flavors.String, Shape: []int64{-1}}}
}
func (*echoText) Outputs() []flavors.TensorInfo {
	return []flavors.TensorInfo{{Name: "output", DType: flavors.String, Shape: []int64{-1}}}
}
func (*echoText) Close() error { return nil }
func (e *echoText) Predict(_ context.Context, in []*flavors.Tensor, _ []string) ([]*flavors.Tensor, error) {
	e.calls++
	q := in[0].Data.([]string)
	return []*flavors.Tensor{{Name: "output", DType: flavors.String, Shape: []int64{int64(len(q))}, Data: q}}, nil
}

// TestModelLLM evaluates a loaded text model as question-answering: the
// rows go through it, exact_match compares its outputs with the target,
// and the artifacts are MLflow's eval_results_table.json.
func TestModelLLM(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "qa.jsonl")
	os.WriteFile(data, []byte(`{"question": "tea", "answer": "tea"}
{"question": "bread", "answer": "loaf"}
{"question": "milk", "answer": "milk"}
{"question": "salt", "answer": "salt"}
`), 0o644)
	p := &echoText{}
	res, err := Model(context.Background(), "echo", &flavors.Loaded{Predictor: p}, Data{Path: data, Target: "answer", ModelType: "question-answering"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Metrics["exact_match/v1"] != 0.75 || p.calls != 1 {
		t.Errorf("exact_match/v1 = %v in %d calls, want 0.75 in 1: %v", res.Metrics["exact_match/v1"], p.calls, res.Metrics)
	}
	files, err := res.WriteArtifacts(dir)
	if err != nil || len(files) != 1 || files[0] != EvalTableFile {
		t.Fatalf("artifacts %v, %v", files, err)
	}
	var table struct {
		Columns []string `json:"columns"`
		Data    [][]any  `json:"data"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, EvalTableFile))
	if err := json.Unmarshal(b, &table); err != nil || len(table.Data) != 4 ||
		strings.Join(table.Columns[:4], ",") != "question,answer,outputs,latency" || table.Data[1][2] != "bread" {
		t.Errorf("eval_results_table.json: %v %s", err, b)
	}

	// A model without one text output, or with a numeric input, is refused.
	if _, _, err := PredictorModel("iris", &numericModel{}); err == nil || !strings.Contains(err.Error(), "one text output") {
		t.Errorf("a numeric model: %v", err)
	}
}

type numericModel struct{ echoText }

func (numericModel) Outputs() []flavors.TensorInfo {
	return []flavors.TensorInfo{{Name: "label", DType: flavors.Int64, Shape: []int64{-1}}}
}
