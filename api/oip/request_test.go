package oip_test

import (
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/berthml/berth/api/oip"
	"github.com/berthml/berth/flavors"
)

var fp32Model = []flavors.TensorInfo{{Name: "x", DType: flavors.Float32, Shape: []int64{-1, 4}}}

func info(dt flavors.DType, shape ...int64) []flavors.TensorInfo {
	return []flavors.TensorInfo{{Name: "x", DType: dt, Shape: shape}}
}

// le4 is a little-endian uint32.
func le4(v uint32) string {
	return string([]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)})
}

func TestDecodeInferRequestErrors(t *testing.T) {
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	x := func(rest string) string { return `{"inputs":[{"name":"x",` + rest + `}]}` }
	fp := func(shape, data string) string { return x(`"datatype":"FP32","shape":` + shape + `,"data":` + data) }
	bin := func(params string) string {
		return x(`"datatype":"FP32","shape":[1,4],"parameters":` + params)
	}
	tests := []struct {
		name      string
		body      string
		headerLen string
		model     []flavors.TensorInfo
		want      string
	}{
		{"not JSON", `nope`, "", nil, "request must be a JSON object"},
		{"truncated", `{"inputs":[`, "", nil, "malformed JSON"},
		{"trailing garbage", fp(`[1,4]`, `[1,2,3,4]`) + ` x`, "", nil, "after the request object"},
		{"invalid UTF-8", "{\"id\":\"\xff\"}", "", nil, "not valid UTF-8"},
		{"NaN token", fp(`[1,4]`, `[NaN,2,3,4]`), "", nil, `data element 0: expected a number, found 'N'`},
		{"Infinity token", fp(`[1,4]`, `[1,-Infinity,3,4]`), "", nil, `data element 1: expected a number, found "-I"`},
		{"NaN outside data", `{"parameters":{"p":NaN}}`, "", nil, `expected a value, found 'N'`},
		{"unbalanced data", fp(`[1,4]`, `[1,2,3,4}`), "", nil, "expected ',' or ']', found '}'"},
		{"unterminated data", `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,3,4`, "", nil, "unterminated array"},
		{"leading zero", fp(`[1,4]`, `[01,2,3,4]`), "", nil, "expected ',' or ']'"},
		{"nesting too deep", `{"parameters":{"p":` + deep + `}}`, "", nil, "nested deeper than 64"},
		{"nesting too deep in unknown key", `{"extra":` + deep + `}`, "", nil, "nested deeper than 64"},
		{"control character in string", "{\"id\":\"a\x01\"}", "", nil, "control character"},
		{"bad escape", `{"id":"\q"}`, "", nil, `bad escape`},
		// Skipped values are checked as strictly as read ones (issue 15:
		// the old skipper passed any escape in an unknown key's string).
		{"bad escape in unknown key", `{"extra":"\q"}`, "", nil, `malformed JSON at byte 12: bad escape \q`},
		{"bad \\u escape in unknown key", `{"extra":["\u12"]}`, "", nil, `malformed JSON at byte 13: bad \u escape`},
		{"bad escape: offset after the letter", `{"id":"ab\q"}`, "", nil, `malformed JSON at byte 11: bad escape \q`},
		{"id not a string", `{"id":42}`, "", nil, "expected a string"},
		{"parameters not an object", `{"parameters":[1]}`, "", nil, "parameters must be an object"},
		{"missing input", `{"inputs":[]}`, "", nil, `missing input "x"`},
		{"no inputs key", `{}`, "", nil, `missing input "x"`},
		{"unknown input", `{"inputs":[{"name":"y","datatype":"FP32","shape":[1],"data":[1]}]}`, "", nil, `unknown input "y": the model takes "x"`},
		{"input twice", `{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]},{"name":"x","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]}`, "", nil, `input "x" is given twice`},
		{"input without name", `{"inputs":[{"datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]}`, "", nil, "input 0 has no name"},
		{"map model input", x(`"datatype":"BYTES","shape":[1],"data":["{}"]`), "", info(flavors.Map, -1), "the model's dtype map has no protocol datatype"},
		{"no datatype", x(`"shape":[1,4],"data":[1,2,3,4]`), "", nil, `input "x" has no datatype`},
		{"unknown datatype", x(`"datatype":"FP8","shape":[1,4],"data":[1,2,3,4]`), "", nil, `datatype "FP8" is not one of`},
		{"lower-case datatype", x(`"datatype":"fp32","shape":[1,4],"data":[1,2,3,4]`), "", nil, `datatype "fp32" is not one of`},
		{"datatype mismatch", x(`"datatype":"FP64","shape":[1,4],"data":[1,2,3,4]`), "", nil, `input "x": datatype FP64 does not match the model's FP32`},
		{"no shape", x(`"datatype":"FP32","data":[1,2,3,4]`), "", nil, `input "x" has no shape`},
		{"negative dimension", fp(`[-1,4]`, `[1,2,3,4]`), "", nil, "shape dimension -1 is not a non-negative integer"},
		{"fractional dimension", fp(`[1.5,4]`, `[1,2,3,4]`), "", nil, "shape dimension 1.5 is not a non-negative integer"},
		{"string dimension", fp(`["1",4]`, `[1,2,3,4]`), "", nil, "shape must hold integers"},
		{"shape too long", fp(`[`+strings.Repeat("1,", 70)+`1]`, `[1]`), "", nil, "more than 64 dimensions"},
		{"rank mismatch", fp(`[4]`, `[1,2,3,4]`), "", nil, `shape [4] has rank 1, the model takes rank 2 [?,4]`},
		{"fixed dimension mismatch", fp(`[1,3]`, `[1,2,3]`), "", nil, `shape [1 3], the model takes [?,4]`},
		{"flat data too short", fp(`[1,4]`, `[1,2,3]`), "", nil, "has 3 elements, shape [1 4] needs 4"},
		{"flat data too long", fp(`[1,4]`, `[1,2,3,4,5]`), "", nil, "has more than the 4 elements"},
		{"empty data", fp(`[1,4]`, `[]`), "", nil, "holds more elements than its data"},
		{"empty data, small shape", x(`"datatype":"FP32","shape":[2],"data":[ ]`), "", info(flavors.Float32, -1), "has 0 elements, shape [2] needs 2"},
		{"data not an array", fp(`[1,4]`, `{"a":1}`), "", nil, "expected an array"},
		{"nested ragged", fp(`[2,4]`, `[[1,2,3,4],[5,6,7]]`), "", nil, "dimension 1 has 3 entries"},
		{"nested too many rows", fp(`[1,4]`, `[[1,2,3,4],[5,6,7,8]]`), "", nil, "dimension 0 has more than 1 entries"},
		{"nested deeper than shape", fp(`[1,4]`, `[[[1],[2],[3],[4]]]`), "", nil, "expected a number, found an array"},
		{"nested mixed with scalars", fp(`[2,4]`, `[[1,2,3,4],5]`), "", nil, "dimension 1: expected an array"},
		{"shape larger than data", fp(`[1000000000000,4]`, `[1,2,3,4]`), "", nil, "holds more elements than its data"},
		{"shape overflows int64", fp(`[4611686018427387904,4]`, `[1,2,3,4]`), "", nil, "holds more elements"},
		{"300 into UINT8", x(`"datatype":"UINT8","shape":[1],"data":[300]`), "", info(flavors.Uint8, -1), "300 is out of range"},
		{"-1 into UINT32", x(`"datatype":"UINT32","shape":[1],"data":[-1]`), "", info(flavors.Uint32, -1), "-1 is out of range"},
		{"1.5 into INT32", x(`"datatype":"INT32","shape":[1],"data":[1.5]`), "", info(flavors.Int32, -1), "1.5 is not an integer"},
		{"2^63 into INT64", x(`"datatype":"INT64","shape":[1],"data":[9223372036854775808]`), "", info(flavors.Int64, -1), "out of range"},
		{"1e300 into INT64", x(`"datatype":"INT64","shape":[1],"data":[1e300]`), "", info(flavors.Int64, -1), "out of range"},
		{"string into FP32", fp(`[1,4]`, `["1",2,3,4]`), "", nil, `element 0: expected a number, found a string`},
		{"1e39 into FP32", fp(`[1,4]`, `[1e39,2,3,4]`), "", nil, "1e39 is out of range"},
		{"70000 into FP16", x(`"datatype":"FP16","shape":[1],"data":[70000]`), "", info(flavors.Float16, -1), "70000 is out of range"},
		{"1e309 into FP64", x(`"datatype":"FP64","shape":[1],"data":[1e309]`), "", info(flavors.Float64, -1), "out of range"},
		{"null into FP32", fp(`[1,4]`, `[null,2,3,4]`), "", nil, "expected a number, found null"},
		{"boolean into INT64", x(`"datatype":"INT64","shape":[1],"data":[true]`), "", info(flavors.Int64, -1), "expected an integer, found a boolean"},
		{"number into BOOL", x(`"datatype":"BOOL","shape":[1],"data":[1]`), "", info(flavors.Bool, -1), "expected true or false, found a number"},
		{"number into BYTES", x(`"datatype":"BYTES","shape":[1],"data":[1]`), "", info(flavors.String, -1), "expected a string, found a number"},
		{"no data", x(`"datatype":"FP32","shape":[1,4]`), "", nil, `has neither "data" nor binary_data_size`},
		{"null data", fp(`[1,4]`, `null`), "", nil, `has neither "data" nor binary_data_size`},
		{"output without name", fp(`[1,4]`, `[1,2,3,4]`)[:len(fp(`[1,4]`, `[1,2,3,4]`))-1] + `,"outputs":[{}]}`, "", nil, "requested output 0 has no name"},
		{"output twice", `{"outputs":[{"name":"y"},{"name":"y"}]}`, "", nil, `output "y" is requested twice`},
		{"binary_data not a boolean", `{"outputs":[{"name":"y","parameters":{"binary_data":"yes"}}]}`, "", nil, "binary_data must be a boolean"},
		{"binary_data_output not a boolean", `{"parameters":{"binary_data_output":1}}`, "", nil, "binary_data_output must be a boolean"},

		// Binary data extension.
		{"header length not a number", `{}`, "abc", nil, `Inference-Header-Content-Length "abc" is not a non-negative integer`},
		{"header length negative", `{}`, "-1", nil, "is not a non-negative integer"},
		{"header length with sign", `{}`, "+2", nil, ""},
		{"header length larger than body", `{}`, "3", nil, "3 is larger than the body (2 bytes)"},
		{"binary_data_size without header", bin(`{"binary_data_size":16}`), "", nil, "binary_data_size needs the Inference-Header-Content-Length header"},
		{"binary_data_size negative", bin(`{"binary_data_size":-16}`), "", nil, "binary_data_size must be a non-negative integer"},
		{"binary_data_size fractional", bin(`{"binary_data_size":1.5}`), "", nil, "binary_data_size must be a non-negative integer"},
		{"binary_data_size a string", bin(`{"binary_data_size":"16"}`), "", nil, "binary_data_size must be a non-negative integer"},
		{"binary and data both", x(`"datatype":"FP32","shape":[1,4],"data":[1,2,3,4],"parameters":{"binary_data_size":16}`) + strings.Repeat("\x00", 16), "", nil, `has both "data" and binary_data_size`},
		{"binary size disagrees with shape", bin(`{"binary_data_size":12}`) + strings.Repeat("\x00", 12), "-", nil, "binary_data_size is 12 bytes, but 4 FP32 elements take 16"},
		{"binary runs past the body", bin(`{"binary_data_size":16}`) + strings.Repeat("\x00", 8), "-", nil, "runs past the end of the body (8 bytes left)"},
		{"trailing bytes", bin(`{"binary_data_size":16}`) + strings.Repeat("\x00", 20), "-", nil, "4 bytes after the JSON header are not claimed"},
		{"bytes but no binary input", fp(`[1,4]`, `[1,2,3,4]`) + "xx", "-", nil, "2 bytes after the JSON header are not claimed"},
		{"BOOL byte not 0 or 1", x(`"datatype":"BOOL","shape":[2],"parameters":{"binary_data_size":2}`) + "\x01\x02", "-", info(flavors.Bool, -1), "BOOL element 1 is byte 2"},
		{"BYTES length past the tensor", x(`"datatype":"BYTES","shape":[1],"parameters":{"binary_data_size":6}`) + le4(5) + "ab", "-", info(flavors.String, -1), "length 5 runs past"},
		{"BYTES too few bytes for count", x(`"datatype":"BYTES","shape":[2],"parameters":{"binary_data_size":6}`) + le4(2) + "ab", "-", info(flavors.String, -1), "too small for 2 BYTES elements"},
		{"BYTES elements short of size", x(`"datatype":"BYTES","shape":[1],"parameters":{"binary_data_size":8}`) + le4(2) + "abcd", "-", info(flavors.String, -1), "the 1 BYTES elements take 6"},
		{"binary shape larger than size", x(`"datatype":"UINT8","shape":[100],"parameters":{"binary_data_size":4}`) + "abcd", "-", info(flavors.Uint8, -1), "holds more elements than binary_data_size 4 allows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model := tt.model
			if model == nil {
				model = fp32Model
			}
			hl := tt.headerLen
			if hl == "-" { // the JSON up to the end of its object
				hl = strconv.Itoa(strings.LastIndex(tt.body, "}") + 1)
			}
			req, err := oip.DecodeInferRequest([]byte(tt.body), hl, model)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("decoded %+v, want an error", req)
				}
				return
			}
			var e *oip.Error
			if !errors.As(err, &e) {
				t.Fatalf("error = %v (%T), want *oip.Error containing %q", err, err, tt.want)
			}
			if e.Kind != oip.KindInvalid {
				t.Errorf("kind = %v, want KindInvalid", e.Kind)
			}
			if !strings.Contains(e.Msg, tt.want) {
				t.Errorf("error = %q, want it to contain %q", e.Msg, tt.want)
			}
		})
	}
}

