package onnx

import (
	"fmt"
	"os"
	"reflect"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
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
		if _, _, err := parseDimNames(b); err != nil && err != errProto {
			t.Errorf("unexpected error %v", err)
		}
	})
}

// TestFields walks the wire types the library decodes: length-delimited
// fields reach fn, varint, fixed32 and fixed64 are skipped, and groups,
// truncated values and field number 0 are malformed.
func TestFields(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want []string // "num:bytes" of each length-delimited field
		err  error
	}{
		{"empty", nil, nil, nil},
		{"bytes", []byte{0x0a, 0x02, 'h', 'i'}, []string{"1:hi"}, nil},
		{"skips scalars", []byte{0x08, 0x96, 0x01, 0x15, 1, 2, 3, 4, 0x19, 1, 2, 3, 4, 5, 6, 7, 8, 0x22, 0x01, 'x'}, []string{"4:x"}, nil},
		{"truncated varint", []byte{0x08, 0x96}, nil, errProto},
		{"truncated length", []byte{0x0a, 0x05, 'a'}, nil, errProto},
		{"truncated fixed64", []byte{0x09, 1, 2}, nil, errProto},
		{"group", []byte{0x0b, 0x0c}, nil, errProto},
		{"field zero", []byte{0x02, 0x00}, nil, errProto},
		{"reserved wire type", []byte{0x0e}, nil, errProto},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := fields(tt.b, func(num protowire.Number, v []byte) error {
				got = append(got, fmt.Sprintf("%d:%s", num, v))
				return nil
			})
			if err != tt.err || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("fields = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}
