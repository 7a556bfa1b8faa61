package iristest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"testing"
	"time"
)

// Scoring is the check of a served iris_logreg: the rows of its
// expected.json (iris rows 0, 50, 100 and 149) as an MLflow scoring
// request, and sklearn's labels and class probabilities for them.
type Scoring struct {
	// Body is {"dataframe_split": {"columns": Features, "data": rows}}.
	Body          []byte
	Labels        []int64
	Probabilities [][]float64
}

// ReadScoring reads the check from iris_logreg's expected.json.
func ReadScoring(tb testing.TB) Scoring {
	tb.Helper()
	b, err := os.ReadFile(fixture(tb, "models", "iris_logreg", "expected.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var e struct {
		Inputs struct {
			Input [][]float64 `json:"input"`
		} `json:"inputs"`
		Outputs struct {
			Label         []int64     `json:"label"`
			Probabilities [][]float64 `json:"probabilities"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal(b, &e); err != nil {
		tb.Fatalf("iris_logreg's expected.json: %v", err)
	}
	n := len(e.Inputs.Input)
	if n == 0 || len(e.Outputs.Label) != n || len(e.Outputs.Probabilities) != n {
		tb.Fatalf("iris_logreg's expected.json: %d rows, %d labels, %d probabilities",
			n, len(e.Outputs.Label), len(e.Outputs.Probabilities))
	}
	body, err := json.Marshal(map[string]any{"dataframe_split": map[string]any{"columns": Features, "data": e.Inputs.Input}})
	if err != nil {
		tb.Fatal(err)
	}
	return Scoring{Body: body, Labels: e.Outputs.Label, Probabilities: e.Outputs.Probabilities}
}

// Check compares a /invocations answer with sklearn's: 200, one
// prediction a row, the labels exactly and the probabilities within
// 1e-6 absolute plus 1e-5 relative (the model computes in float32).
func (s Scoring) Check(status int, answer []byte) error {
	if status != http.StatusOK {
		return fmt.Errorf("status %d, want 200: %s", status, answer)
	}
	var got struct {
		Predictions []struct {
			Label         *int64    `json:"label"`
			Probabilities []float64 `json:"probabilities"`
		} `json:"predictions"`
	}
	if err := json.Unmarshal(answer, &got); err != nil {
		return fmt.Errorf("the answer is not MLflow's predictions: %w: %s", err, answer)
	}
	if len(got.Predictions) != len(s.Labels) {
		return fmt.Errorf("%d predictions for %d rows: %s", len(got.Predictions), len(s.Labels), answer)
	}
	for i, p := range got.Predictions {
		if p.Label == nil || *p.Label != s.Labels[i] {
			return fmt.Errorf("row %d: label %s, want sklearn's %d: %s", i, labelString(p.Label), s.Labels[i], answer)
		}
		want := s.Probabilities[i]
		if len(p.Probabilities) != len(want) {
			return fmt.Errorf("row %d: %d probabilities, want %d: %s", i, len(p.Probabilities), len(want), answer)
		}
		for j, v := range p.Probabilities {
			if math.Abs(v-want[j]) > 1e-6+1e-5*math.Abs(want[j]) {
				return fmt.Errorf("row %d: probability %d is %v, want sklearn's %v: %s", i, j, v, want[j], answer)
			}
		}
	}
	return nil
}

func labelString(l *int64) string {
	if l == nil {
		return "missing"
	}
	return fmt.Sprint(*l)
}

// CheckInvocations posts the check's rows to baseURL's /invocations and
// fails tb unless the answer is sklearn's.
func CheckInvocations(tb testing.TB, baseURL string) {
	tb.Helper()
	s := ReadScoring(tb)
	c := &http.Client{Timeout: time.Minute}
	resp, err := c.Post(baseURL+"/invocations", "application/json", bytes.NewReader(s.Body))
	if err != nil {
		tb.Fatalf("POST %s/invocations: %v", baseURL, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		tb.Fatalf("POST %s/invocations: reading the answer: %v", baseURL, err)
	}
	if err := s.Check(resp.StatusCode, answer); err != nil {
		tb.Fatalf("POST %s/invocations: %v", baseURL, err)
	}
}
