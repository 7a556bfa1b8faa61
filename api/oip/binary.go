package oip

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/internal/float16"
	"github.com/berthml/berth/internal/jsonw"
)

// maxHalf is the largest finite FP16 value.
const maxHalf = 65504

var le = binary.LittleEndian

// hostLittleEndian says whether this machine's numbers have the wire's
// byte order, so that binary data can be read in place.
var hostLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// inPlace returns raw's n elements of type T as a slice that shares raw's
// memory, when the host is little-endian and raw is aligned for T.
func inPlace[T uint16 | int16 | uint32 | int32 | float32 | uint64 | int64 | float64 | int8](raw []byte, n int) ([]T, bool) {
	var zero T
	if !hostLittleEndian || n == 0 || len(raw) != n*int(unsafe.Sizeof(zero)) {
		return nil, false
	}
	p := unsafe.Pointer(unsafe.SliceData(raw))
	if uintptr(p)%unsafe.Alignof(zero) != 0 {
		return nil, false
	}
	return unsafe.Slice((*T)(p), n), true
}

// decodeBinary reads n elements of datatype dt from raw, which must hold
// exactly them, into a Tensor's Data slice. With alias, fixed-size numbers
// may share raw's memory instead (see DecodeInferRequestInPlace).
func decodeBinary(raw []byte, dt Datatype, n int, alias bool) (any, error) {
	if dt == Bytes {
		return decodeBinaryBytes(raw, n)
	}
	size := dt.ElementSize()
	if size == 0 {
		return nil, fmt.Errorf("datatype %q has no binary form", dt)
	}
	if len(raw)/size != n || len(raw)%size != 0 {
		return nil, fmt.Errorf("binary_data_size is %d bytes, but %d %s elements take %d", len(raw), n, dt, int64(n)*int64(size))
	}
	if alias {
		if d, ok := decodeInPlace(raw, dt, n); ok {
			return d, nil
		}
	}
	switch dt {
	case Bool:
		d := make([]bool, n)
		for i, b := range raw {
			if b > 1 {
				return nil, fmt.Errorf("BOOL element %d is byte %d, want 0 or 1", i, b)
			}
			d[i] = b == 1
		}
		return d, nil
	case Uint8:
		return append([]uint8(nil), raw...), nil
	case Int8:
		d := make([]int8, n)
		for i, b := range raw {
			d[i] = int8(b)
		}
		return d, nil
	case Uint16:
		d := make([]uint16, n)
		for i := range d {
			d[i] = le.Uint16(raw[2*i:])
		}
		return d, nil
	case Int16:
		d := make([]int16, n)
		for i := range d {
			d[i] = int16(le.Uint16(raw[2*i:]))
		}
		return d, nil
	case FP16:
		d := make([]float32, n)
		for i := range d {
			d[i] = float16.ToFloat32(le.Uint16(raw[2*i:]))
		}
		return d, nil
	case BF16:
		d := make([]float32, n)
		for i := range d {
			d[i] = math.Float32frombits(uint32(le.Uint16(raw[2*i:])) << 16)
		}
		return d, nil
	case Uint32:
		d := make([]uint32, n)
		for i := range d {
			d[i] = le.Uint32(raw[4*i:])
		}
		return d, nil
	case Int32:
		d := make([]int32, n)
		for i := range d {
			d[i] = int32(le.Uint32(raw[4*i:]))
		}
		return d, nil
	case FP32:
		d := make([]float32, n)
		for i := range d {
			d[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
		return d, nil
	case Uint64:
		d := make([]uint64, n)
		for i := range d {
			d[i] = le.Uint64(raw[8*i:])
		}
		return d, nil
	case Int64:
		d := make([]int64, n)
		for i := range d {
			d[i] = int64(le.Uint64(raw[8*i:]))
		}
		return d, nil
	case FP64:
		d := make([]float64, n)
		for i := range d {
			d[i] = math.Float64frombits(le.Uint64(raw[8*i:]))
		}
		return d, nil
	}
	return nil, fmt.Errorf("datatype %q has no binary form", dt)
}

// decodeInPlace is decodeBinary's data for dt as a slice sharing raw's
// memory, when raw allows it.
func decodeInPlace(raw []byte, dt Datatype, n int) (any, bool) {
	switch dt {
	case Uint8:
		return raw[:n:n], len(raw) == n
	case Int8:
		return inPlace[int8](raw, n)
	case Uint16:
		return inPlace[uint16](raw, n)
	case Int16:
		return inPlace[int16](raw, n)
	case Uint32:
		return inPlace[uint32](raw, n)
	case Int32:
		return inPlace[int32](raw, n)
	case FP32:
		return inPlace[float32](raw, n)
	case Uint64:
		return inPlace[uint64](raw, n)
	case Int64:
		return inPlace[int64](raw, n)
	case FP64:
		return inPlace[float64](raw, n)
	}
	return nil, false
}

// decodeBinaryBytes reads n length-prefixed BYTES elements that must fill
// raw exactly.
func decodeBinaryBytes(raw []byte, n int) ([]string, error) {
	if n > len(raw)/4 {
		return nil, fmt.Errorf("binary_data_size is %d bytes, too small for %d BYTES elements of at least 4 bytes", len(raw), n)
	}
	d := make([]string, n)
	off := 0
	for i := range d {
		if len(raw)-off < 4 {
			return nil, fmt.Errorf("BYTES element %d: binary data ends inside its 4-byte length", i)
		}
		size := le.Uint32(raw[off:])
		off += 4
		if uint64(size) > uint64(len(raw)-off) {
			return nil, fmt.Errorf("BYTES element %d: length %d runs past the tensor's %d bytes", i, size, len(raw))
		}
		d[i] = string(raw[off : off+int(size)])
		off += int(size)
	}
	if off != len(raw) {
		return nil, fmt.Errorf("binary_data_size is %d bytes, but the %d BYTES elements take %d", len(raw), n, off)
	}
	return d, nil
}

// appendBinary appends t's elements in the binary data extension's form
// for datatype dt (FP16 and BF16 narrow t's float32 data).
func appendBinary(b []byte, t *flavors.Tensor, dt Datatype) ([]byte, error) {
	switch d := t.Data.(type) {
	case []bool:
		for _, v := range d {
			if v {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		}
	case []uint8:
		b = append(b, d...)
	case []int8:
		for _, v := range d {
			b = append(b, byte(v))
		}
	case []uint16:
		for _, v := range d {
			b = le.AppendUint16(b, v)
		}
	case []int16:
		for _, v := range d {
			b = le.AppendUint16(b, uint16(v))
		}
	case []float32:
		switch dt {
		case FP16:
			for _, v := range d {
				b = le.AppendUint16(b, float16.FromFloat32(v))
			}
		case BF16:
			for _, v := range d {
				b = le.AppendUint16(b, float16.BFromFloat32(v))
			}
		default:
			for _, v := range d {
				b = le.AppendUint32(b, math.Float32bits(v))
			}
		}
	case []uint32:
		for _, v := range d {
			b = le.AppendUint32(b, v)
		}
	case []int32:
		for _, v := range d {
			b = le.AppendUint32(b, uint32(v))
		}
	case []uint64:
		for _, v := range d {
			b = le.AppendUint64(b, v)
		}
	case []int64:
		for _, v := range d {
			b = le.AppendUint64(b, uint64(v))
		}
	case []float64:
		for _, v := range d {
			b = le.AppendUint64(b, math.Float64bits(v))
		}
	case []string:
		for _, v := range d {
			if uint64(len(v)) > math.MaxUint32 {
				return nil, fmt.Errorf("tensor %q: a BYTES element of %d bytes is too long", t.Name, len(v))
			}
			b = le.AppendUint32(b, uint32(len(v)))
			b = append(b, v...)
		}
	case []map[string]float32:
		for _, m := range d {
			at := len(b)
			b = append(b, 0, 0, 0, 0)
			b = jsonw.AppendMapRow(b, m)
			le.PutUint32(b[at:], uint32(len(b)-at-4))
		}
	default:
		return nil, fmt.Errorf("tensor %q: data of type %T has no binary form", t.Name, t.Data)
	}
	return b, nil
}
