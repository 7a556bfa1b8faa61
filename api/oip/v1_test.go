package oip_test

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/berthml/berth/api/oip"
	"github.com/berthml/berth/flavors"
)

func TestDecodeV1Predict(t *testing.T) {
	two := []flavors.TensorInfo{
		{Name: "age", DType: flavors.Int64, Shape: []int64{-1, 1}},
		{Name: "city", DType: flavors.String, Shape: []int64{-1}},
	}
	tests := []struct {
		name  string
		body  string
		model []flavors.TensorInfo
		want  []*flavors.Tensor
	}{
		{"single input rows", `{"instances":[[1,2,3,4],[5,6,7,8.5]]}`, fp32Model,
			[]*flavors.Tensor{{Name: "x", DType: flavors.Float32, Shape: []int64{2, 4}, Data: []float32{1, 2, 3, 4, 5, 6, 7, 8.5}}}},
		{"inputs alias", `{"inputs":[[1,2,3,4]]}`, fp32Model,
			[]*flavors.Tensor{{Name: "x", DType: flavors.Float32, Shape: []int64{1, 4}, Data: []float32{1, 2, 3, 4}}}},
		{"scalar rows", `{"instances":["a","b"]}`, info(flavors.String, -1),
			[]*flavors.Tensor{{Name: "x", DType: flavors.String, Shape: []int64{2}, Data: []string{"a", "b"}}}},
		{"rank 3 rows", `{"instances":[[[1,2],[3,4]]]}`, info(flavors.Uint8, -1, 2, 2),
			[]*flavors.Tensor{{Name: "x", DType: flavors.Uint8, Shape: []int64{1, 2, 2}, Data: []uint8{1, 2, 3, 4}}}},
		{"object rows for one input", `{"instances":[{"x":[1,2,3,4]}]}`, fp32Model,
			[]*flavors.Tensor{{Name: "x", DType: flavors.Float32, Shape: []int64{1, 4}, Data: []float32{1, 2, 3, 4}}}},
		{"object rows", `{"signature_name":"s","instances":[{"city":"Oslo","age":[30]},{"age":[41],"city":"Lima"}]}`, two,
			[]*flavors.Tensor{
				{Name: "age", DType: flavors.Int64, Shape: []int64{2, 1}, Data: []int64{30, 41}},
				{Name: "city", DType: flavors.String, Shape: []int64{2}, Data: []string{"Oslo", "Lima"}},
			}},
		{"columnar inputs", `{"inputs":{"city":["Oslo"],"age":[[30]]}}`, two,
			[]*flavors.Tensor{
				{Name: "age", DType: flavors.Int64, Shape: []int64{1, 1}, Data: []int64{30}},
				{Name: "city", DType: flavors.String, Shape: []int64{1}, Data: []string{"Oslo"}},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := oip.DecodeV1Predict([]byte(tt.body), tt.model)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeV1PredictErrors(t *testing.T) {
	two := []flavors.TensorInfo{
		{Name: "a", DType: flavors.Float32, Shape: []int64{-1}},
		{Name: "b", DType: flavors.Float32, Shape: []int64{-1}},
	}
	tests := []struct {
		name  string
		body  string
		model []flavors.TensorInfo
		want  string
	}{
		{"not an object", `[1]`, fp32Model, `must be a JSON object with "instances"`},
		{"no instances", `{"rows":[]}`, fp32Model, `request has no "instances"`},
		{"both keys", `{"instances":[[1,2,3,4]],"inputs":[[1,2,3,4]]}`, fp32Model, `both "instances" and "inputs"`},
		{"instances not an array", `{"instances":5}`, fp32Model, `"instances" must be an array of rows`},
		{"instances an object", `{"instances":{"x":1}}`, fp32Model, `"instances" must be an array of rows`},
		{"empty", `{"instances":[]}`, fp32Model, `"instances" is empty`},
		{"ragged", `{"instances":[[1,2,3,4],[1,2,3]]}`, fp32Model, "dimension 1 has 3 entries"},
		{"wrong width", `{"instances":[[1,2,3]]}`, fp32Model, "the model takes [?,4]"},
		{"wrong rank", `{"instances":[1,2,3,4]}`, fp32Model, "has rank 1, the model takes rank 2"},
		{"string for float", `{"instances":[["a",2,3,4]]}`, fp32Model, "expected a number, found a string"},
		{"fraction for int", `{"instances":[1.5]}`, info(flavors.Int32, -1), "1.5 is not an integer"},
		{"rows for several inputs", `{"instances":[1,2]}`, two, `the model takes 2 inputs ("a", "b")`},
		{"missing input in row", `{"instances":[{"a":1,"b":2},{"a":1}]}`, two, `instances[1]: missing input "b"`},
		{"unknown input in row", `{"instances":[{"a":1,"c":2}]}`, two, `instances[0]: unknown input "c"`},
		{"input twice in row", `{"instances":[{"a":1,"a":2}]}`, two, `instances[0]: input "a" is given twice`},
		{"row not an object", `{"instances":[{"a":1,"b":2},3]}`, two, "instances[1] must be an object"},
		{"row shapes differ", `{"instances":[{"a":1,"b":2},{"a":[1],"b":2}]}`, two, `input "a": row 1`},
		{"columnar missing", `{"inputs":{"a":[1]}}`, two, `missing input "b"`},
		{"NaN", `{"instances":[[NaN,1,2,3]]}`, fp32Model, "malformed JSON"},
		{"trailing", `{"instances":[[1,2,3,4]]}]`, fp32Model, "after the request object"},
		{"deep", `{"instances":` + strings.Repeat("[", 80) + strings.Repeat("]", 80) + `}`, fp32Model, "nested deeper than 64"},
		{"invalid UTF-8", "{\"instances\":[\"\xc3\"]}", info(flavors.String, -1), "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := oip.DecodeV1Predict([]byte(tt.body), tt.model)
			var e *oip.Error
			if !errors.As(err, &e) {
				t.Fatalf("error = %v, want *oip.Error containing %q", err, tt.want)
			}
			if !strings.Contains(e.Msg, tt.want) {
				t.Errorf("error = %q, want it to contain %q", e.Msg, tt.want)
			}
		})
	}
}

func TestEncodeV1Predict(t *testing.T) {
	label := &flavors.Tensor{Name: "label", DType: flavors.Int64, Shape: []int64{2}, Data: []int64{1, 0}}
	prob := &flavors.Tensor{Name: "probabilities", DType: flavors.Map, Shape: []int64{2}, Data: []map[string]float32{{"0": 0.25, "1": 0.75}, {"0": 1, "1": 0}}}
	emb := &flavors.Tensor{Name: "emb", DType: flavors.Float32, Shape: []int64{2, 2, 1}, Data: []float32{1, 2, 3, float32(math.NaN())}}
	tests := []struct {
		name    string
		outputs []*flavors.Tensor
		want    string
	}{
		{"none", nil, `{"predictions":[]}`},
		{"one output", []*flavors.Tensor{label}, `{"predictions":[1,0]}`},
		{"one nested output", []*flavors.Tensor{emb}, `{"predictions":[[[1.0],[2.0]],[[3.0],[null]]]}`},
		{"scalar", []*flavors.Tensor{{Name: "s", DType: flavors.Bool, Shape: []int64{}, Data: []bool{true}}}, `{"predictions":[true]}`},
		{"several outputs", []*flavors.Tensor{label, prob, emb},
			`{"predictions":[{"label":1,"probabilities":{"0":0.25,"1":0.75},"emb":[[1.0],[2.0]]},{"label":0,"probabilities":{"0":1.0,"1":0.0},"emb":[[3.0],[null]]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := oip.EncodeV1Predict(tt.outputs)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	short := &flavors.Tensor{Name: "short", DType: flavors.Int64, Shape: []int64{1}, Data: []int64{1}}
	if _, err := oip.EncodeV1Predict([]*flavors.Tensor{label, short}); err == nil {
		t.Error("want an error for outputs with different row counts")
	}
}
