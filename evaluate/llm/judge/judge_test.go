package judge

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fixedJudge answers by what the prompt holds, to stand in for a model:
// "score: N" where the output says "N/5", a failed call for "FAIL", no
// text for "EMPTY", gibberish otherwise. It records the most calls at once.
type fixedJudge struct {
	mu       sync.Mutex
	prompts  []string
	running  atomic.Int64
	maxAtOnc atomic.Int64
}

func (f *fixedJudge) Judge(ctx context.Context, prompt string) (string, bool, error) {
	n := f.running.Add(1)
	defer f.running.Add(-1)
	for {
		m := f.maxAtOnc.Load()
		if n <= m || f.maxAtOnc.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(2 * time.Millisecond)
	f.mu.Lock()
	f.prompts = append(f.prompts, prompt)
	f.mu.Unlock()
	_, out, _ := strings.Cut(prompt, "\n\nOutput:\n")
	out, _, _ = strings.Cut(out, "\n")
	switch {
	case strings.Contains(out, "FAIL"):
		return "", false, errors.New("gateway answered 502: upstream down")
	case strings.Contains(out, "EMPTY"):
		return "", false, nil
	case strings.Contains(out, "/5"):
		return fmt.Sprintf(`{"score": %c, "justification": "says %s"}`, out[strings.Index(out, "/5")-1], out), true, nil
	}
	return "lorem ipsum", true, nil
}

func sp(s string) *string { return &s }

// TestEvaluate: scores and justifications per row, failures recorded on
// their row, numpy's aggregates over the scores read, the concurrency bound
// and the progress reports.
func TestEvaluate(t *testing.T) {
	outs := []*string{sp("3/5"), sp("5/5"), sp("FAIL"), sp("4/5"), sp("gibberish"), sp("EMPTY"), sp("1/5"), nil}
	rows := Rows{Inputs: make([]*string, len(outs)), Outputs: outs, Context: map[string][]*string{"targets": make([]*string, len(outs))}}
	for i := range outs {
		rows.Inputs[i] = sp(fmt.Sprintf("question %d", i))
		rows.Context["targets"][i] = sp("truth")
	}
	sim, _ := Lookup("answer_similarity")
	rel, _ := Lookup("answer_relevance")
	j := &fixedJudge{}
	var progress []int
	r, err := Evaluate(context.Background(), j, []*Metric{sim, rel}, rows, Options{Concurrency: 3, Progress: func(done, total int) {
		if total != 16 {
			t.Errorf("total %d", total)
		}
		progress = append(progress, done)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(j.prompts) != 16 || len(progress) != 16 || progress[15] != 16 {
		t.Fatalf("%d calls, progress %v", len(j.prompts), progress)
	}
	if m := j.maxAtOnc.Load(); m > 3 || m < 2 {
		t.Errorf("%d calls at once, want at most 3 (and some overlap)", m)
	}
	// Scores 3, 5, 4, 1: mean 3.25, variance 2.1875, p90 (linear) 4.7.
	want := map[string]float64{"answer_similarity/v1/mean": 3.25, "answer_similarity/v1/variance": 2.1875, "answer_similarity/v1/p90": 4.7}
	for k, v := range want {
		if got := r.Metrics[k]; got != v && !(got-v < 1e-12 && v-got < 1e-12) {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	if strings.Join(r.Names[:3], ",") != "answer_similarity/v1/mean,answer_similarity/v1/variance,answer_similarity/v1/p90" || len(r.Names) != 6 {
		t.Errorf("names %v", r.Names)
	}
	if len(r.Columns) != 4 || r.Columns[0].Name != "answer_similarity/v1/score" || r.Columns[1].Name != "answer_similarity/v1/justification" ||
		r.Columns[2].Name != "answer_relevance/v1/score" {
		t.Fatalf("columns %v", r.Columns)
	}
	scores, justs := r.Columns[0].Values, r.Columns[1].Values
	for i, w := range []any{3.0, 5.0, nil, 4.0, nil, nil, 1.0, nil} {
		if scores[i] != w {
			t.Errorf("row %d score %v, want %v", i, scores[i], w)
		}
	}
	if justs[0] != "says 3/5" || justs[2] != "Failed to score model on payload. Error: gateway answered 502: upstream down" ||
		justs[4] != "Failed to extract score and justification. Raw output: lorem ipsum" || justs[5] != nil {
		t.Errorf("justifications %q", justs)
	}
	// A None output leaves the whole graded part out of the prompt.
	if justs[7] != "Failed to extract score and justification. Raw output: lorem ipsum" {
		t.Errorf("row 8: %q", justs[7])
	}
	if len(r.Warnings) != 2 || !strings.Contains(r.Warnings[0], "4 of 8 rows have no score") {
		t.Errorf("warnings %q", r.Warnings)
	}
}

// TestEvaluateNoScores: no score read leaves the aggregates out, with a
// warning; a metric without its columns is refused before any call.
func TestEvaluateNoScores(t *testing.T) {
	faith, _ := Lookup("faithfulness")
	j := &fixedJudge{}
	rows := Rows{Outputs: []*string{sp("x")}, Context: map[string][]*string{"context": {sp("c")}}}
	r, err := Evaluate(context.Background(), j, []*Metric{faith}, rows, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Metrics) != 0 || len(r.Warnings) != 1 || r.Columns[0].Values[0] != nil {
		t.Errorf("%+v", r)
	}
	if !strings.Contains(j.prompts[0], "key: context\nvalue:\nc\n") || strings.Contains(j.prompts[0], "\nInput:\n") {
		t.Errorf("prompt:\n%s", j.prompts[0])
	}
	corr, _ := Lookup("answer_correctness")
	if _, err := Evaluate(context.Background(), j, []*Metric{corr}, rows, Options{}); !errors.Is(err, ErrMissingColumn) {
		t.Errorf("answer_correctness without inputs and targets: %v", err)
	}
	if len(j.prompts) != 1 {
		t.Errorf("%d calls", len(j.prompts))
	}
}

// TestEvaluateCancelled: a cancelled context stops the calls and is the
// error.
func TestEvaluateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sim, _ := Lookup("answer_relevance")
	outs := make([]*string, 100)
	for i := range outs {
		outs[i] = sp("1/5")
	}
	j := &fixedJudge{}
	if _, err := Evaluate(ctx, j, []*Metric{sim}, Rows{Inputs: outs, Outputs: outs}, Options{Concurrency: 2}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if len(j.prompts) > 2 {
		t.Errorf("%d calls after cancel", len(j.prompts))
	}
}
