package onnx

import (
	"os"
	"reflect"
	"testing"

	"github.com/berthml/berth/internal/protofields"
)

func TestReadDimNames(t *testing.T) {
	in, out, err := readDimNames("testdata/identity_dtypes.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if got := in["x_float16"]; !reflect.DeepEqual(got, []string{"N", ""}) {
		t.Errorf("x_float16 dims = %q", got)
	}
	if got := out["y_bfloat16"]; !reflect.DeepEqual(got, []string{"N", ""}) {
		t.Errorf("y_bfloat16 dims = %q", got)
	}
	in, _, err = readDimNames("testdata/scalar.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if got := in["scale"]; got == nil || len(got) != 0 {
		t.Errorf("scalar input dims = %#v, want empty", got)
	}
}

func TestShapeRecipe(t *testing.T) {
	inNames := [][]string{{"batch", ""}, {"", "seq"}}
	r, err := shapeRecipe([]int64{-1, 4, -1}, []string{"batch", "", "seq"}, inNames)
	if err != nil {
		t.Fatal(err)
	}
	want := []dimSource{{input: 0, dim: 0}, {fixed: 4, input: -1}, {input: 1, dim: 1}}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("recipe = %+v, want %+v", r, want)
	}
	for _, names := range [][]string{{"other", "", "seq"}, {"", "", "seq"}, nil} {
		if _, err := shapeRecipe([]int64{-1, 4, -1}, names, inNames); err == nil {
			t.Errorf("names %q: no error", names)
		}
	}
}

func FuzzReadDimNames(f *testing.F) {
	for _, path := range []string{"testdata/identity_dtypes.onnx", "testdata/scalar.onnx", "../../testdata/models/sklearn_randomforest/model.onnx"} {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x3a, 0x05, 0x5a, 0x03, 0x0a, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, _, err := parseDimNames(b); err != nil && err != protofields.ErrMalformed {
			t.Errorf("unexpected error %v", err)
		}
	})
}
