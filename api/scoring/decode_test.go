package scoring_test

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/berthml/berth/api/scoring"
	"github.com/berthml/berth/flavors"
)

const (
	splitIris   = `{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [[5.1, 3.5, 1.4, 0.2], [6.9, 3.2, 5.7, 2.3]]}}`
	recordsIris = `{"dataframe_records": [{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}, {"petal_width": 2.3, "petal_length": 5.7, "sepal_width": 3.2, "sepal_length": 6.9}]}`
	csvIris     = "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n6.9,3.2,5.7,2.3\n"
)

var (
	irisRows64 = []float64{5.1, 3.5, 1.4, 0.2, 6.9, 3.2, 5.7, 2.3}
	irisRows32 = []float32{5.1, 3.5, 1.4, 0.2, 6.9, 3.2, 5.7, 2.3}
)

// stackedSpec: ColSpec double ×4 feeding one float32 [-1, 4] input.
func stackedSpec() scoring.ModelSpec {
	return scoring.ModelSpec{
		Signature: &flavors.Signature{Inputs: colSchema(flavors.ColDouble, irisColumns...), Outputs: longOutput},
		Inputs:    []flavors.TensorInfo{{Name: "float_input", DType: flavors.Float32, Shape: []int64{-1, 4}}},
		Outputs:   irisOutputs,
	}
}

// separateSpec: ColSpec double ×4 feeding four inputs of the same names.
func separateSpec() scoring.ModelSpec {
	s := scoring.ModelSpec{Signature: &flavors.Signature{Inputs: colSchema(flavors.ColDouble, irisColumns...)}}
	for i, c := range irisColumns {
		shape := []int64{-1, 1}
		if i == 3 {
			shape = []int64{-1}
		}
		s.Inputs = append(s.Inputs, flavors.TensorInfo{Name: c, DType: flavors.Float32, Shape: shape})
	}
	return s
}

// namedTensorSpec: tensors a float32 [-1, 2] and b int64 [-1].
func namedTensorSpec() scoring.ModelSpec {
	return scoring.ModelSpec{
		Signature: &flavors.Signature{Inputs: &flavors.Schema{Tensors: []flavors.TensorSpec{
			{Name: "a", DType: flavors.Float32, Shape: []int64{-1, 2}},
			{Name: "b", DType: flavors.Int64, Shape: []int64{-1}},
		}}},
		Inputs: []flavors.TensorInfo{
			{Name: "b", DType: flavors.Int64, Shape: []int64{-1}},
			{Name: "a", DType: flavors.Float32, Shape: []int64{-1, 2}},
		},
	}
}

// textSpec: a string column and a long column, each its own input.
func textSpec() scoring.ModelSpec {
	return scoring.ModelSpec{
		Signature: &flavors.Signature{Inputs: &flavors.Schema{Columns: []flavors.ColSpec{
			{Name: "text", Type: flavors.ColString, Required: true},
			{Name: "n", Type: flavors.ColLong, Required: true},
			{Name: "flag", Type: flavors.ColBoolean, Required: false},
		}}},
		Inputs: []flavors.TensorInfo{
			{Name: "text", DType: flavors.String, Shape: []int64{-1, 1}},
			{Name: "n", DType: flavors.Int64, Shape: []int64{-1}},
			{Name: "flag", DType: flavors.Bool, Shape: []int64{-1}},
		},
	}
}

// noSigSpec: no signature, one float32 [-1, 3] input.
func noSigSpec() scoring.ModelSpec {
	return scoring.ModelSpec{Inputs: []flavors.TensorInfo{{Name: "x", DType: flavors.Float32, Shape: []int64{-1, 3}}}}
}

// noSigMultiSpec: no signature, two inputs.
func noSigMultiSpec() scoring.ModelSpec {
	return scoring.ModelSpec{Inputs: []flavors.TensorInfo{
		{Name: "x", DType: flavors.Float32, Shape: []int64{-1, 2}},
		{Name: "ids", DType: flavors.Int32, Shape: []int64{-1}},
	}}
}

// paramSpec: the colspec iris model with params.
func paramSpec() scoring.ModelSpec {
	s := colspecSpec()
	s.Signature.Params = []flavors.ParamSpec{
		{Name: "temperature", Type: "double", Default: 0.5},
		{Name: "top_k", Type: "long", Default: float64(3)},
		{Name: "stop", Type: "string", Shape: []int64{-1}},
		{Name: "verbose", Type: "boolean", Default: false},
	}
	return s
}

// optionalSpec: two required and one optional double column, stacked.
func optionalSpec() scoring.ModelSpec {
	return scoring.ModelSpec{
		Signature: &flavors.Signature{Inputs: &flavors.Schema{Columns: []flavors.ColSpec{
			{Name: "a", Type: flavors.ColDouble, Required: true},
			{Name: "b", Type: flavors.ColDouble, Required: false},
			{Name: "c", Type: flavors.ColLong, Required: true},
		}}},
		Inputs: []flavors.TensorInfo{{Name: "x", DType: flavors.Float64, Shape: []int64{-1, 3}}},
	}
}

