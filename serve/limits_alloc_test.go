package serve

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/internal/ortest"
)

// TestCheckResponseBoundAllocs guards the per-request response bound: it
// reads the model's outputs and batchability computed at load, so it
// allocates nothing (it used to copy the predictor's tensor infos and
// format a reason on every request).
func TestCheckResponseBoundAllocs(t *testing.T) {
	ortest.Init(t)
	for _, fx := range []string{"iris_logreg", "ocr_cls"} {
		t.Run(fx, func(t *testing.T) {
			m, err := LoadModel(context.Background(), fx, "1", filepath.Join("..", "testdata", "models", fx), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { m.Close() })
			s := New(WithResponseLimit(1 << 20))
			in := m.inputs[0]
			shape := make([]int64, len(in.Shape))
			for i, d := range in.Shape {
				shape[i] = max(d, 1)
			}
			inputs := []*flavors.Tensor{{Name: in.Name, DType: in.DType, Shape: shape}}
			if err := s.checkResponseBound(m, inputs, nil); err != nil {
				t.Fatal(err)
			}
			if n := testing.AllocsPerRun(100, func() { _ = s.checkResponseBound(m, inputs, nil) }); n != 0 {
				t.Errorf("checkResponseBound allocates %v times per request, want 0", n)
			}
		})
	}
}
