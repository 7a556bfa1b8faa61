package oip_test

import (
	"reflect"
	"strconv"
	"testing"
	"unsafe"

	"github.com/berthml/berth/api/oip"
	"github.com/berthml/berth/flavors"
)

// TestDecodeInferRequestInPlace: binary tensors of fixed-size numbers read
// in place share the body's memory when it is aligned for their type, and
// hold the same values as the copying decode, which never shares it.
func TestDecodeInferRequestInPlace(t *testing.T) {
	cases := []struct {
		tensor *flavors.Tensor
		shares bool // when aligned
	}{
		{&flavors.Tensor{DType: flavors.Float32, Data: []float32{1.5, -2, 3e7, 0}}, true},
		{&flavors.Tensor{DType: flavors.Float64, Data: []float64{1.5, -2, 3e300, 0}}, true},
		{&flavors.Tensor{DType: flavors.Int64, Data: []int64{1, -2, 1 << 60, 0}}, true},
		{&flavors.Tensor{DType: flavors.Int32, Data: []int32{1, -2, 1 << 30, 0}}, true},
		{&flavors.Tensor{DType: flavors.Uint16, Data: []uint16{1, 2, 65535, 0}}, true},
		{&flavors.Tensor{DType: flavors.Int8, Data: []int8{1, -2, 127, 0}}, true},
		{&flavors.Tensor{DType: flavors.Uint8, Data: []uint8{1, 2, 255, 0}}, true},
		{&flavors.Tensor{DType: flavors.Bool, Data: []bool{true, false, true, false}}, false},
	}
	for _, c := range cases {
		c.tensor.Name, c.tensor.Shape = "x", []int64{1, 4}
		model := []flavors.TensorInfo{{Name: "x", DType: c.tensor.DType, Shape: []int64{-1, 4}}}
		in, err := oip.NewBinaryInput(c.tensor)
		if err != nil {
			t.Fatal(err)
		}
		enc, hl, err := oip.EncodeInferRequest(&oip.InferenceRequest{Inputs: []oip.RequestInput{in}})
		if err != nil {
			t.Fatal(err)
		}
		size := int(reflect.TypeOf(c.tensor.Data).Elem().Size())
		for pad := range 8 {
			t.Run(string(c.tensor.DType)+"/pad"+strconv.Itoa(pad), func(t *testing.T) {
				buf := make([]byte, pad+len(enc)) // 8-aligned
				body := buf[pad:]
				copy(body, enc)
				copied, err := oip.DecodeInferRequest(body, strconv.Itoa(hl), model)
				if err != nil {
					t.Fatal(err)
				}
				req, err := oip.DecodeInferRequestInPlace(body, strconv.Itoa(hl), model)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(req.Inputs[0].Data, c.tensor.Data) || !reflect.DeepEqual(copied.Inputs[0].Data, c.tensor.Data) {
					t.Fatalf("in place %v, copied %v, want %v", req.Inputs[0].Data, copied.Inputs[0].Data, c.tensor.Data)
				}
				bin := unsafe.Pointer(&body[hl])
				want := c.shares && uintptr(bin)%uintptr(size) == 0
				if got := dataPointer(req.Inputs[0].Data) == bin; got != want {
					t.Errorf("in place shares the body: %v, want %v", got, want)
				}
				if dataPointer(copied.Inputs[0].Data) == bin {
					t.Error("DecodeInferRequest shares the body")
				}
				if want && reflect.ValueOf(req.Inputs[0].Data).Cap() != 4 {
					t.Error("an in-place slice can grow into the body")
				}
			})
		}
	}
}

func dataPointer(d any) unsafe.Pointer {
	return reflect.ValueOf(d).UnsafePointer()
}
