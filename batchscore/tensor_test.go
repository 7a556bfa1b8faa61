package batchscore_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/berthml/berth/batchscore"
	"github.com/berthml/berth/flavors"
)

// fakeModel stands in for a model with one input of the given shape: it
// keeps the inputs it is given and answers one label per row.
type fakeModel struct {
	shape []int64
	got   []*flavors.Tensor
}

func (m *fakeModel) Inputs() []flavors.TensorInfo {
	return []flavors.TensorInfo{{Name: "input", DType: flavors.Float32, Shape: m.shape}}
}
func (m *fakeModel) Outputs() []flavors.TensorInfo {
	return []flavors.TensorInfo{{Name: "label", DType: flavors.Int64, Shape: []int64{-1}}}
}
func (m *fakeModel) Predict(_ context.Context, in []*flavors.Tensor, _ []string) ([]*flavors.Tensor, error) {
	m.got = append(m.got, in[0])
	n := in[0].Shape[0]
	return []*flavors.Tensor{{Name: "label", DType: flavors.Int64, Shape: []int64{n}, Data: make([]int64, n)}}, nil
}
func (m *fakeModel) Close() error { return nil }

// tensorScorer returns a scorer of the committed model name (whose
// signature is tensor-based) with a fake predictor of the given shape.
func tensorScorer(t testing.TB, name string, shape ...int64) (*batchscore.Scorer, *fakeModel) {
	t.Helper()
	m, err := flavors.Open("../testdata/models/" + name)
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeModel{shape: shape}
	s, err := batchscore.New(&flavors.Loaded{Model: m, Flavor: "fake", Predictor: fake}, 10)
	if err != nil {
		t.Fatal(err)
	}
	return s, fake
}

// TestTensorJSONL scores JSON Lines rows of a tensor-signature model:
// arrays, arrays under the input's name, objects of the kept columns.
func TestTensorJSONL(t *testing.T) {
	tests := []struct {
		name    string
		keep    []string
		in      string
		want    []float32
		wantErr string
	}{
		{"arrays", nil, "[1, 2, 3, 4]\n[5, 6, 7, 8]\n", []float32{1, 2, 3, 4, 5, 6, 7, 8}, ""},
		{"under the input's name", nil, `{"input": [1, 2, 3, 4], "id": "a"}` + "\n", []float32{1, 2, 3, 4}, ""},
		{"kept columns, in their order", []string{"d", "c", "b", "a"}, `{"a": 1, "b": 2, "c": 3, "d": 4, "target": 0}` + "\n", []float32{4, 3, 2, 1}, ""},
		{"a kept column missing", []string{"a", "b", "c", "d"}, `{"a": 1, "b": 2, "c": 3}` + "\n", nil, "rows 1 to 1"},
		{"an object without the input", nil, `{"a": 1}` + "\n", nil, `no array under the input's name "input"`},
		{"not JSON", nil, "{\"input\": [1,\n", nil, "line 1"},
		{"a string", nil, `"abc"` + "\n", nil, "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, fake := tensorScorer(t, "iris_logreg_tensor", -1, 4)
			if tt.keep != nil {
				s.Keep(tt.keep...)
			}
			err := s.JSONL(context.Background(), strings.NewReader(tt.in), func(batchscore.Batch) error { return nil })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []float32
			for _, in := range fake.got {
				got = append(got, in.Data.([]float32)...)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("inputs = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestTensorCSVKeep sends the kept columns of a CSV file, in their order.
func TestTensorCSVKeep(t *testing.T) {
	s, fake := tensorScorer(t, "iris_logreg_tensor", -1, 4)
	s.Keep("d", "a", "b", "c")
	if err := s.CSV(context.Background(), strings.NewReader("a,b,c,d,e\n1,2,3,4,5\n"), func(batchscore.Batch) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got := fake.got[0].Data.([]float32); !slices.Equal(got, []float32{4, 1, 2, 3}) {
		t.Errorf("inputs = %v, want [4 1 2 3]", got)
	}
	s.Keep("a", "zz")
	err := s.CSV(context.Background(), strings.NewReader("a,b\n1,2\n"), func(batchscore.Batch) error { return nil })
	if err == nil || !strings.Contains(err.Error(), `no column "zz"`) {
		t.Errorf("a missing kept column: %v", err)
	}
}

// TestTensorJSONLFlatSamples nests a flat sample (as the request log
// writes them) to the input's shape.
func TestTensorJSONLFlatSamples(t *testing.T) {
	s, fake := tensorScorer(t, "cnn64", -1, 3, 64, 64)
	flat := "[" + strings.TrimSuffix(strings.Repeat("0.5,", 3*64*64), ",") + "]"
	in := flat + "\n" + `{"input": ` + flat + "}\n" + "[1, 2]\n"
	err := s.JSONL(context.Background(), strings.NewReader(in), func(batchscore.Batch) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "line 3: a flat sample of 2 values, want 12288") {
		t.Fatalf("err = %v, want line 3's flat sample refused", err)
	}
	s, fake = tensorScorer(t, "cnn64", -1, 3, 64, 64)
	if err := s.JSONL(context.Background(), strings.NewReader(flat+"\n"+flat+"\n"), func(batchscore.Batch) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got := fake.got[0]; !slices.Equal(got.Shape, []int64{2, 3, 64, 64}) || got.Data.([]float32)[12287] != 0.5 {
		t.Errorf("input shape %v", got.Shape)
	}
}

// FuzzTensorJSONL feeds arbitrary JSON Lines to a scorer of a
// tensor-signature model: an error or batches whose rows add up, never a
// panic.
func FuzzTensorJSONL(f *testing.F) {
	f.Add([]byte("[1, 2, 3, 4]\n[5, 6, 7, 8]\n"), false)
	f.Add([]byte(`{"input": [1, 2, 3, 4]}`+"\n"), false)
	f.Add([]byte(`{"a": 1, "b": null, "c": "3", "d": 4}`+"\n"), true)
	f.Add([]byte("[[1, 2], [3, 4]]\n[1e999]\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, keep bool) {
		s, _ := tensorScorer(t, "iris_logreg_tensor", -1, 4)
		if keep {
			s.Keep("a", "b", "c", "d")
		}
		_ = s.JSONL(context.Background(), bytes.NewReader(data), func(b batchscore.Batch) error {
			if b.Rows < 1 || b.Rows > 10 || b.Outputs[0].Len() != b.Rows || b.Inputs[0].Len() != 4*b.Rows {
				t.Fatalf("batch of %d rows, %d outputs, %d input values", b.Rows, b.Outputs[0].Len(), b.Inputs[0].Len())
			}
			return nil
		})
	})
}