// arraySpec: an array column of doubles beside a scalar one, stacked.
func arraySpec() scoring.ModelSpec {
	return scoring.ModelSpec{
		Signature: &flavors.Signature{Inputs: &flavors.Schema{Columns: []flavors.ColSpec{
			{Name: "emb", Type: "array", Required: true, Raw: []byte(`{"type":"array","items":{"type":"double"},"name":"emb"}`)},
			{Name: "bias", Type: flavors.ColDouble, Required: true},
		}}},
		Inputs: []flavors.TensorInfo{{Name: "x", DType: flavors.Float32, Shape: []int64{-1, 3}}},
	}
}

func tensor(name string, dtype flavors.DType, shape []int64, data any) *flavors.Tensor {
	return &flavors.Tensor{Name: name, DType: dtype, Shape: shape, Data: data}
}

func TestDecodeGood(t *testing.T) {
	stacked := []*flavors.Tensor{tensor("float_input", flavors.Float32, []int64{2, 4}, irisRows32)}
	separate := []*flavors.Tensor{
		tensor("sepal_length", flavors.Float32, []int64{2, 1}, []float32{5.1, 6.9}),
		tensor("sepal_width", flavors.Float32, []int64{2, 1}, []float32{3.5, 3.2}),
		tensor("petal_length", flavors.Float32, []int64{2, 1}, []float32{1.4, 5.7}),
		tensor("petal_width", flavors.Float32, []int64{2}, []float32{0.2, 2.3}),
	}
	unnamed := []*flavors.Tensor{tensor("input", flavors.Float64, []int64{2, 4}, irisRows64)}
	named := []*flavors.Tensor{
		tensor("b", flavors.Int64, []int64{2}, []int64{7, 8}),
		tensor("a", flavors.Float32, []int64{2, 2}, []float32{1, 2, 3, 4}),
	}
	tests := []struct {
		name     string
		spec     scoring.ModelSpec
		ct       string
		body     string
		want     []*flavors.Tensor
		rows     int
		columnar bool
		params   map[string]any
	}{
		// ColSpec double ×4 → one float32 [-1, 4] input, in every format.
		{"stacked/split", stackedSpec(), "application/json", splitIris, stacked, 2, true, nil},
		{"stacked/split reordered+extra+index", stackedSpec(), "application/json",
			`{"dataframe_split": {"index": [7, 8], "columns": ["x", "petal_width", "petal_length", "sepal_width", "sepal_length"], "data": [[0, 0.2, 1.4, 3.5, 5.1], [0, 2.3, 5.7, 3.2, 6.9]]}}`,
			stacked, 2, true, nil},
		{"stacked/records", stackedSpec(), "application/json", recordsIris, stacked, 2, true, nil},
		{"stacked/instances records", stackedSpec(), "application/json",
			strings.Replace(recordsIris, "dataframe_records", "instances", 1), stacked, 2, true, nil},
		{"stacked/inputs records", stackedSpec(), "application/json",
			strings.Replace(recordsIris, "dataframe_records", "inputs", 1), stacked, 2, true, nil},
		{"stacked/inputs columns", stackedSpec(), "application/json",
			`{"inputs": {"sepal_length": [5.1, 6.9], "sepal_width": [3.5, 3.2], "petal_length": [1.4, 5.7], "petal_width": [0.2, 2.3]}}`,
			stacked, 2, true, nil},
		{"stacked/instances columns", stackedSpec(), "application/json",
			`{"instances": {"sepal_length": [5.1, 6.9], "sepal_width": [3.5, 3.2], "petal_length": [1.4, 5.7], "petal_width": [0.2, 2.3]}}`,
			stacked, 2, true, nil},
		{"stacked/inputs scalars one row", stackedSpec(), "application/json",
			`{"inputs": {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}}`,
			[]*flavors.Tensor{tensor("float_input", flavors.Float32, []int64{1, 4}, irisRows32[:4])}, 1, true, nil},
		{"stacked/csv", stackedSpec(), "text/csv", csvIris, stacked, 2, true, nil},
		{"stacked/csv charset", stackedSpec(), "text/csv; charset=UTF-8", csvIris, stacked, 2, true, nil},
		{"stacked/coercion", stackedSpec(), "application/json",
			`{"dataframe_split": {"columns": ["sepal_length", "sepal_width", "petal_length", "petal_width"], "data": [["5.1", 3, true, false]]}}`,
			[]*flavors.Tensor{tensor("float_input", flavors.Float32, []int64{1, 4}, []float32{5.1, 3, 1, 0})}, 1, true, nil},
		{"stacked/unknown top-level key ignored", stackedSpec(), "application/json",
			strings.TrimSuffix(splitIris, "}") + `, "extra": 1}`, stacked, 2, true, nil},
		// ColSpec double ×4 → four inputs of the same names.
		{"separate/split", separateSpec(), "application/json", splitIris, separate, 2, true, nil},
		{"separate/records", separateSpec(), "application/json", recordsIris, separate, 2, true, nil},
		{"separate/csv", separateSpec(), "text/csv", csvIris, separate, 2, true, nil},
		// An unnamed tensor [-1, 4].
		{"unnamed/inputs", tensorSpec(), "application/json", `{"inputs": [[5.1, 3.5, 1.4, 0.2], [6.9, 3.2, 5.7, 2.3]]}`, unnamed, 2, false, nil},
		{"unnamed/instances", tensorSpec(), "application/json", `{"instances": [[5.1, 3.5, 1.4, 0.2], [6.9, 3.2, 5.7, 2.3]]}`, unnamed, 2, false, nil},
		{"unnamed/split columns ignored", tensorSpec(), "application/json",
			`{"dataframe_split": {"columns": ["a", "b", "c", "d"], "data": [[5.1, 3.5, 1.4, 0.2], [6.9, 3.2, 5.7, 2.3]]}}`, unnamed, 2, true, nil},
		{"unnamed/records key order", tensorSpec(), "application/json",
			`{"dataframe_records": [{"z": 5.1, "y": 3.5, "x": 1.4, "w": 0.2}, {"w": 2.3, "x": 5.7, "y": 3.2, "z": 6.9}]}`, unnamed, 2, true, nil},
		// Named tensors.
		{"named/inputs dict", namedTensorSpec(), "application/json", `{"inputs": {"a": [[1, 2], [3, 4]], "b": [7, 8], "c": "ignored"}}`, named, 2, false, nil},
		{"named/instances rows", namedTensorSpec(), "application/json", `{"instances": [{"a": [1, 2], "b": 7}, {"a": [3, 4], "b": 8}]}`, named, 2, false, nil},
		{"named/split by name", namedTensorSpec(), "application/json", `{"dataframe_split": {"columns": ["b", "a"], "data": [[7, [1, 2]], [8, [3, 4]]]}}`, named, 2, true, nil},
		{"named/integral float to int64", namedTensorSpec(), "application/json", `{"inputs": {"a": [[1, 2], [3, 4]], "b": [7.0, "8"]}}`, named, 2, false, nil},
		// String, long and optional boolean columns.
		{"text/records", textSpec(), "application/json",
			`{"dataframe_records": [{"text": "héllo \"x\"\n", "n": 1, "flag": true}, {"text": "", "n": "2"}]}`,
			[]*flavors.Tensor{
				tensor("text", flavors.String, []int64{2, 1}, []string{"héllo \"x\"\n", ""}),
				tensor("n", flavors.Int64, []int64{2}, []int64{1, 2}),
				tensor("flag", flavors.Bool, []int64{2}, []bool{true, false}),
			}, 2, true, nil},
		{"text/csv", textSpec(), "text/csv", "n,text,flag\n1,\"a,b\",True\n2,,0\n",
			[]*flavors.Tensor{
				tensor("text", flavors.String, []int64{2, 1}, []string{"a,b", ""}),
				tensor("n", flavors.Int64, []int64{2}, []int64{1, 2}),
				tensor("flag", flavors.Bool, []int64{2}, []bool{true, false}),
			}, 2, true, nil},
		// No signature: the model's inputs are the schema.
		{"nosig/inputs list", noSigSpec(), "application/json", `{"inputs": [[1, 2, 3]]}`,
			[]*flavors.Tensor{tensor("x", flavors.Float32, []int64{1, 3}, []float32{1, 2, 3})}, 1, false, nil},
		{"nosig/inputs dict", noSigSpec(), "application/json", `{"inputs": {"x": [[1, 2, 3]]}}`,
			[]*flavors.Tensor{tensor("x", flavors.Float32, []int64{1, 3}, []float32{1, 2, 3})}, 1, false, nil},
		{"nosig/split positional", noSigSpec(), "application/json", `{"dataframe_split": {"columns": ["p", "q", "r"], "data": [[1, 2, 3]]}}`,
			[]*flavors.Tensor{tensor("x", flavors.Float32, []int64{1, 3}, []float32{1, 2, 3})}, 1, true, nil},
		{"nosig/csv positional", noSigSpec(), "text/csv", "p,q,r\n1,2,3\n",
			[]*flavors.Tensor{tensor("x", flavors.Float32, []int64{1, 3}, []float32{1, 2, 3})}, 1, true, nil},
		{"nosig/multi inputs dict", noSigMultiSpec(), "application/json", `{"inputs": {"x": [[1, 2]], "ids": [5]}}`,
			[]*flavors.Tensor{
				tensor("x", flavors.Float32, []int64{1, 2}, []float32{1, 2}),
				tensor("ids", flavors.Int32, []int64{1}, []int32{5}),
			}, 1, false, nil},
		// Params with specs: converted, defaults filled, unknown ignored.
		{"params/given", paramSpec(), "application/json",
			strings.TrimSuffix(splitIris, "}") + `, "params": {"temperature": 1, "stop": ["a", "b"], "unknown": {}}}`,
			[]*flavors.Tensor{tensor("input", flavors.Float64, []int64{2, 4}, irisRows64)}, 2, true,
			map[string]any{"temperature": 1.0, "top_k": int64(3), "stop": []string{"a", "b"}, "verbose": false}},
		{"params/defaults", paramSpec(), "application/json", splitIris,
			[]*flavors.Tensor{tensor("input", flavors.Float64, []int64{2, 4}, irisRows64)}, 2, true,
			map[string]any{"temperature": 0.5, "top_k": int64(3), "verbose": false}},
		{"params/ignored without specs", colspecSpec(), "application/json",
			strings.TrimSuffix(splitIris, "}") + `, "params": "x"}`,
			[]*flavors.Tensor{tensor("input", flavors.Float64, []int64{2, 4}, irisRows64)}, 2, true, nil},
		// An array column stacked beside a scalar one.
		{"array/records", arraySpec(), "application/json", `{"dataframe_records": [{"emb": [1, 2], "bias": 3}, {"bias": 6, "emb": [4, 5]}]}`,
			[]*flavors.Tensor{tensor("x", flavors.Float32, []int64{2, 3}, []float32{1, 2, 3, 4, 5, 6})}, 2, true, nil},
		{"array/inputs columns", arraySpec(), "application/json", `{"inputs": {"emb": [[1, 2], [4, 5]], "bias": [3, 6]}}`,
			[]*flavors.Tensor{tensor("x", flavors.Float32, []int64{2, 3}, []float32{1, 2, 3, 4, 5, 6})}, 2, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			format, err := scoring.ParseContentType(tt.ct)
			if err != nil {
				t.Fatal(err)
			}
			req, err := scoring.Decode(format, []byte(tt.body), tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range req.Inputs {
				if err := in.Validate(); err != nil {
					t.Error(err)
				}
			}
			if !reflect.DeepEqual(req.Inputs, tt.want) {
				t.Errorf("inputs:\n got %s\nwant %s", dump(req.Inputs), dump(tt.want))
			}
			if req.Rows != tt.rows || req.Columnar != tt.columnar {
				t.Errorf("rows %d columnar %v, want %d %v", req.Rows, req.Columnar, tt.rows, tt.columnar)
			}
			if !reflect.DeepEqual(req.Params, tt.params) {
				t.Errorf("params %#v, want %#v", req.Params, tt.params)
			}
		})
	}
}

