package onnx

import (
	"encoding/binary"
	"math"
)

// ONNX Runtime keeps float16 and bfloat16 tensors as 16-bit words; berth's
// tensors carry them widened to float32. These convert between the two,
// rounding to nearest even when narrowing.

// float32ToFloat16 narrows f to IEEE 754 half precision.
func float32ToFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff { // Inf or NaN; keep NaNs quiet and non-zero
		if mant != 0 {
			return sign | 0x7e00 | uint16(mant>>13)
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	switch {
	case e >= 0x1f:
		return sign | 0x7c00
	case e <= 0:
		if e < -10 {
			return sign
		}
		full := mant | 0x800000
		shift := uint32(14 - e)
		h := full >> shift
		rem, half := full&(1<<shift-1), uint32(1)<<(shift-1)
		if rem > half || (rem == half && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	}
	h := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++ // a carry into the exponent rounds up to the next power of two, or to Inf
	}
	return sign | uint16(h)
}

// float16ToFloat32 widens an IEEE 754 half to float32, exactly.
func float16ToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		e := uint32(127 - 15 + 1)
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		return math.Float32frombits(sign | e<<23 | (mant&0x3ff)<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// float32ToBFloat16 narrows f to bfloat16, the top half of a float32.
func float32ToBFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 { // NaN: keep it a quiet NaN
		return uint16(b>>16) | 0x40
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// bfloat16ToFloat32 widens a bfloat16 to float32, exactly.
func bfloat16ToFloat32(h uint16) float32 {
	return math.Float32frombits(uint32(h) << 16)
}

// encode16 writes data as little-endian 16-bit words, the layout ONNX
// Runtime reads on the little-endian machines it runs on.
func encode16(data []float32, bfloat bool) []byte {
	out := make([]byte, 2*len(data))
	for i, f := range data {
		var h uint16
		if bfloat {
			h = float32ToBFloat16(f)
		} else {
			h = float32ToFloat16(f)
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
			out[i] = bfloat16ToFloat32(h)
		} else {
			out[i] = float16ToFloat32(h)
		}
	}
	return out
}
