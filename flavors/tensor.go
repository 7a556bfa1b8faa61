package flavors

import (
	"fmt"
)

// DType is a tensor element type. Names follow numpy's (as MLflow tensor
// specs write them), plus [String] for text and [Map] for the
// sequence-of-maps outputs of sklearn classifiers.
type DType string

// The element types berth moves between protocols and runtimes. Each one's
// Go slice type (a Tensor's Data) is given beside it.
const (
	Float16  DType = "float16"  // []float32 (widened at the runtime boundary)
	BFloat16 DType = "bfloat16" // []float32 (widened at the runtime boundary)
	Float32  DType = "float32"  // []float32
	Float64  DType = "float64"  // []float64
	Int8     DType = "int8"     // []int8
	Int16    DType = "int16"    // []int16
	Int32    DType = "int32"    // []int32
	Int64    DType = "int64"    // []int64
	Uint8    DType = "uint8"    // []uint8
	Uint16   DType = "uint16"   // []uint16
	Uint32   DType = "uint32"   // []uint32
	Uint64   DType = "uint64"   // []uint64
	Bool     DType = "bool"     // []bool
	String   DType = "string"   // []string
	// Map is a sequence of maps, one per row, such as sklearn's
	// output_probability: Data is []map[string]float32 with keys written as
	// text (class labels), and Shape is [rows].
	Map DType = "map"
)

// Tensor is a named, typed n-dimensional array in row-major order. Data is
// the slice type that goes with DType (see the DType constants); Shape has
// no -1 entries.
type Tensor struct {
	Name  string
	DType DType
	Shape []int64
	Data  any
}

// NumElements returns the product of shape: the length Data must have.
func NumElements(shape []int64) int64 {
	n := int64(1)
	for _, d := range shape {
		n *= d
	}
	return n
}

// Len returns the number of elements in t.Data.
func (t *Tensor) Len() int {
	switch d := t.Data.(type) {
	case []float32:
		return len(d)
	case []float64:
		return len(d)
	case []int8:
		return len(d)
	case []int16:
		return len(d)
	case []int32:
		return len(d)
	case []int64:
		return len(d)
	case []uint8:
		return len(d)
	case []uint16:
		return len(d)
	case []uint32:
		return len(d)
	case []uint64:
		return len(d)
	case []bool:
		return len(d)
	case []string:
		return len(d)
	case []map[string]float32:
		return len(d)
	}
	return 0
}

// Validate reports whether Data has the Go type and length that DType and
// Shape call for.
func (t *Tensor) Validate() error {
	if !dataFits(t.DType, t.Data) {
		want, err := MakeSlice(t.DType, 0)
		if err != nil {
			return fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		return fmt.Errorf("tensor %q: data is %T, want %T for %s", t.Name, t.Data, want, t.DType)
	}
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("tensor %q: negative dimension in shape %v", t.Name, t.Shape)
		}
	}
	if n := NumElements(t.Shape); int64(t.Len()) != n {
		return fmt.Errorf("tensor %q: shape %v holds %d elements, data has %d", t.Name, t.Shape, n, t.Len())
	}
	return nil
}

// dataFits reports whether data is the Go slice type of dtype.
func dataFits(dtype DType, data any) bool {
	switch data.(type) {
	case []float32:
		return dtype == Float32 || dtype == Float16 || dtype == BFloat16
	case []float64:
		return dtype == Float64
	case []int8:
		return dtype == Int8
	case []int16:
		return dtype == Int16
	case []int32:
		return dtype == Int32
	case []int64:
		return dtype == Int64
	case []uint8:
		return dtype == Uint8
	case []uint16:
		return dtype == Uint16
	case []uint32:
		return dtype == Uint32
	case []uint64:
		return dtype == Uint64
	case []bool:
		return dtype == Bool
	case []string:
		return dtype == String
	case []map[string]float32:
		return dtype == Map
	}
	return false
}

// MakeSlice returns a new slice of n zero elements of dtype's Go type.
func MakeSlice(dtype DType, n int) (any, error) {
	switch dtype {
	case Float16, BFloat16, Float32:
		return make([]float32, n), nil
	case Float64:
		return make([]float64, n), nil
	case Int8:
		return make([]int8, n), nil
	case Int16:
		return make([]int16, n), nil
	case Int32:
		return make([]int32, n), nil
	case Int64:
		return make([]int64, n), nil
	case Uint8:
		return make([]uint8, n), nil
	case Uint16:
		return make([]uint16, n), nil
	case Uint32:
		return make([]uint32, n), nil
	case Uint64:
		return make([]uint64, n), nil
	case Bool:
		return make([]bool, n), nil
	case String:
		return make([]string, n), nil
	case Map:
		return make([]map[string]float32, n), nil
	}
	return nil, fmt.Errorf("unknown dtype %q", dtype)
}

// TensorInfo describes one input or output of a predictor as its runtime
// reports it. A -1 in Shape is a dynamic dimension (usually the batch).
type TensorInfo struct {
	Name  string
	DType DType
	Shape []int64
}
