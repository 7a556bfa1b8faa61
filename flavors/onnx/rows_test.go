package onnx_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/berthml/berth/flavors"
)

// TestInputsWithDifferentRows: a two-input model given 3 rows of one input
// and 2 of the other is the client's mistake, named as such, not ONNX
// Runtime's text as a server failure.
func TestInputsWithDifferentRows(t *testing.T) {
	m := loadFrom(t, testModel("../../testdata/models/multi_input", "model.onnx", nil), flavors.LoadOptions{})
	in := func(name string, rows int) *flavors.Tensor {
		return &flavors.Tensor{Name: name, DType: flavors.Float32, Shape: []int64{int64(rows), 2}, Data: make([]float32, 2*rows)}
	}
	_, err := m.Predict(context.Background(), []*flavors.Tensor{in("sepal", 3), in("petal", 2)}, nil)
	var ierr *flavors.InputError
	if !errors.As(err, &ierr) {
		t.Fatalf("err = %v (%T), want a *flavors.InputError", err, err)
	}
	for _, want := range []string{`"sepal"`, `"petal"`, "rows"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "ONNXRuntime") || strings.Contains(err.Error(), "onnx") {
		t.Errorf("error %q repeats the runtime's text", err)
	}
	// The same rows run.
	if outs := predict(t, m, []*flavors.Tensor{in("sepal", 2), in("petal", 2)}); len(outs) == 0 || outs[0].Shape[0] != 2 {
		t.Errorf("2 rows each: outputs %v", outs)
	}
}