func dump(ts []*flavors.Tensor) string {
	var b strings.Builder
	for _, t := range ts {
		if t == nil {
			b.WriteString("<nil> ")
			continue
		}
		b.WriteString(t.Name + " " + string(t.DType) + " " + strings.Trim(strings.ReplaceAll(
			strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(
				stringOf(t.Shape), "\n", ""), "  ", " ")), " ", ","), "") + " " + stringOf(t.Data) + "; ")
	}
	return b.String()
}

func stringOf(v any) string { return strings.TrimSpace(strings.ReplaceAll(fmtV(v), "\n", " ")) }

func TestDecodeOptionalColumns(t *testing.T) {
	req, err := scoring.Decode(scoring.FormatJSON, []byte(`{"dataframe_records": [{"a": 1, "c": 2}, {"a": 3, "b": null, "c": 4}, {"a": 5, "b": 6, "c": 7}]}`), optionalSpec())
	if err != nil {
		t.Fatal(err)
	}
	got := req.Inputs[0].Data.([]float64)
	want := []float64{1, math.NaN(), 2, 3, math.NaN(), 4, 5, 6, 7}
	for i := range want {
		if got[i] != want[i] && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
			t.Fatalf("got %v, want %v (absent optional values are NaN)", got, want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	const (
		bad     = scoring.CodeBadRequest
		invalid = scoring.CodeInvalidParameterValue
		media   = "415"
	)
	split := func(cols, data string) string {
		return `{"dataframe_split": {"columns": ` + cols + `, "data": ` + data + `}}`
	}
	iris := `["sepal_length", "sepal_width", "petal_length", "petal_width"]`
	tests := []struct {
		name string
		spec scoring.ModelSpec
		ct   string
		body string
		code string
		msg  []string // each must appear in the message
	}{
		// Content type.
		{"no content type", stackedSpec(), "", splitIris, media, []string{"only supports", "Got ''"}},
		{"wrong content type", stackedSpec(), "text/plain", splitIris, media, []string{"only supports", "text/plain"}},
		{"upper-case content type", stackedSpec(), "APPLICATION/JSON", splitIris, media, []string{"APPLICATION/JSON"}},
		{"wrong charset", stackedSpec(), "application/json; charset=latin-1", splitIris, media, []string{"UTF-8"}},
		{"format parameter", stackedSpec(), "application/json; format=pandas-split", splitIris, media, []string{"parameters: format", "2.0"}},
		// The envelope.
		{"empty body", stackedSpec(), "application/json", "", bad, []string{"valid JSON", "offset 0"}},
		{"blank body", stackedSpec(), "application/json", " \n", bad, []string{"valid JSON"}},
		{"invalid JSON", stackedSpec(), "application/json", "{not json", bad, []string{"valid JSON", "offset 1"}},
		{"trailing garbage", stackedSpec(), "application/json", splitIris + "x", bad, []string{"extra data"}},
		{"truncated", stackedSpec(), "application/json", splitIris[:60], bad, []string{"valid JSON"}},
		{"invalid UTF-8", stackedSpec(), "application/json", "{\"inputs\": [\"caf\xe9\"]}", bad, []string{"UTF-8", "0xE9", "offset 16"}},
		{"invalid UTF-8 csv", stackedSpec(), "text/csv", "a\n\xff\n", bad, []string{"UTF-8", "offset 2"}},
		// JSON is checked string by string as it is parsed: a body that is
		// not UTF-8 is still refused as such wherever the byte is, and
		// before any other problem, as when the whole body was checked first.
		{"invalid UTF-8 in a key", stackedSpec(), "application/json", "{\"inp\xffuts\": [[1, 2, 3, 4]]}", bad, []string{"UTF-8", "0xFF", "offset 5"}},
		{"invalid UTF-8 outside strings", stackedSpec(), "application/json", "{\"inputs\": [[1, 2, \xc3, 4]]}", bad, []string{"UTF-8", "0xC3", "offset 19"}},
		{"invalid UTF-8 after a syntax error", stackedSpec(), "application/json", "{\"inputs\": [[1,, \"\xe9\"]]}", bad, []string{"UTF-8", "0xE9", "offset 18"}},
		{"invalid UTF-8 after a string", stackedSpec(), "application/json", "{\"inputs\": [\"a\", 1], \"params\": \"\xe9\"}", bad, []string{"UTF-8", "0xE9", "offset 32"}},
		{"top-level list", stackedSpec(), "application/json", `[[5.1, 3.5, 1.4, 0.2]]`, bad, []string{"Received a list"}},
		{"top-level scalar", stackedSpec(), "application/json", `"hello"`, bad, []string{"unexpected input type"}},
		{"top-level number", stackedSpec(), "application/json", `42`, bad, []string{"unexpected input type"}},
		{"no input field", stackedSpec(), "application/json", `{"bad": 1}`, bad, []string{"exactly one of the input fields", "[]"}},
		{"empty object", stackedSpec(), "application/json", `{}`, bad, []string{"exactly one of the input fields"}},
		{"two input fields", stackedSpec(), "application/json", `{"inputs": [], "instances": []}`, bad, []string{"exactly one", "'inputs', 'instances'"}},
		{"legacy split", stackedSpec(), "application/json", `{"columns": ["a"], "data": [[1]]}`, bad, []string{"exactly one", "2.0"}},
		{"NaN token", stackedSpec(), "application/json", split(iris, `[[NaN, 3.5, 1.4, 0.2]]`), bad, []string{"NaN"}},
		{"Infinity token", stackedSpec(), "application/json", split(iris, `[[Infinity, 3.5, 1.4, 0.2]]`), bad, []string{"Infinity"}},
		{"-Infinity token", tensorSpec(), "application/json", `{"inputs": [[-Infinity, 1, 2, 3]]}`, bad, []string{"Infinity"}},
		{"deeply nested", tensorSpec(), "application/json", `{"inputs": ` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`, bad, []string{"nesting deeper than 64"}},
		{"control character in string", stackedSpec(), "application/json", "{\"inputs\": \"a\x01\"}", bad, []string{"control character"}},
		{"bad escape", stackedSpec(), "application/json", `{"inputs": "\x"}`, bad, []string{"escape"}},
		// dataframe_split.
		{"split not an object", stackedSpec(), "application/json", `{"dataframe_split": [1]}`, bad, []string{"dataframe_split"}},
		{"split without data", stackedSpec(), "application/json", `{"dataframe_split": {"columns": ["a"]}}`, bad, []string{"'data'", "Got {'columns'}"}},
		{"split unknown key", stackedSpec(), "application/json", `{"dataframe_split": {"data": [[1]], "dtype": 1}}`, bad, []string{"'dtype'"}},
		{"split data not a list", stackedSpec(), "application/json", `{"dataframe_split": {"columns": ["a"], "data": 1}}`, bad, []string{"data must be a list"}},
		{"split empty data", stackedSpec(), "application/json", split(iris, `[]`), bad, []string{"empty"}},
		{"split empty data tensor", tensorSpec(), "application/json", split(iris, `[]`), bad, []string{"empty"}},
		{"split without columns", stackedSpec(), "application/json", `{"dataframe_split": {"data": [[5.1, 3.5, 1.4, 0.2]]}}`, invalid, []string{"missing inputs ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']"}},
		{"missing column", stackedSpec(), "application/json", split(`["sepal_length", "sepal_width", "petal_length"]`, `[[5.1, 3.5, 1.4]]`), invalid, []string{"missing inputs ['petal_width']"}},
		{"missing columns", separateSpec(), "application/json", split(`["sepal_width", "petal_length"]`, `[[3.5, 1.4]]`), invalid, []string{"missing inputs ['sepal_length', 'petal_width']"}},
		{"case-sensitive names", stackedSpec(), "application/json", split(`["SEPAL_LENGTH", "SEPAL_WIDTH", "PETAL_LENGTH", "PETAL_WIDTH"]`, `[[1, 2, 3, 4]]`), invalid, []string{"missing inputs"}},
		{"ragged rows", stackedSpec(), "application/json", split(iris, `[[5.1, 3.5, 1.4], [6.9, 3.2, 5.7, 2.3]]`), bad, []string{"data[0]", "3 values for 4 columns"}},
		{"ragged rows tensor", tensorSpec(), "application/json", `{"inputs": [[5.1, 3.5, 1.4, 0.2], [6.9, 3.2, 5.7]]}`, bad, []string{"[1]", "3 values", "ragged"}},
		{"row not a list", stackedSpec(), "application/json", split(iris, `[1]`), bad, []string{"data[0]"}},
		// Values.
		{"string in double column", stackedSpec(), "application/json", split(iris, `[["abc", 3.5, 1.4, 0.2]]`), bad, []string{"column sepal_length", "'float64'", `"abc"`}},
		{"null in double column", stackedSpec(), "application/json", split(iris, `[[5.1, null, 1.4, 0.2]]`), bad, []string{"sepal_width", "null"}},
		{"null in tensor", tensorSpec(), "application/json", `{"inputs": [[5.1, 3.5, null, 0.2]]}`, bad, []string{"null", "[0][2]"}},
		{"list in double column", stackedSpec(), "application/json", split(iris, `[[[1], 3.5, 1.4, 0.2]]`), bad, []string{"sepal_length", "list"}},
		{"object in tensor", tensorSpec(), "application/json", `{"inputs": [[{}, 3.5, 1.4, 0.2]]}`, bad, []string{"object"}},
		{"string in tensor", tensorSpec(), "application/json", `{"inputs": [["x", 3.5, 1.4, 0.2]]}`, bad, []string{"'float64'", `"x"`}},
		{"fraction in long column", textSpec(), "application/json", `{"dataframe_records": [{"text": "a", "n": 1.5}]}`, bad, []string{"column n", "1.5", "not an integer"}},
		{"overflow in int32 input", noSigMultiSpec(), "application/json", `{"inputs": {"x": [[1, 2]], "ids": [3000000000]}}`, bad, []string{"'ids'", "out of range"}},
		{"number in string column", textSpec(), "application/json", `{"dataframe_records": [{"text": 5, "n": 1}]}`, bad, []string{"column text", "expected a string"}},
		{"bad boolean", textSpec(), "application/json", `{"dataframe_records": [{"text": "a", "n": 1, "flag": "maybe"}]}`, bad, []string{"column flag", "maybe"}},
		{"non-numeric CSV cell", stackedSpec(), "text/csv", "sepal_length,sepal_width,petal_length,petal_width\nabc,3.5,1.4,0.2\n", bad, []string{"sepal_length", "abc"}},
		{"empty CSV cell", stackedSpec(), "text/csv", "sepal_length,sepal_width,petal_length,petal_width\n,3.5,1.4,0.2\n", bad, []string{"sepal_length", "empty"}},
		// dataframe_records.
		{"records empty", stackedSpec(), "application/json", `{"dataframe_records": []}`, invalid, []string{"missing inputs"}},
		{"records empty tensor", tensorSpec(), "application/json", `{"dataframe_records": []}`, invalid, []string{"empty"}},
		{"records not a list", stackedSpec(), "application/json", `{"dataframe_records": {"a": 1}}`, bad, []string{"dataframe_records"}},
		{"record not an object", stackedSpec(), "application/json", `{"dataframe_records": [{"sepal_length": 1}, 2]}`, bad, []string{"dataframe_records[1]"}},
		{"record missing a key", stackedSpec(), "application/json", `{"dataframe_records": [{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}, {"sepal_length": 6.9, "sepal_width": 3.2, "petal_length": 5.7}]}`, bad, []string{"dataframe_records[1]", "petal_width"}},
		{"tensor record with a new key", tensorSpec(), "application/json", `{"dataframe_records": [{"a": 1, "b": 2, "c": 3, "d": 4}, {"a": 1, "b": 2, "c": 3, "e": 4}]}`, bad, []string{"dataframe_records[1]", `"e"`}},
		// instances / inputs for a column-based signature.
		{"colspec instances lists", stackedSpec(), "application/json", `{"instances": [[5.1, 3.5, 1.4, 0.2]]}`, invalid, []string{"missing inputs"}},
		{"colspec inputs lists", stackedSpec(), "application/json", `{"inputs": [[5.1, 3.5, 1.4, 0.2]]}`, invalid, []string{"missing inputs"}},
		{"colspec inputs 1-D", stackedSpec(), "application/json", `{"inputs": [5.1, 3.5, 1.4, 0.2]}`, invalid, []string{"missing inputs"}},
		{"colspec inputs empty", stackedSpec(), "application/json", `{"inputs": []}`, invalid, []string{"missing inputs"}},
		{"colspec instances empty", stackedSpec(), "application/json", `{"instances": []}`, invalid, []string{"missing inputs"}},
		{"colspec columns of different lengths", stackedSpec(), "application/json", `{"inputs": {"sepal_length": [1, 2], "sepal_width": [1], "petal_length": [1, 2], "petal_width": [1, 2]}}`, bad, []string{"same length", "sepal_width"}},
		{"colspec CSV without header", stackedSpec(), "text/csv", "5.1,3.5,1.4,0.2\n6.9,3.2,5.7,2.3\n", invalid, []string{"missing inputs"}},
		{"CSV header only", stackedSpec(), "text/csv", "sepal_length,sepal_width,petal_length,petal_width\n", bad, []string{"no data rows"}},
		{"CSV empty", stackedSpec(), "text/csv", "", bad, []string{"empty"}},
		{"CSV ragged", stackedSpec(), "text/csv", "sepal_length,sepal_width,petal_length,petal_width\n1,2,3\n", bad, []string{"wrong number of fields"}},
		{"array column ragged", arraySpec(), "application/json", `{"dataframe_records": [{"emb": [1, 2], "bias": 3}, {"emb": [4], "bias": 6}]}`, bad, []string{"Column emb", "row 1", "list of 1"}},
		{"array column too wide", arraySpec(), "application/json", `{"dataframe_records": [{"emb": [1, 2, 3], "bias": 3}]}`, invalid, []string{"(1, 4)", "'x'", "(-1, 3)"}},
		// Tensor-based signatures.
		{"tensor CSV", tensorSpec(), "text/csv", csvIris, bad, []string{"CSV", "tensor-based"}},
		{"tensor inputs dict", tensorSpec(), "application/json", `{"inputs": {"x": [[5.1, 3.5, 1.4, 0.2]]}}`, bad, []string{"un-named", "single n-dimensional array"}},
		{"tensor instances records", tensorSpec(), "application/json", `{"instances": [{"a": 1}]}`, invalid, []string{"no input names", "instances"}},
		{"tensor inputs records", tensorSpec(), "application/json", `{"inputs": [{"a": 1}]}`, invalid, []string{"no input names", "inputs"}},
		{"tensor inputs empty", tensorSpec(), "application/json", `{"inputs": []}`, invalid, []string{"empty"}},
		{"tensor wrong inner shape", tensorSpec(), "application/json", `{"inputs": [[1.0, 2.0, 3.0]]}`, invalid, []string{"Shape of input (1, 3) does not match expected shape (-1, 4)"}},
		{"tensor 1-D row", tensorSpec(), "application/json", `{"inputs": [5.1, 3.5, 1.4, 0.2]}`, invalid, []string{"Shape of input (4,) does not match expected shape (-1, 4)"}},
		{"tensor 3-D", tensorSpec(), "application/json", `{"inputs": [[[5.1, 3.5, 1.4, 0.2]]]}`, invalid, []string{"(1, 1, 4)"}},
		{"tensor scalar", tensorSpec(), "application/json", `{"inputs": 5}`, invalid, []string{"Shape of input ()"}},
		{"tensor 5 columns", tensorSpec(), "application/json", split(`["a", "b", "c", "d", "e"]`, `[[1, 2, 3, 4, 5]]`), invalid, []string{"(1, 5)"}},
		{"tensor split row wider than columns", tensorSpec(), "application/json", split(`["a", "b", "c", "d"]`, `[[1, 2, 3, 4, 5]]`), bad, []string{"5 values for 4 columns"}},
		{"named missing input", namedTensorSpec(), "application/json", `{"inputs": {"a": [[1, 2]]}}`, invalid, []string{"missing inputs ['b']"}},
		{"named wrong shape", namedTensorSpec(), "application/json", `{"inputs": {"a": [[1, 2, 3]], "b": [1]}}`, invalid, []string{"'a'", "(1, 3)", "(-1, 2)"}},
		{"named plain list", namedTensorSpec(), "application/json", `{"inputs": [[1, 2]]}`, invalid, []string{"missing inputs ['a', 'b']"}},
		{"named instances ragged", namedTensorSpec(), "application/json", `{"instances": [{"a": [1, 2], "b": 1}, {"a": [1], "b": 2}]}`, bad, []string{"'a'", "row 1"}},
		{"named instance missing", namedTensorSpec(), "application/json", `{"instances": [{"a": [1, 2], "b": 1}, {"a": [1, 2]}]}`, bad, []string{"instances[1]", "'b'"}},
		{"nosig wrong width", noSigSpec(), "application/json", `{"inputs": [[1, 2]]}`, invalid, []string{"(1, 2)", "(-1, 3)"}},
		// Params with specs.
		{"param wrong type", paramSpec(), "application/json", strings.TrimSuffix(splitIris, "}") + `, "params": {"top_k": "many"}}`, invalid, []string{"'top_k'", "long", "many"}},
		{"param fraction for long", paramSpec(), "application/json", strings.TrimSuffix(splitIris, "}") + `, "params": {"top_k": 2.5}}`, invalid, []string{"'top_k'", "2.5"}},
		{"param list item", paramSpec(), "application/json", strings.TrimSuffix(splitIris, "}") + `, "params": {"stop": ["a", 1]}}`, invalid, []string{"'stop'", "item 1"}},
		{"params not an object", paramSpec(), "application/json", strings.TrimSuffix(splitIris, "}") + `, "params": "x"}`, invalid, []string{"params must be a JSON object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec, err := scoring.NewDecoder(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			format, err := scoring.ParseContentType(tt.ct)
			if err == nil {
				var req *scoring.Request
				req, err = dec.Decode(format, []byte(tt.body))
				if err == nil {
					t.Fatalf("decoded %s, want an error %s", dump(req.Inputs), tt.code)
				}
			}
			var msg string
			var me *scoring.MediaTypeError
			var se *scoring.Error
			switch {
			case tt.code == media:
				if !errors.As(err, &me) {
					t.Fatalf("got %T %v, want a *MediaTypeError", err, err)
				}
				msg = me.Msg
			case errors.As(err, &se):
				if se.Code != tt.code {
					t.Errorf("code %s, want %s (%s)", se.Code, tt.code, se.Message)
				}
				msg = se.Message
			default:
				t.Fatalf("got %T %v, want a *scoring.Error", err, err)
			}
			for _, m := range tt.msg {
				if !strings.Contains(msg, m) {
					t.Errorf("message %q does not contain %q", msg, m)
				}
			}
		})
	}
}

func TestNewDecoderRejects(t *testing.T) {
	tests := []struct {
		name string
		spec scoring.ModelSpec
		msg  string
	}{
		{"no inputs", scoring.ModelSpec{}, "no inputs"},
		{"column feeds no input", scoring.ModelSpec{
			Signature: &flavors.Signature{Inputs: colSchema(flavors.ColDouble, "a", "b", "z")},
			Inputs:    []flavors.TensorInfo{{Name: "a", DType: flavors.Float32}, {Name: "b", DType: flavors.Float32}},
		}, `"z" feeds no model input`},
		{"input fed by nothing", scoring.ModelSpec{
			Signature: &flavors.Signature{Inputs: colSchema(flavors.ColDouble, "a", "b")},
			Inputs:    []flavors.TensorInfo{{Name: "a", DType: flavors.Float32}, {Name: "b", DType: flavors.Float32}, {Name: "c", DType: flavors.Float32}},
		}, `"c" is fed by no signature input`},
		{"string column into float input", scoring.ModelSpec{
			Signature: &flavors.Signature{Inputs: colSchema(flavors.ColString, "a")},
			Inputs:    []flavors.TensorInfo{{Name: "a", DType: flavors.Float32, Shape: []int64{-1}}},
		}, "cannot feed"},
		{"stacked width", scoring.ModelSpec{
			Signature: &flavors.Signature{Inputs: colSchema(flavors.ColDouble, "a", "b")},
			Inputs:    []flavors.TensorInfo{{Name: "x", DType: flavors.Float32, Shape: []int64{-1, 4}}},
		}, "2 columns"},
		{"two unnamed tensors", scoring.ModelSpec{
			Signature: &flavors.Signature{Inputs: &flavors.Schema{Tensors: []flavors.TensorSpec{{DType: flavors.Float32}, {DType: flavors.Float32}}}},
			Inputs:    []flavors.TensorInfo{{Name: "x", DType: flavors.Float32}},
		}, "unnamed"},
		{"object column", scoring.ModelSpec{
			Signature: &flavors.Signature{Inputs: &flavors.Schema{Columns: []flavors.ColSpec{{Name: "o", Type: "object"}}}},
			Inputs:    []flavors.TensorInfo{{Name: "x", DType: flavors.Float32}},
		}, "object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scoring.NewDecoder(tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %v, want an error containing %q", err, tt.msg)
			}
		})
	}
}