func TestDecodeInferRequestDatatypes(t *testing.T) {
	tests := []struct {
		datatype     string
		dtype        flavors.DType
		flat, nested string
		want         any
	}{
		{"BOOL", flavors.Bool, `[true,false,false,true]`, `[[true,false],[false,true]]`, []bool{true, false, false, true}},
		{"UINT8", flavors.Uint8, `[0,1,254,255]`, `[[0,1],[254,255]]`, []uint8{0, 1, 254, 255}},
		{"UINT16", flavors.Uint16, `[0,1,2,65535]`, `[[0,1],[2,65535]]`, []uint16{0, 1, 2, 65535}},
		{"UINT32", flavors.Uint32, `[0,1,2.0,4294967295]`, `[[0,1],[2,4294967295]]`, []uint32{0, 1, 2, 4294967295}},
		{"UINT64", flavors.Uint64, `[0,1,1e3,18446744073709551615]`, `[[0,1],[1000,18446744073709551615]]`, []uint64{0, 1, 1000, math.MaxUint64}},
		{"INT8", flavors.Int8, `[-128,-1,0,127]`, `[[-128,-1],[0,127]]`, []int8{-128, -1, 0, 127}},
		{"INT16", flavors.Int16, `[-32768,-1,0,32767]`, `[[-32768,-1],[0,32767]]`, []int16{-32768, -1, 0, 32767}},
		{"INT32", flavors.Int32, `[-2147483648,-1,-0,2147483647]`, `[[-2147483648,-1],[0,2147483647]]`, []int32{math.MinInt32, -1, 0, math.MaxInt32}},
		{"INT64", flavors.Int64, `[-9223372036854775808,-1,0,9223372036854775807]`, `[[-9223372036854775808,-1],[0,9223372036854775807]]`, []int64{math.MinInt64, -1, 0, math.MaxInt64}},
		{"FP16", flavors.Float16, `[0.5,-2,65504,1]`, `[[0.5,-2],[65504,1]]`, []float32{0.5, -2, 65504, 1}},
		{"BF16", flavors.BFloat16, `[0.5,-2,1e30,1]`, `[[0.5,-2],[1e30,1]]`, []float32{0.5, -2, 1e30, 1}},
		{"FP32", flavors.Float32, `[1,2.5,-3.25e2,0.1]`, `[[1,2.5],[-325,0.1]]`, []float32{1, 2.5, -325, 0.1}},
		{"FP64", flavors.Float64, `[1,2.5,-1e300,0.1]`, `[[1,2.5],[-1e300,0.1]]`, []float64{1, 2.5, -1e300, 0.1}},
		{"BYTES", flavors.String, `["a","\u00e9\n","",  "\ud83d\ude00"]`, `[["a","é\n"],["","😀"]]`, []string{"a", "é\n", "", "😀"}},
	}
	for _, tt := range tests {
		for _, form := range []string{"flat", "nested"} {
			t.Run(tt.datatype+"/"+form, func(t *testing.T) {
				data := tt.flat
				if form == "nested" {
					data = tt.nested
				}
				body := `{"id":"r1","inputs":[{"name":"x","shape":[2,2],"datatype":"` + tt.datatype + `","data":` + data + `}]}`
				req, err := oip.DecodeInferRequest([]byte(body), "", info(tt.dtype, -1, 2))
				if err != nil {
					t.Fatal(err)
				}
				want := &flavors.Tensor{Name: "x", DType: tt.dtype, Shape: []int64{2, 2}, Data: tt.want}
				if len(req.Inputs) != 1 || !reflect.DeepEqual(req.Inputs[0], want) {
					t.Errorf("got %+v, want %+v", req.Inputs[0], want)
				}
				if req.ID != "r1" {
					t.Errorf("id = %q", req.ID)
				}
			})
		}
	}
}

