package oip_test

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/berthml/berth/api/oip"
	"github.com/berthml/berth/flavors"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// sampleTensors holds a [2,3] tensor of every dtype a request can carry,
// with edge values that survive the trip exactly.
func sampleTensors() []*flavors.Tensor {
	sh := []int64{2, 3}
	return []*flavors.Tensor{
		{Name: "bool", DType: flavors.Bool, Shape: sh, Data: []bool{true, false, true, true, false, false}},
		{Name: "uint8", DType: flavors.Uint8, Shape: sh, Data: []uint8{0, 1, 2, 127, 128, 255}},
		{Name: "uint16", DType: flavors.Uint16, Shape: sh, Data: []uint16{0, 1, 2, 255, 256, 65535}},
		{Name: "uint32", DType: flavors.Uint32, Shape: sh, Data: []uint32{0, 1, 2, 1 << 16, 1 << 31, math.MaxUint32}},
		{Name: "uint64", DType: flavors.Uint64, Shape: sh, Data: []uint64{0, 1, 2, 1 << 53, 1<<53 + 1, math.MaxUint64}},
		{Name: "int8", DType: flavors.Int8, Shape: sh, Data: []int8{math.MinInt8, -1, 0, 1, 2, math.MaxInt8}},
		{Name: "int16", DType: flavors.Int16, Shape: sh, Data: []int16{math.MinInt16, -1, 0, 1, 2, math.MaxInt16}},
		{Name: "int32", DType: flavors.Int32, Shape: sh, Data: []int32{math.MinInt32, -1, 0, 1, 2, math.MaxInt32}},
		{Name: "int64", DType: flavors.Int64, Shape: sh, Data: []int64{math.MinInt64, -1, 0, 1<<53 + 1, 2, math.MaxInt64}},
		{Name: "fp16", DType: flavors.Float16, Shape: sh, Data: []float32{0, 0.5, -2, 65504, 6.1035156e-05, 5.9604645e-08}},
		{Name: "bf16", DType: flavors.BFloat16, Shape: sh, Data: []float32{0, 1, -0.5, 3.3895314e38, 1.1754944e-38, 9.18355e-41}},
		{Name: "fp32", DType: flavors.Float32, Shape: sh, Data: []float32{0, 0.1, -1e-7, math.MaxFloat32, math.SmallestNonzeroFloat32, 3e21}},
		{Name: "fp64", DType: flavors.Float64, Shape: sh, Data: []float64{0, 0.1, -1e-300, math.MaxFloat64, math.SmallestNonzeroFloat64, 1e21}},
		{Name: "bytes", DType: flavors.String, Shape: sh, Data: []string{"", "a", "é😀", "\"\\\n\t", "\x00\x01", "long " + string(bytes.Repeat([]byte("x"), 300))}},
	}
}

func modelOf(t *flavors.Tensor) []flavors.TensorInfo {
	shape := append([]int64{-1}, t.Shape[1:]...)
	return []flavors.TensorInfo{{Name: t.Name, DType: t.DType, Shape: shape}}
}

func TestRequestRoundTrip(t *testing.T) {
	for _, form := range []string{"json", "binary"} {
		for _, want := range sampleTensors() {
			t.Run(form+"/"+want.Name, func(t *testing.T) {
				newInput := oip.NewInput
				if form == "binary" {
					newInput = oip.NewBinaryInput
				}
				in, err := newInput(want)
				if err != nil {
					t.Fatal(err)
				}
				body, hl, err := oip.EncodeInferRequest(&oip.InferenceRequest{ID: "1", Inputs: []oip.RequestInput{in}})
				if err != nil {
					t.Fatal(err)
				}
				if (form == "binary") != (hl >= 0) {
					t.Fatalf("headerLen = %d for %s", hl, form)
				}
				header := ""
				if hl >= 0 {
					header = strconv.Itoa(hl)
				}
				req, err := oip.DecodeInferRequest(body, header, modelOf(want))
				if err != nil {
					t.Fatalf("%v\nbody: %q", err, body)
				}
				if !reflect.DeepEqual(req.Inputs[0], want) {
					t.Errorf("got  %+v\nwant %+v", req.Inputs[0], want)
				}
			})
		}
	}
}

func TestRequestMixedJSONAndBinary(t *testing.T) {
	a := &flavors.Tensor{Name: "a", DType: flavors.Float32, Shape: []int64{1, 2}, Data: []float32{1, 2}}
	b := &flavors.Tensor{Name: "b", DType: flavors.String, Shape: []int64{2}, Data: []string{"x", "yz"}}
	c := &flavors.Tensor{Name: "c", DType: flavors.Bool, Shape: []int64{3}, Data: []bool{true, false, true}}
	ia, _ := oip.NewBinaryInput(a)
	ib, _ := oip.NewInput(b)
	ic, _ := oip.NewBinaryInput(c)
	body, hl, err := oip.EncodeInferRequest(&oip.InferenceRequest{Inputs: []oip.RequestInput{ic, ib, ia}})
	if err != nil {
		t.Fatal(err)
	}
	model := []flavors.TensorInfo{
		{Name: "a", DType: flavors.Float32, Shape: []int64{-1, 2}},
		{Name: "b", DType: flavors.String, Shape: []int64{-1}},
		{Name: "c", DType: flavors.Bool, Shape: []int64{3}},
	}
	req, err := oip.DecodeInferRequest(body, strconv.Itoa(hl), model)
	if err != nil {
		t.Fatal(err)
	}
	if want := []*flavors.Tensor{a, b, c}; !reflect.DeepEqual(req.Inputs, want) {
		t.Errorf("got %+v, want %+v", req.Inputs, want)
	}
}

