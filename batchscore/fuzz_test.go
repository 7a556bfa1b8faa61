package batchscore_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/berthml/berth/batchscore"
	"github.com/berthml/berth/flavors"
)

// rowCounter stands in for a model: it checks the decoded input and
// answers one label per row.
type rowCounter struct{}

func (rowCounter) Inputs() []flavors.TensorInfo {
	return []flavors.TensorInfo{{Name: "input", DType: flavors.Float32, Shape: []int64{-1, 4}}}
}
func (rowCounter) Outputs() []flavors.TensorInfo {
	return []flavors.TensorInfo{{Name: "label", DType: flavors.Int64, Shape: []int64{-1}}}
}
func (rowCounter) Predict(_ context.Context, in []*flavors.Tensor, _ []string) ([]*flavors.Tensor, error) {
	n := in[0].Shape[0]
	return []*flavors.Tensor{{Name: "label", DType: flavors.Int64, Shape: []int64{n}, Data: make([]int64, n)}}, nil
}
func (rowCounter) Close() error { return nil }

// FuzzFile feeds arbitrary CSV and JSON Lines to a scorer of the iris
// signature: it returns an error or batches whose rows add up, and never
// panics.
func FuzzFile(f *testing.F) {
	m, err := flavors.Open(irisDir)
	if err != nil {
		f.Fatal(err)
	}
	l := &flavors.Loaded{Model: m, Flavor: "fake", Predictor: rowCounter{}}
	f.Add([]byte("sepal_length,sepal_width,petal_length,petal_width,target\n5.1,3.5,1.4,0.2,0\n"), false)
	f.Add([]byte("\ufeffpetal_width,sepal_length,sepal_width,petal_length\n1,2,3,4\n,,,\n"), false)
	f.Add([]byte(`{"sepal_length":1,"sepal_width":2,"petal_length":3,"petal_width":4}`+"\n"), true)
	f.Add([]byte(`{"sepal_length":"1","petal_width":null}`+"\n{}\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, jsonl bool) {
		s, err := batchscore.New(l, 3)
		if err != nil {
			t.Fatal(err)
		}
		rows := 0
		fn := func(b batchscore.Batch) error {
			if b.Rows < 1 || b.Rows > 3 || b.Outputs[0].Len() != b.Rows {
				t.Fatalf("batch of %d rows with %d outputs", b.Rows, b.Outputs[0].Len())
			}
			rows += b.Rows
			return nil
		}
		if jsonl {
			_ = s.JSONL(context.Background(), bytes.NewReader(data), fn)
		} else {
			_ = s.CSV(context.Background(), bytes.NewReader(data), fn)
		}
	})
}
