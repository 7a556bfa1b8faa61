package onnx

import (
	"encoding/binary"

	"github.com/berthml/berth/internal/float16"
)

// encode16 writes data as little-endian 16-bit words, the layout ONNX
// Runtime reads on the little-endian machines it runs on.
func encode16(data []float32, bfloat bool) []byte {
	out := make([]byte, 2*len(data))
	for i, f := range data {
		var h uint16
		if bfloat {
			h = float16.BFromFloat32(f)
		} else {
			h = float16.FromFloat32(f)
		}
		binary.LittleEndian.PutUint16(out[2*i:], h)
	}
	return out
}

// decode16 reads little-endian 16-bit words back as float32.
func decode16(b []byte, bfloat bool) []float32 {
	out := make([]float32, len(b)/2)
	for i := range out {
		h := binary.LittleEndian.Uint16(b[2*i:])
		if bfloat {
			out[i] = float16.BToFloat32(h)
		} else {
			out[i] = float16.ToFloat32(h)
		}
	}
	return out
}