func TestResponseRoundTrip(t *testing.T) {
	for _, form := range []string{"json", "binary"} {
		t.Run(form, func(t *testing.T) {
			outs := sampleTensors()
			req := &oip.Request{BinaryOutput: form == "binary"}
			body, hl, err := oip.EncodeInferResponse("m", "3", "id-1", outs, req)
			if err != nil {
				t.Fatal(err)
			}
			header := ""
			if hl >= 0 {
				header = strconv.Itoa(hl)
			}
			if (form == "binary") != (hl >= 0) {
				t.Fatalf("headerLen = %d", hl)
			}
			resp, err := oip.DecodeInferResponse(body, header)
			if err != nil {
				t.Fatal(err)
			}
			if resp.ModelName != "m" || resp.ModelVersion != "3" || resp.ID != "id-1" || len(resp.Outputs) != len(outs) {
				t.Fatalf("response = %+v", resp)
			}
			for i, want := range outs {
				got, err := oip.TensorFromOutput(&resp.Outputs[i])
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("output %s:\ngot  %+v\nwant %+v", want.Name, got, want)
				}
			}
		})
	}
}

func TestResponsePerOutputBinary(t *testing.T) {
	a := &flavors.Tensor{Name: "a", DType: flavors.Float32, Shape: []int64{2}, Data: []float32{float32(math.NaN()), float32(math.Inf(-1))}}
	b := &flavors.Tensor{Name: "b", DType: flavors.Float64, Shape: []int64{2}, Data: []float64{math.NaN(), math.Inf(1)}}
	m := &flavors.Tensor{Name: "m", DType: flavors.Map, Shape: []int64{2}, Data: []map[string]float32{{"1": 0.25, "0": 0.75}, {}}}
	req, err := oip.DecodeInferRequest([]byte(`{"inputs":[],"parameters":{"binary_data_output":true},"outputs":[{"name":"b","parameters":{"binary_data":false}}]}`), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, hl, err := oip.EncodeInferResponse("m", "", "", []*flavors.Tensor{a, b, m}, req)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := oip.DecodeInferResponse(body, strconv.Itoa(hl))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Outputs[0].Binary == nil || resp.Outputs[1].Binary != nil || resp.Outputs[2].Binary == nil {
		t.Fatalf("binary outputs wrong: %q", body)
	}
	ga, _ := oip.TensorFromOutput(&resp.Outputs[0])
	gb, _ := oip.TensorFromOutput(&resp.Outputs[1])
	gm, err := oip.TensorFromOutput(&resp.Outputs[2])
	if err != nil {
		t.Fatal(err)
	}
	if d := ga.Data.([]float32); !math.IsNaN(float64(d[0])) || !math.IsInf(float64(d[1]), -1) {
		t.Errorf("binary FP32 lost NaN/Inf: %v", d)
	}
	// JSON carries NaN and Inf as null, which reads back as NaN.
	if d := gb.Data.([]float64); !math.IsNaN(d[0]) || !math.IsNaN(d[1]) {
		t.Errorf("JSON FP64 = %v, want [NaN NaN]", d)
	}
	want := &flavors.Tensor{Name: "m", DType: flavors.String, Shape: []int64{2}, Data: []string{`{"0":0.75,"1":0.25}`, `{}`}}
	if !reflect.DeepEqual(gm, want) {
		t.Errorf("map output = %+v, want %+v", gm, want)
	}
}

func TestEncodeInferResponseGolden(t *testing.T) {
	outs := []*flavors.Tensor{
		{Name: "probabilities", DType: flavors.Float32, Shape: []int64{2, 2}, Data: []float32{1, 0.1, -2.5e-7, 3e21}},
		{Name: "label", DType: flavors.Int64, Shape: []int64{2}, Data: []int64{0, -9007199254740993}},
		{Name: "flags", DType: flavors.Bool, Shape: []int64{2}, Data: []bool{true, false}},
		{Name: "text", DType: flavors.String, Shape: []int64{3}, Data: []string{"plain", "quote\" back\\ nl\n ctl\x01", "bad \xff utf8"}},
		{Name: "output_probability", DType: flavors.Map, Shape: []int64{2}, Data: []map[string]float32{{"b": 0.5, "a": 0.5}, {"a": 1}}},
		{Name: "wide", DType: flavors.Float64, Shape: []int64{4}, Data: []float64{math.NaN(), math.Inf(1), 1e-7, 123456789.125}},
		{Name: "half", DType: flavors.Float16, Shape: []int64{}, Data: []float32{0.5}},
	}
	body, hl, err := oip.EncodeInferResponse("iris", "2", "req-7", outs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if hl != -1 {
		t.Errorf("headerLen = %d, want -1", hl)
	}
	golden(t, "response.golden.json", body)
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got)+"\n" != string(want) {
		t.Errorf("%s differs:\ngot  %s\nwant %s", name, got, want)
	}
}

func TestEncodeInferResponseErrors(t *testing.T) {
	bad := []*flavors.Tensor{{Name: "y", DType: flavors.Float32, Shape: []int64{3}, Data: []float32{1}}}
	if _, _, err := oip.EncodeInferResponse("m", "", "", bad, nil); err == nil {
		t.Error("want an error for an invalid tensor")
	}
}
