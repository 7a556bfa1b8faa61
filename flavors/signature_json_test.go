package flavors_test

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/berthml/berth/flavors"
)

func TestParseSchema(t *testing.T) {
	tests := []struct {
		name string
		in   string // as MLflow writes it, so MarshalJSON gives it back
		want *flavors.Schema
	}{
		{
			name: "unnamed tensor",
			in:   `[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]`,
			want: &flavors.Schema{Tensors: []flavors.TensorSpec{{DType: flavors.Float32, Shape: []int64{-1, 4}}}},
		},
		{
			name: "named tensors and a scalar shape",
			in: `[{"name": "label", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}, ` +
				`{"name": "flag", "type": "tensor", "tensor-spec": {"dtype": "bool", "shape": []}}]`,
			want: &flavors.Schema{Tensors: []flavors.TensorSpec{
				{Name: "label", DType: flavors.Int64, Shape: []int64{-1}},
				{Name: "flag", DType: flavors.Bool, Shape: []int64{}},
			}},
		},
		{
			name: "columns",
			in:   `[{"type": "double", "name": "x", "required": true}, {"type": "string", "name": "s", "required": false}, {"type": "long", "required": true}]`,
			want: &flavors.Schema{Columns: []flavors.ColSpec{
				{Name: "x", Type: flavors.ColDouble, Required: true, Raw: []byte(`{"type": "double", "name": "x", "required": true}`)},
				{Name: "s", Type: flavors.ColString, Required: false, Raw: []byte(`{"type": "string", "name": "s", "required": false}`)},
				{Type: flavors.ColLong, Required: true, Raw: []byte(`{"type": "long", "required": true}`)},
			}},
		},
		{
			name: "composite column types",
			in: `[{"type": "array", "items": {"type": "double"}, "name": "xs", "required": true}, ` +
				`{"type": "object", "properties": {"a": {"type": "string", "required": true}}, "name": "o", "required": true}]`,
			want: &flavors.Schema{Columns: []flavors.ColSpec{
				{Name: "xs", Type: "array", Required: true, Raw: []byte(`{"type": "array", "items": {"type": "double"}, "name": "xs", "required": true}`)},
				{Name: "o", Type: "object", Required: true,
					Raw: []byte(`{"type": "object", "properties": {"a": {"type": "string", "required": true}}, "name": "o", "required": true}`)},
			}},
		},
		{
			name: "text dtypes",
			in: `[{"name": "a", "type": "tensor", "tensor-spec": {"dtype": "object", "shape": [-1]}}, ` +
				`{"name": "b", "type": "tensor", "tensor-spec": {"dtype": "object", "shape": [-1]}}]`,
			want: &flavors.Schema{Tensors: []flavors.TensorSpec{
				{Name: "a", DType: flavors.String, Shape: []int64{-1}},
				{Name: "b", DType: flavors.String, Shape: []int64{-1}},
			}},
		},
		{name: "null", in: `null`, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := flavors.ParseSchema([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %#v\nwant %#v", got, tt.want)
			}
			out, err := got.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.in {
				t.Errorf("MarshalJSON = %s, want %s", out, tt.in)
			}
		})
	}
}

// Input that MLflow would not write itself is laid out as MLflow would.
func TestSchemaJSONIsNormalized(t *testing.T) {
	tests := []struct{ in, want string }{
		{`[{"name":"x","type":"double"}]`, `[{"type": "double", "name": "x", "required": true}]`},
		{`[{"type":"tensor","tensor-spec":{"shape":[-1],"dtype":"<U0"},"name":"t"}]`,
			`[{"name": "t", "type": "tensor", "tensor-spec": {"dtype": "object", "shape": [-1]}}]`},
		{`[{"type":"string","name":"caf\u00e9","extra":1E2,"required":null}]`,
			`[{"type": "string", "extra": 100.0, "name": "caf\u00e9", "required": true}]`},
		{`[{"type":"double","name":"a","name":"b"}]`, `[{"type": "double", "name": "b", "required": true}]`},
	}
	for _, tt := range tests {
		s, err := flavors.ParseSchema([]byte(tt.in))
		if err != nil {
			t.Fatalf("ParseSchema(%s): %v", tt.in, err)
		}
		out, err := s.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != tt.want {
			t.Errorf("MarshalJSON(ParseSchema(%s)) = %s, want %s", tt.in, out, tt.want)
		}
	}
}

func TestSchemaImplementsJSONInterfaces(t *testing.T) {
	var sig struct{ Inputs *flavors.Schema }
	in := `{"Inputs": [{"type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 28, 28]}}]}`
	if err := json.Unmarshal([]byte(in), &sig); err != nil {
		t.Fatal(err)
	}
	want := &flavors.Schema{Tensors: []flavors.TensorSpec{{DType: flavors.Uint8, Shape: []int64{-1, 28, 28}}}}
	if !reflect.DeepEqual(sig.Inputs, want) {
		t.Errorf("got %#v, want %#v", sig.Inputs, want)
	}
	if err := json.Unmarshal([]byte(`{"Inputs": [{"type": "tensor"}]}`), &sig); err == nil {
		t.Error("json.Unmarshal of a tensor spec without tensor-spec succeeded")
	}
}

