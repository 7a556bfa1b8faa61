package oip

import "github.com/berthml/berth/flavors"

// Datatype is a tensor element type as the protocol names it.
type Datatype string

// The protocol's datatypes (BF16 comes from Triton).
const (
	Bool   Datatype = "BOOL"
	Uint8  Datatype = "UINT8"
	Uint16 Datatype = "UINT16"
	Uint32 Datatype = "UINT32"
	Uint64 Datatype = "UINT64"
	Int8   Datatype = "INT8"
	Int16  Datatype = "INT16"
	Int32  Datatype = "INT32"
	Int64  Datatype = "INT64"
	FP16   Datatype = "FP16"
	FP32   Datatype = "FP32"
	FP64   Datatype = "FP64"
	Bytes  Datatype = "BYTES"
	BF16   Datatype = "BF16"
)

// datatypeNames are the datatypes' names, for reading them without a copy.
var datatypeNames = []string{
	string(Bool), string(Uint8), string(Uint16), string(Uint32), string(Uint64), string(Int8), string(Int16),
	string(Int32), string(Int64), string(FP16), string(FP32), string(FP64), string(Bytes), string(BF16),
}

var toDType = map[Datatype]flavors.DType{
	Bool: flavors.Bool, Uint8: flavors.Uint8, Uint16: flavors.Uint16, Uint32: flavors.Uint32,
	Uint64: flavors.Uint64, Int8: flavors.Int8, Int16: flavors.Int16, Int32: flavors.Int32,
	Int64: flavors.Int64, FP16: flavors.Float16, FP32: flavors.Float32, FP64: flavors.Float64,
	Bytes: flavors.String, BF16: flavors.BFloat16,
}

// DType returns the tensor element type that holds d, and false for a name
// the protocol does not define.
func (d Datatype) DType() (flavors.DType, bool) {
	t, ok := toDType[d]
	return t, ok
}

// DatatypeOf returns the protocol name of a tensor element type. String and
// Map are both BYTES (a Map row travels as a JSON object string).
func DatatypeOf(t flavors.DType) (Datatype, bool) {
	if t == flavors.Map {
		return Bytes, true
	}
	for d, dt := range toDType {
		if dt == t {
			return d, true
		}
	}
	return "", false
}

// ElementSize returns the size in bytes of one element of d in the binary
// data extension, and 0 for BYTES (whose elements each carry a 4-byte
// length) or an unknown datatype.
func (d Datatype) ElementSize() int {
	switch d {
	case Bool, Uint8, Int8:
		return 1
	case Uint16, Int16, FP16, BF16:
		return 2
	case Uint32, Int32, FP32:
		return 4
	case Uint64, Int64, FP64:
		return 8
	}
	return 0
}

// MetadataTensors describes a model's inputs or outputs for
// [ModelMetadata].
func MetadataTensors(infos []flavors.TensorInfo) ([]MetadataTensor, error) {
	out := make([]MetadataTensor, len(infos))
	for i, in := range infos {
		d, ok := DatatypeOf(in.DType)
		if !ok {
			return nil, Invalidf("tensor %q: dtype %s has no protocol datatype", in.Name, in.DType)
		}
		shape := in.Shape
		if shape == nil {
			shape = []int64{}
		}
		out[i] = MetadataTensor{Name: in.Name, Datatype: d, Shape: shape}
	}
	return out, nil
}
