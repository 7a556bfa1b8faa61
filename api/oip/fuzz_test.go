package oip_test

import (
	"errors"
	"reflect"
	"strconv"
	"testing"

	"github.com/berthml/berth/api/oip"
	"github.com/berthml/berth/flavors"
)

var fuzzModel = []flavors.TensorInfo{
	{Name: "x", DType: flavors.Float32, Shape: []int64{-1, 2}},
	{Name: "s", DType: flavors.String, Shape: []int64{-1}},
	{Name: "b", DType: flavors.Bool, Shape: nil},
}

func checkDecoded(t *testing.T, ts []*flavors.Tensor, err error) {
	t.Helper()
	if err != nil {
		var e *oip.Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v is %T, not *oip.Error", err, err)
		}
		return
	}
	for _, tt := range ts {
		if verr := tt.Validate(); verr != nil {
			t.Fatalf("decoded an invalid tensor: %v", verr)
		}
	}
}

func FuzzDecodeInferRequest(f *testing.F) {
	f.Add([]byte(`{"id":"1","inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]},{"name":"s","shape":[1],"datatype":"BYTES","data":["a"]},{"name":"b","shape":[],"datatype":"BOOL","data":true}]}`), "")
	f.Add([]byte(`{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[[1,2],[3,4]]},{"name":"s","shape":[0],"datatype":"BYTES","data":[]},{"name":"b","shape":[1,1],"datatype":"BOOL","data":[[false]]}],"outputs":[{"name":"y","parameters":{"binary_data":true}}]}`), "")
	for _, seed := range fuzzBinarySeeds(f) {
		f.Add(seed.body, seed.header)
	}
	f.Add([]byte(`{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","parameters":{"binary_data_size":8}}]}12345678`), "86")
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		req, err := oip.DecodeInferRequest(body, header, fuzzModel)
		var ts []*flavors.Tensor
		if err == nil {
			ts = req.Inputs
			if len(ts) != len(fuzzModel) {
				t.Fatalf("decoded %d inputs", len(ts))
			}
		}
		checkDecoded(t, ts, err)
		// Reading binary data in place changes nothing but where it lives.
		inPlace, perr := oip.DecodeInferRequestInPlace(body, header, fuzzModel)
		if (err == nil) != (perr == nil) || (err != nil && err.Error() != perr.Error()) {
			t.Fatalf("in place: error %v, copying: %v", perr, err)
		}
		if err == nil && !reflect.DeepEqual(inPlace, req) {
			t.Fatalf("in place decoded %+v, copying %+v", inPlace, req)
		}
	})
}

type seed struct {
	body   []byte
	header string
}

func fuzzBinarySeeds(f *testing.F) []seed {
	x := &flavors.Tensor{Name: "x", DType: flavors.Float32, Shape: []int64{2, 2}, Data: []float32{1, 2, 3, 4}}
	s := &flavors.Tensor{Name: "s", DType: flavors.String, Shape: []int64{2}, Data: []string{"ab", ""}}
	b := &flavors.Tensor{Name: "b", DType: flavors.Bool, Shape: []int64{3}, Data: []bool{true, false, true}}
	var seeds []seed
	for mask := range 8 {
		var inputs []oip.RequestInput
		for i, tt := range []*flavors.Tensor{x, s, b} {
			newInput := oip.NewInput
			if mask&(1<<i) != 0 {
				newInput = oip.NewBinaryInput
			}
			in, err := newInput(tt)
			if err != nil {
				f.Fatal(err)
			}
			inputs = append(inputs, in)
		}
		body, hl, err := oip.EncodeInferRequest(&oip.InferenceRequest{Inputs: inputs})
		if err != nil {
			f.Fatal(err)
		}
		h := ""
		if hl >= 0 {
			h = strconv.Itoa(hl)
		}
		seeds = append(seeds, seed{body, h})
	}
	return seeds
}

func FuzzDecodeV1(f *testing.F) {
	f.Add([]byte(`{"instances":[[1,2],[3,4]]}`), false)
	f.Add([]byte(`{"inputs":[[1.5,-2e3]]}`), false)
	f.Add([]byte(`{"instances":[{"x":[1,2],"s":"a"},{"x":[3,4],"s":"b"}]}`), true)
	f.Add([]byte(`{"inputs":{"x":[[1,2]],"s":["a"]}}`), true)
	single := []flavors.TensorInfo{{Name: "x", DType: flavors.Float32, Shape: []int64{-1, 2}}}
	multi := []flavors.TensorInfo{
		{Name: "x", DType: flavors.Int64, Shape: []int64{-1, -1}},
		{Name: "s", DType: flavors.String, Shape: []int64{-1}},
	}
	f.Fuzz(func(t *testing.T, body []byte, many bool) {
		model := single
		if many {
			model = multi
		}
		ts, err := oip.DecodeV1Predict(body, model)
		if err == nil && len(ts) != len(model) {
			t.Fatalf("decoded %d inputs", len(ts))
		}
		checkDecoded(t, ts, err)
	})
}