func TestSchemaNames(t *testing.T) {
	sig := &flavors.Signature{
		Inputs:  &flavors.Schema{Columns: []flavors.ColSpec{{Name: "a"}, {Name: "b"}}},
		Outputs: &flavors.Schema{Tensors: []flavors.TensorSpec{{Name: "label"}, {}}},
	}
	if got := sig.InputNames(); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("InputNames = %q", got)
	}
	if got := sig.OutputNames(); !reflect.DeepEqual(got, []string{"label", ""}) {
		t.Errorf("OutputNames = %q", got)
	}
	var none *flavors.Signature
	if none.InputNames() != nil || none.OutputNames() != nil {
		t.Error("a nil signature has names")
	}
}

func TestParams(t *testing.T) {
	in := `[{"name": "temperature", "type": "double", "default": 0.7, "shape": null}, ` +
		`{"name": "top_k", "type": "long", "default": 40, "shape": null}, ` +
		`{"name": "stop", "type": "string", "default": ["\n", "END"], "shape": [-1]}, ` +
		`{"name": "seed", "type": "long", "default": 123456789012345678901234567890, "shape": null}, ` +
		`{"name": "when", "type": "datetime", "default": null, "shape": null}]`
	got, err := flavors.ParseParams([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []flavors.ParamSpec{
		{Name: "temperature", Type: "double", Default: 0.7},
		{Name: "top_k", Type: "long", Default: int64(40)},
		{Name: "stop", Type: "string", Default: []any{"\n", "END"}, Shape: []int64{-1}},
		{Name: "seed", Type: "long", Default: json.Number("123456789012345678901234567890")},
		{Name: "when", Type: "datetime"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
	out, err := flavors.MarshalParams(got)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Errorf("MarshalParams = %s\nwant %s", out, in)
	}
	if out, _ := flavors.MarshalParams(nil); string(out) != "null" {
		t.Errorf("MarshalParams(nil) = %s, want null", out)
	}
	if _, err := flavors.MarshalParams([]flavors.ParamSpec{{Name: "x"}}); err == nil {
		t.Error("MarshalParams of a param without a type succeeded")
	}
}

func TestNumpyDTypes(t *testing.T) {
	tests := []struct {
		numpy string
		dtype flavors.DType
		write string // what NumpyDType writes back
	}{
		{"float16", flavors.Float16, "float16"}, {"float32", flavors.Float32, "float32"}, {"float64", flavors.Float64, "float64"},
		{"int8", flavors.Int8, "int8"}, {"int16", flavors.Int16, "int16"}, {"int32", flavors.Int32, "int32"}, {"int64", flavors.Int64, "int64"},
		{"uint8", flavors.Uint8, "uint8"}, {"uint16", flavors.Uint16, "uint16"}, {"uint32", flavors.Uint32, "uint32"},
		{"uint64", flavors.Uint64, "uint64"}, {"bool", flavors.Bool, "bool"}, {"bfloat16", flavors.BFloat16, "bfloat16"},
		{"object", flavors.String, "object"}, {"str", flavors.String, "object"}, {"<U0", flavors.String, "object"},
		{"<U12", flavors.String, "object"}, {"bytes", flavors.String, "object"}, {"|S0", flavors.String, "object"},
	}
	for _, tt := range tests {
		got, err := flavors.ParseNumpyDType(tt.numpy)
		if err != nil || got != tt.dtype {
			t.Errorf("ParseNumpyDType(%q) = %q, %v; want %q", tt.numpy, got, err, tt.dtype)
		}
		if w := flavors.NumpyDType(got); w != tt.write {
			t.Errorf("NumpyDType(%q) = %q, want %q", got, w, tt.write)
		}
	}
	for _, bad := range []string{"float128", "complex64", "", "Float32", "<f4"} {
		if _, err := flavors.ParseNumpyDType(bad); err == nil {
			t.Errorf("ParseNumpyDType(%q) succeeded", bad)
		}
	}
}

// MarshalParams writes Go defaults as MLflow's json.dumps would: a float32
// with numpy's shortest float32 digits, map keys sorted, NaN refused.
func TestMarshalParamsGoValues(t *testing.T) {
	params := []flavors.ParamSpec{
		{Name: "f32", Type: "float", Default: float32(0.1)},
		{Name: "f64", Type: "double", Default: float64(float32(0.1))},
		{Name: "big", Type: "float", Default: float32(1e20)},
		{Name: "m", Type: "string", Default: map[string]any{"b": uint8(1), "a": []int{1, -2}, "é": nil}},
	}
	out, err := flavors.MarshalParams(params)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"name": "f32", "type": "float", "default": 0.1, "shape": null}, ` +
		`{"name": "f64", "type": "double", "default": 0.10000000149011612, "shape": null}, ` +
		`{"name": "big", "type": "float", "default": 1e+20, "shape": null}, ` +
		`{"name": "m", "type": "string", "default": {"a": [1, -2], "b": 1, "\u00e9": null}, "shape": null}]`
	if string(out) != want {
		t.Errorf("MarshalParams = %s\nwant %s", out, want)
	}
	if _, err := flavors.MarshalParams([]flavors.ParamSpec{{Name: "x", Type: "float", Default: float32(math.NaN())}}); err == nil {
		t.Error("MarshalParams of a NaN default succeeded")
	}
}

// ParseParams reads one JSON value, as json.loads does: trailing data, a
// stray closing bracket and truncated text are errors.
func TestParseParamsRejectsMalformed(t *testing.T) {
	for _, in := range []string{`[]]`, `[]}`, `[] []`, `[{"name": "a"`, ``, `[1e999]`} {
		if _, err := flavors.ParseParams([]byte(in)); err == nil {
			t.Errorf("ParseParams(%q) succeeded", in)
		}
	}
}
