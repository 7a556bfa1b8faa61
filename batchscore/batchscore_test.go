package batchscore_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthml/berth/batchscore"
	"github.com/berthml/berth/flavors"
	_ "github.com/berthml/berth/flavors/builtin"
	"github.com/berthml/berth/internal/ortest"
)

const irisDir = "../testdata/models/iris_logreg"

func loadIris(t *testing.T) *flavors.Loaded {
	t.Helper()
	ortest.Init(t)
	l, err := flavors.Load(context.Background(), irisDir, flavors.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Predictor.Close() })
	return l
}

// labels scores path in batches of rows and returns the predicted labels
// in order, checking that batches are numbered contiguously.
func labels(t *testing.T, s *batchscore.Scorer, path string) []int64 {
	t.Helper()
	var got []int64
	next := 1
	err := s.File(context.Background(), path, func(b batchscore.Batch) error {
		if b.First != next {
			t.Errorf("batch starts at row %d, want %d", b.First, next)
		}
		next += b.Rows
		for _, o := range b.Outputs {
			if o.Name == "label" || o.Name == "output_label" {
				got = append(got, o.Data.([]int64)...)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestIrisMatchesSklearn scores iris.csv (whose target column the
// signature does not name) in uneven batches through real ONNX Runtime:
// the rows of expected.json get sklearn's labels, and the labels agree
// with the CSV's targets as often as sklearn's model does.
func TestIrisMatchesSklearn(t *testing.T) {
	s, err := batchscore.New(loadIris(t), 64)
	if err != nil {
		t.Fatal(err)
	}
	got := labels(t, s, "../testdata/data/iris.csv")
	if len(got) != 150 {
		t.Fatalf("scored %d rows, want 150", len(got))
	}
	var want struct {
		Outputs struct {
			Label []int64 `json:"label"`
		} `json:"outputs"`
	}
	b, err := os.ReadFile(filepath.Join(irisDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	// expected.json holds iris rows 0, 50, 100 and 149 (0-based).
	for i, row := range []int{0, 50, 100, 149} {
		if got[row] != want.Outputs.Label[i] {
			t.Errorf("row %d: label %d, sklearn %d", row, got[row], want.Outputs.Label[i])
		}
	}
	correct := 0
	for i, l := range got {
		if l == int64(i/50) { // iris.csv is sorted by class, 50 each
			correct++
		}
	}
	if correct < 140 {
		t.Errorf("%d of 150 labels match the targets; a logistic regression gets ~146", correct)
	}

	// The same rows as JSON Lines give the same labels.
	jl := filepath.Join(t.TempDir(), "iris.jsonl")
	var sb strings.Builder
	lines := strings.Split(strings.TrimSpace(readFile(t, "../testdata/data/iris.csv")), "\n")
	header := strings.Split(lines[0], ",")
	for _, l := range lines[1:] {
		obj := map[string]json.RawMessage{}
		for i, v := range strings.Split(l, ",") {
			obj[header[i]] = json.RawMessage(v)
		}
		b, _ := json.Marshal(obj)
		sb.Write(append(b, '\n'))
		sb.WriteString("\n") // blank lines are skipped
	}
	if err := os.WriteFile(jl, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s7, err := batchscore.New(loadIris(t), 7)
	if err != nil {
		t.Fatal(err)
	}
	if got2 := labels(t, s7, jl); !equal(got, got2) {
		t.Errorf("JSON Lines labels differ from CSV's:\n%v\n%v", got2, got)
	}
}

// TestTensorSignatureCSV scores iris.csv with the tree, whose signature
// is tensor-based: the CSV's columns but the dropped target are the
// input's columns, in file order.
func TestTensorSignatureCSV(t *testing.T) {
	ortest.Init(t)
	l, err := flavors.Load(context.Background(), "../testdata/models/iris_tree", flavors.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Predictor.Close()
	s, err := batchscore.New(l, 100)
	if err != nil {
		t.Fatal(err)
	}
	err = s.File(context.Background(), "../testdata/data/iris.csv", func(batchscore.Batch) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "rows 1 to 100") {
		t.Fatalf("with the target column: %v, want the decoder's shape error", err)
	}
	s.Drop("target")
	got := labels(t, s, "../testdata/data/iris.csv")
	correct := 0
	for i, l := range got {
		if l == int64(i/50) {
			correct++
		}
	}
	if len(got) != 150 || correct < 140 {
		t.Errorf("%d labels, %d right", len(got), correct)
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("a,b,c,d\n1,2,x,4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.File(context.Background(), bad, func(batchscore.Batch) error { return nil }); err == nil || !strings.Contains(err.Error(), "rows 1 to 1") {
		t.Errorf("a text field: %v", err)
	}
}

func TestMalformed(t *testing.T) {
	l := loadIris(t)
	for _, tc := range []struct {
		name, ext, data, want string
	}{
		{"empty", ".csv", "", "no header row"},
		{"header only", ".csv", "sepal_length,sepal_width,petal_length,petal_width\n", "no data rows"},
		{"missing column", ".csv", "sepal_length,sepal_width,petal_length\n1,2,3\n", "petal_width"},
		{"not a number", ".csv", "sepal_length,sepal_width,petal_length,petal_width\n1,2,3,4\n1,x,3,4\n", "rows 1 to 2"},
		{"ragged", ".csv", "sepal_length,sepal_width,petal_length,petal_width\n1,2,3,4\n1,2\n", "wrong number of fields"},
		{"bad quote", ".csv", "sepal_length,sepal_width,petal_length,petal_width\n\"1,2,3,4\n", "quote"},
		{"jsonl not object", ".jsonl", "[1,2,3,4]\n", "line 1: not a JSON object"},
		{"jsonl bad json", ".jsonl", `{"sepal_length": 1,` + "\n", "rows 1 to 1"},
		{"jsonl empty", ".jsonl", "\n\n", "no data rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := batchscore.New(l, 4)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "data"+tc.ext)
			if err := os.WriteFile(path, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			err = s.File(context.Background(), path, func(batchscore.Batch) error { return nil })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
