package scoring_test

// A body is parsed in place: what a Request keeps of it, and when it is
// copied.

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/berthml/berth/api/scoring"
	"github.com/berthml/berth/flavors"
)

// TestDecodeDoesNotAliasBody: the body is parsed in place, but a Request's
// strings (a string tensor, params) must not change when the caller reuses
// the body's buffer, as berth serve does with its pooled buffers.
func TestDecodeDoesNotAliasBody(t *testing.T) {
	spec := scoring.ModelSpec{
		Signature: &flavors.Signature{Inputs: &flavors.Schema{Tensors: []flavors.TensorSpec{{DType: flavors.String, Shape: []int64{-1}}}}},
		Inputs:    []flavors.TensorInfo{{Name: "s", DType: flavors.String, Shape: []int64{-1}}},
	}
	body := []byte(`{"inputs": ["setosa", "virginica"]}`)
	req, err := scoring.Decode(scoring.FormatJSON, body, spec)
	if err != nil {
		t.Fatal(err)
	}
	for i := range body {
		body[i] = 'x'
	}
	if got := req.Inputs[0].Data.([]string); got[0] != "setosa" || got[1] != "virginica" {
		t.Fatalf("the request's strings changed with the body: %q", got)
	}
}

// TestDecodeParamsDoNotAliasBody: a string param (and its name) stays as
// it was when the caller reuses the body's buffer.
func TestDecodeParamsDoNotAliasBody(t *testing.T) {
	spec := scoring.ModelSpec{
		Signature: &flavors.Signature{
			Inputs: &flavors.Schema{Tensors: []flavors.TensorSpec{{DType: flavors.Float32, Shape: []int64{-1}}}},
			Params: []flavors.ParamSpec{{Name: "mode", Type: "string"}, {Name: "tags", Type: "string", Shape: []int64{-1}}},
		},
		Inputs: []flavors.TensorInfo{{Name: "x", DType: flavors.Float32, Shape: []int64{-1}}},
	}
	body := []byte(`{"inputs": [1, 2], "params": {"mode": "fast", "tags": ["a", "b"]}}`)
	req, err := scoring.Decode(scoring.FormatJSON, body, spec)
	if err != nil {
		t.Fatal(err)
	}
	for i := range body {
		body[i] = 'x'
	}
	if req.Params["mode"] != "fast" || !reflect.DeepEqual(req.Params["tags"], []string{"a", "b"}) {
		t.Fatalf("the request's params changed with the body: %v", req.Params)
	}
}

// TestNumericDecodeDoesNotCopyBody: a model of numeric inputs keeps no
// string of the body, so a body with strings (a dataframe's column names)
// is not copied: decoding MLflow's dataframe_split of the OCR example
// allocates less than the body's size (the tensor is 110 kB; the body
// 780 kB).
func TestNumericDecodeDoesNotCopyBody(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"dataframe_split": {"columns": [`)
	for i := range 192 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `"c%d"`, i)
	}
	b.WriteString(`], "data": [`)
	for r := range 144 {
		if r > 0 {
			b.WriteString(",\n")
		}
		b.WriteString("[")
		for i := range 192 {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%.17g", float64(float32(r*i%255)/127.5-1))
		}
		b.WriteString("]")
	}
	b.WriteString("]}}")
	body := []byte(b.String())
	shape := []int64{-1, 192}
	dec, err := scoring.NewDecoder(scoring.ModelSpec{
		Signature: &flavors.Signature{Inputs: &flavors.Schema{Tensors: []flavors.TensorSpec{{DType: flavors.Float32, Shape: shape}}}},
		Inputs:    []flavors.TensorInfo{{Name: "x", DType: flavors.Float32, Shape: shape}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dec.Decode(scoring.FormatJSON, body); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const runs = 5
	for range runs {
		if _, err := dec.Decode(scoring.FormatJSON, body); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / runs; per >= uint64(len(body)) {
		t.Fatalf("a decode allocates %d bytes for a %d-byte body of numbers: the body is copied", per, len(body))
	}
}
