package serve_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
)

const irisColumns = `["sepal_length", "sepal_width", "petal_length", "petal_width"]`

// rowsJSON renders expected.json's input rows as a JSON list of lists.
func rowsJSON(t *testing.T, rows any) string {
	t.Helper()
	b, err := json.Marshal(rows)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-5*math.Max(1, math.Abs(b)) }

// TestInvocationsMatchSklearn scores the iris fixture through every MLflow
// input format and checks ONNX Runtime's answers against sklearn's.
func TestInvocationsMatchSklearn(t *testing.T) {
	ts := newTestServer(t, []namedModel{{"iris", "iris_logreg"}})
	in, want := expected(t, "iris_logreg")
	rows := rowsJSON(t, in["input"])
	var records []string
	for _, r := range in["input"].([]any) {
		v := r.([]any)
		records = append(records, fmt.Sprintf(`{"sepal_length": %v, "sepal_width": %v, "petal_length": %v, "petal_width": %v}`, v[0], v[1], v[2], v[3]))
	}
	bodies := map[string]string{
		"dataframe_split":   `{"dataframe_split": {"columns": ` + irisColumns + `, "data": ` + rows + `}}`,
		"dataframe_records": `{"dataframe_records": [` + strings.Join(records, ",") + `]}`,
		"instances records": `{"instances": [` + strings.Join(records, ",") + `]}`,
		"inputs records":    `{"inputs": [` + strings.Join(records, ",") + `]}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			r := post(t, ts.URL+"/invocations", body)
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			checkRecords(t, r.json(t)["predictions"], want)
		})
	}
}

// checkRecords compares column-style predictions (one object per row) with
// sklearn's label and probabilities.
func checkRecords(t *testing.T, preds any, want map[string]any) {
	t.Helper()
	list, ok := preds.([]any)
	labels := want["label"].([]any)
	if !ok || len(list) != len(labels) {
		t.Fatalf("predictions = %v, want %d records", preds, len(labels))
	}
	for i, p := range list {
		rec := p.(map[string]any)
		if rec["label"] != labels[i] {
			t.Errorf("row %d: label %v, sklearn says %v", i, rec["label"], labels[i])
		}
		probs := rec["probabilities"].([]any)
		wantP := want["probabilities"].([]any)[i].([]any)
		if len(probs) != len(wantP) {
			t.Fatalf("row %d: %d probabilities, want %d (one row per input row)", i, len(probs), len(wantP))
		}
		for j := range probs {
			if !near(probs[j].(float64), wantP[j].(float64)) {
				t.Errorf("row %d class %d: probability %v, sklearn says %v", i, j, probs[j], wantP[j])
			}
		}
	}
}

func TestInvocationsCSV(t *testing.T) {
	ts := newTestServer(t, []namedModel{{"iris", "iris_logreg"}})
	body := "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n6.3,3.3,6.0,2.5\n"
	r := do(t, http.MethodPost, ts.URL+"/invocations", "text/csv", []byte(body))
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	preds := r.json(t)["predictions"].([]any)
	if got := []any{preds[0].(map[string]any)["label"], preds[1].(map[string]any)["label"]}; got[0] != 0.0 || got[1] != 2.0 {
		t.Errorf("labels = %v, want [0 2]", got)
	}
}

func TestTensorSignatureKeepsRowsTogether(t *testing.T) {
	ts := newTestServer(t, []namedModel{{"iris", "iris_logreg_tensor"}})
	in, want := expected(t, "iris_logreg_tensor")
	r := post(t, ts.URL+"/invocations", `{"inputs": `+rowsJSON(t, in["input"])+`}`)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	preds := r.json(t)["predictions"].(map[string]any)
	probs := preds["probabilities"].([]any)
	if len(probs) != len(want["label"].([]any)) {
		t.Fatalf("probabilities has %d rows, want one per input row: %s", len(probs), r.body)
	}
	for i, row := range probs {
		for j, p := range row.([]any) {
			if w := want["probabilities"].([]any)[i].([]any)[j].(float64); !near(p.(float64), w) {
				t.Errorf("row %d class %d: %v, sklearn says %v", i, j, p, w)
			}
		}
	}
}
