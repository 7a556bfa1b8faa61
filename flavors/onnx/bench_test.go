package onnx_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/berthml/berth/flavors"
)

// BenchmarkPredict runs MLflow's logistic regression (4 features), or
// onnxruntime_go's dynamic-axes sum network (10) when the conformance
// models are absent.
func BenchmarkPredict(b *testing.B) {
	mm, width := testModel(filepath.Join(conformanceDir, "a_logreg_tensor"), "model.onnx", nil), int64(4)
	if _, err := os.Stat(filepath.Join(mm.Dir, "model.onnx")); err != nil {
		mm, width = testModel("testdata", "example_dynamic_axes.onnx", nil), 10
	}
	m := loadFrom(b, mm, flavors.LoadOptions{})
	for _, batch := range []int64{1, 64} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			in := []*flavors.Tensor{tensor("", flavors.Float32, []int64{batch, width}, make([]float32, batch*width))}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Predict(ctx, in, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
