package onnx

import "testing"

// TestEncode16 checks the byte layout of 16-bit tensors handed to ONNX
// Runtime; the conversions themselves are tested in internal/float16.
func TestEncode16(t *testing.T) {
	data := []float32{1.5, -0.25, 3}
	for _, bf := range []bool{false, true} {
		if got := decode16(encode16(data, bf), bf); got[0] != 1.5 || got[1] != -0.25 || got[2] != 3 {
			t.Errorf("bfloat=%v: round trip gave %v", bf, got)
		}
	}
}