func TestDecodeInferRequestShapes(t *testing.T) {
	tests := []struct {
		name  string
		model []int64
		shape string
		data  string
		want  []float32
	}{
		{"scalar bare", []int64{}, `[]`, `7`, []float32{7}},
		{"scalar in a list", []int64{}, `[]`, `[7]`, []float32{7}},
		{"empty batch flat", []int64{-1, 2}, `[0,2]`, `[]`, []float32{}},
		{"empty rows nested", []int64{2, -1}, `[2,0]`, `[[],[]]`, []float32{}},
		{"rank 3 nested", []int64{-1, 2, 2}, `[1,2,2]`, `[[[1,2],[3,4]]]`, []float32{1, 2, 3, 4}},
		{"rank 3 flat", []int64{-1, 2, 2}, `[1,2,2]`, `[1,2,3,4]`, []float32{1, 2, 3, 4}},
		{"unknown model shape", nil, `[3]`, ` [ 1 , 2 , 3 ] `, []float32{1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"inputs":[{"name":"x","shape":` + tt.shape + `,"datatype":"FP32","data":` + tt.data + `}]}`
			req, err := oip.DecodeInferRequest([]byte(body), "", []flavors.TensorInfo{{Name: "x", DType: flavors.Float32, Shape: tt.model}})
			if err != nil {
				t.Fatal(err)
			}
			if got := req.Inputs[0].Data; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("data = %v, want %v", got, tt.want)
			}
			if err := req.Inputs[0].Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestDecodeInferRequestOutputsAndParameters(t *testing.T) {
	model := []flavors.TensorInfo{
		{Name: "a", DType: flavors.Int64, Shape: []int64{-1}},
		{Name: "b", DType: flavors.String, Shape: []int64{-1}},
	}
	body := `{"model_name":"m","id":"7","parameters":{"binary_data_output":true,"custom":"v","n":3},
		"inputs":[{"name":"b","shape":[1],"datatype":"BYTES","data":["z"]},{"name":"a","shape":[1],"datatype":"INT64","data":[1]}],
		"outputs":[{"name":"label","parameters":{"binary_data":false}},{"name":"prob"}]}`
	req, err := oip.DecodeInferRequest([]byte(body), "", model)
	if err != nil {
		t.Fatal(err)
	}
	if req.Inputs[0].Name != "a" || req.Inputs[1].Name != "b" {
		t.Errorf("inputs not in model order: %s, %s", req.Inputs[0].Name, req.Inputs[1].Name)
	}
	if !req.BinaryOutput || req.WantsBinary("label") || !req.WantsBinary("prob") || !req.WantsBinary("other") {
		t.Errorf("binary flags wrong: %+v", req)
	}
	if got := req.OutputNames(); !reflect.DeepEqual(got, []string{"label", "prob"}) {
		t.Errorf("OutputNames = %v", got)
	}
	if req.Parameters["custom"] != "v" || req.Parameters["n"] != any(jsonNumber("3")) {
		t.Errorf("parameters = %#v", req.Parameters)
	}
	err = req.CheckOutputs([]flavors.TensorInfo{{Name: "label"}})
	if err == nil || !strings.Contains(err.Error(), `unknown output "prob"`) {
		t.Errorf("CheckOutputs = %v", err)
	}
	if err := req.CheckOutputs([]flavors.TensorInfo{{Name: "label"}, {Name: "prob"}}); err != nil {
		t.Error(err)
	}
}
