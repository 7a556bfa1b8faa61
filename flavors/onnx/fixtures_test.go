package onnx_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/internal/ortest"
)

// TestFixturesMatchSklearn runs every model directory under testdata/models
// that has an expected.json through ONNX Runtime and compares the outputs
// with sklearn's own predictions: integers exactly, floats within 1e-6
// absolute plus 1e-5 relative (float32 against sklearn's float64).
func TestFixturesMatchSklearn(t *testing.T) {
	ortest.Init(t)
	dirs, err := filepath.Glob(filepath.Join("..", "..", "testdata", "models", "*", "expected.json"))
	if err != nil || len(dirs) < 9 {
		t.Fatalf("found %d fixtures with expected.json (%v), want every model fixture", len(dirs), err)
	}
	for _, path := range dirs {
		dir := filepath.Dir(path)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var e struct {
				Inputs  map[string]json.RawMessage `json:"inputs"`
				Outputs map[string]any             `json:"outputs"`
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &e); err != nil {
				t.Fatal(err)
			}
			l, err := flavors.Load(context.Background(), dir, flavors.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Predictor.Close()
			var inputs []*flavors.Tensor
			for _, info := range l.Predictor.Inputs() {
				raw, ok := e.Inputs[info.Name]
				if !ok {
					t.Fatalf("expected.json has no input %q", info.Name)
				}
				inputs = append(inputs, tensorFromJSON(t, info, raw))
			}
			outs, err := l.Predictor.Predict(context.Background(), inputs, nil)
			if err != nil {
				t.Fatal(err)
			}
			compared := 0
			for _, out := range outs {
				want, ok := e.Outputs[out.Name]
				if !ok {
					continue
				}
				compareOutput(t, out, flatten(want))
				compared++
			}
			if compared != len(e.Outputs) {
				t.Errorf("compared %d outputs, expected.json has %d", compared, len(e.Outputs))
			}
		})
	}
}

// tensorFromJSON reads a nested JSON list into a tensor of info's dtype.
func tensorFromJSON(t *testing.T, info flavors.TensorInfo, raw json.RawMessage) *flavors.Tensor {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var shape []int64
	for cur := v; ; {
		l, ok := cur.([]any)
		if !ok {
			break
		}
		shape = append(shape, int64(len(l)))
		if len(l) == 0 {
			break
		}
		cur = l[0]
	}
	flat := flatten(v)
	data, err := flavors.MakeSlice(info.DType, len(flat))
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range flat {
		switch d := data.(type) {
		case []float32:
			d[i] = float32(x.(float64))
		case []float64:
			d[i] = x.(float64)
		case []int64:
			d[i] = int64(x.(float64))
		case []string:
			d[i] = x.(string)
		default:
			t.Fatalf("input %q: dtype %s not handled by this test", info.Name, info.DType)
		}
	}
	return &flavors.Tensor{Name: info.Name, DType: info.DType, Shape: shape, Data: data}
}

func flatten(v any) []any {
	l, ok := v.([]any)
	if !ok {
		return []any{v}
	}
	var out []any
	for _, x := range l {
		out = append(out, flatten(x)...)
	}
	return out
}

func near(got, want float64) bool {
	return math.Abs(got-want) <= 1e-6+1e-5*math.Abs(want)
}

func compareOutput(t *testing.T, out *flavors.Tensor, want []any) {
	t.Helper()
	if out.Len() != len(want) {
		t.Fatalf("output %q has %d values, sklearn %d", out.Name, out.Len(), len(want))
	}
	for i, w := range want {
		switch d := out.Data.(type) {
		case []int64:
			if float64(d[i]) != w.(float64) {
				t.Errorf("%s[%d] = %d, sklearn %v", out.Name, i, d[i], w)
			}
		case []float32:
			if !near(float64(d[i]), w.(float64)) {
				t.Errorf("%s[%d] = %v, sklearn %v", out.Name, i, d[i], w)
			}
		case []float64:
			if !near(d[i], w.(float64)) {
				t.Errorf("%s[%d] = %v, sklearn %v", out.Name, i, d[i], w)
			}
		case []map[string]float32:
			wm := w.(map[string]any)
			if len(d[i]) != len(wm) {
				t.Errorf("%s[%d] = %v, sklearn %v", out.Name, i, d[i], wm)
			}
			for k, wv := range wm {
				if !near(float64(d[i][k]), wv.(float64)) {
					t.Errorf("%s[%d][%s] = %v, sklearn %v", out.Name, i, k, d[i][k], wv)
				}
			}
		default:
			t.Fatalf("output %q: %T not handled by this test", out.Name, out.Data)
		}
	}
}
