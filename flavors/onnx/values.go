package onnx

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/berthml/berth/flavors"
	ort "github.com/yalue/onnxruntime_go"
)

// elemDTypes maps ONNX Runtime's tensor element types to berth's.
var elemDTypes = map[ort.TensorElementDataType]flavors.DType{
	ort.TensorElementDataTypeFloat:    flavors.Float32,
	ort.TensorElementDataTypeDouble:   flavors.Float64,
	ort.TensorElementDataTypeFloat16:  flavors.Float16,
	ort.TensorElementDataTypeBFloat16: flavors.BFloat16,
	ort.TensorElementDataTypeInt8:     flavors.Int8,
	ort.TensorElementDataTypeInt16:    flavors.Int16,
	ort.TensorElementDataTypeInt32:    flavors.Int32,
	ort.TensorElementDataTypeInt64:    flavors.Int64,
	ort.TensorElementDataTypeUint8:    flavors.Uint8,
	ort.TensorElementDataTypeUint16:   flavors.Uint16,
	ort.TensorElementDataTypeUint32:   flavors.Uint32,
	ort.TensorElementDataTypeUint64:   flavors.Uint64,
	ort.TensorElementDataTypeBool:     flavors.Bool,
	ort.TensorElementDataTypeString:   flavors.String,
}

// errEmpty16 is the one input the binding cannot build: it refuses 16-bit
// float tensors without elements and 0-d ones.
var errEmpty16 = errors.New("onnxruntime_go cannot build float16/bfloat16 tensors that are 0-d or hold no elements")

// newInputValue wraps t, already checked against the model, as an ONNX
// Runtime value. Numeric data is shared with t, not copied. The caller
// destroys the value.
func newInputValue(t *flavors.Tensor) (ort.Value, error) {
	switch d := t.Data.(type) {
	case []float32:
		switch t.DType {
		case flavors.Float16, flavors.BFloat16:
			if len(t.Shape) == 0 || len(d) == 0 {
				return nil, errEmpty16
			}
			dt := ort.TensorElementDataType(ort.TensorElementDataTypeFloat16)
			if t.DType == flavors.BFloat16 {
				dt = ort.TensorElementDataTypeBFloat16
			}
			return value(ort.NewCustomDataTensor(ort.Shape(t.Shape), encode16(d, t.DType == flavors.BFloat16), dt))
		}
		return numericValue(t.Shape, d)
	case []float64:
		return numericValue(t.Shape, d)
	case []int8:
		return numericValue(t.Shape, d)
	case []int16:
		return numericValue(t.Shape, d)
	case []int32:
		return numericValue(t.Shape, d)
	case []int64:
		return numericValue(t.Shape, d)
	case []uint8:
		return numericValue(t.Shape, d)
	case []uint16:
		return numericValue(t.Shape, d)
	case []uint32:
		return numericValue(t.Shape, d)
	case []uint64:
		return numericValue(t.Shape, d)
	case []bool:
		return numericValue(t.Shape, d)
	case []string:
		if len(t.Shape) == 0 {
			return nil, errors.New("onnxruntime_go cannot build 0-d string tensors")
		}
		st, err := ort.NewStringTensor(ort.Shape(t.Shape))
		if err != nil {
			return nil, err
		}
		if err := st.SetContents(d); err != nil {
			st.Destroy()
			return nil, err
		}
		return st, nil
	}
	return nil, fmt.Errorf("no ONNX Runtime tensor for %s data %T", t.DType, t.Data)
}

// value drops the typed nil the binding's constructors return with an
// error, which would otherwise make a non-nil ort.Value.
func value[V ort.Value](v V, err error) (ort.Value, error) {
	if err != nil {
		return nil, err
	}
	return v, nil
}

func numericValue[T ort.TensorData](shape []int64, data []T) (ort.Value, error) {
	if len(shape) == 0 {
		return value(ort.NewScalar(data[0]))
	}
	return value(ort.NewTensor(ort.Shape(shape), data))
}

// newOutputValue preallocates an output whose shape is known, for the
// outputs the binding cannot take from the runtime: 0-d numeric outputs
// and 16-bit floats.
func newOutputValue(dt flavors.DType, shape []int64) (ort.Value, error) {
	if len(shape) == 0 {
		switch dt {
		case flavors.Float32:
			return value(ort.NewEmptyScalar[float32]())
		case flavors.Float64:
			return value(ort.NewEmptyScalar[float64]())
		case flavors.Int8:
			return value(ort.NewEmptyScalar[int8]())
		case flavors.Int16:
			return value(ort.NewEmptyScalar[int16]())
		case flavors.Int32:
			return value(ort.NewEmptyScalar[int32]())
		case flavors.Int64:
			return value(ort.NewEmptyScalar[int64]())
		case flavors.Uint8:
			return value(ort.NewEmptyScalar[uint8]())
		case flavors.Uint16:
			return value(ort.NewEmptyScalar[uint16]())
		case flavors.Uint32:
			return value(ort.NewEmptyScalar[uint32]())
		case flavors.Uint64:
			return value(ort.NewEmptyScalar[uint64]())
		case flavors.Bool:
			return value(ort.NewEmptyScalar[bool]())
		}
		return nil, errEmpty16
	}
	n := flavors.NumElements(shape)
	s := ort.Shape(shape)
	switch dt {
	case flavors.Float32:
		return value(ort.NewEmptyTensor[float32](s))
	case flavors.Float64:
		return value(ort.NewEmptyTensor[float64](s))
	case flavors.Int8:
		return value(ort.NewEmptyTensor[int8](s))
	case flavors.Int16:
		return value(ort.NewEmptyTensor[int16](s))
	case flavors.Int32:
		return value(ort.NewEmptyTensor[int32](s))
	case flavors.Int64:
		return value(ort.NewEmptyTensor[int64](s))
	case flavors.Uint8:
		return value(ort.NewEmptyTensor[uint8](s))
	case flavors.Uint16:
		return value(ort.NewEmptyTensor[uint16](s))
	case flavors.Uint32:
		return value(ort.NewEmptyTensor[uint32](s))
	case flavors.Uint64:
		return value(ort.NewEmptyTensor[uint64](s))
	case flavors.Bool:
		return value(ort.NewEmptyTensor[bool](s))
	}
	if n == 0 {
		return nil, errEmpty16
	}
	elem := ort.TensorElementDataType(ort.TensorElementDataTypeFloat16)
	if dt == flavors.BFloat16 {
		elem = ort.TensorElementDataTypeBFloat16
	}
	return value(ort.NewCustomDataTensor(ort.Shape(shape), make([]byte, 2*n), elem))
}

// fillTensor copies an ONNX Runtime value out into out, a berth tensor;
// info is the model's description of it. The value stays the caller's to
// destroy. Numeric tensors the runtime allocated are already Go memory (the
// binding copies them once), so their data is taken as is. shape, when not
// nil, is v's shape, the caller's to give away (the binding's GetShape
// copies it).
func fillTensor(out *flavors.Tensor, info flavors.TensorInfo, v ort.Value, shape []int64) error {
	if shape == nil {
		shape = v.GetShape()
	}
	*out = flavors.Tensor{Name: info.Name, DType: info.DType, Shape: shape}
	switch v := v.(type) {
	case *ort.Tensor[float32]:
		out.Data = v.GetData()
	case *ort.Tensor[float64]:
		out.Data = v.GetData()
	case *ort.Tensor[int8]:
		out.Data = v.GetData()
	case *ort.Tensor[int16]:
		out.Data = v.GetData()
	case *ort.Tensor[int32]:
		out.Data = v.GetData()
	case *ort.Tensor[int64]:
		out.Data = v.GetData()
	case *ort.Tensor[uint8]:
		out.Data = v.GetData()
	case *ort.Tensor[uint16]:
		out.Data = v.GetData()
	case *ort.Tensor[uint32]:
		out.Data = v.GetData()
	case *ort.Tensor[uint64]:
		out.Data = v.GetData()
	case *ort.Tensor[bool]:
		out.Data = v.GetData()
	case *ort.Scalar[float32]:
		out.Shape, out.Data = []int64{}, []float32{v.GetData()}
	case *ort.Scalar[float64]:
		out.Shape, out.Data = []int64{}, []float64{v.GetData()}
	case *ort.Scalar[int8]:
		out.Shape, out.Data = []int64{}, []int8{v.GetData()}
	case *ort.Scalar[int16]:
		out.Shape, out.Data = []int64{}, []int16{v.GetData()}
	case *ort.Scalar[int32]:
		out.Shape, out.Data = []int64{}, []int32{v.GetData()}
	case *ort.Scalar[int64]:
		out.Shape, out.Data = []int64{}, []int64{v.GetData()}
	case *ort.Scalar[uint8]:
		out.Shape, out.Data = []int64{}, []uint8{v.GetData()}
	case *ort.Scalar[uint16]:
		out.Shape, out.Data = []int64{}, []uint16{v.GetData()}
	case *ort.Scalar[uint32]:
		out.Shape, out.Data = []int64{}, []uint32{v.GetData()}
	case *ort.Scalar[uint64]:
		out.Shape, out.Data = []int64{}, []uint64{v.GetData()}
	case *ort.Scalar[bool]:
		out.Shape, out.Data = []int64{}, []bool{v.GetData()}
	case *ort.CustomDataTensor:
		elem := ort.TensorElementDataType(v.DataType())
		if elem != ort.TensorElementDataTypeFloat16 && elem != ort.TensorElementDataTypeBFloat16 {
			return fmt.Errorf("output %q: unsupported element type %s", info.Name, elem)
		}
		out.Data = decode16(v.GetData(), elem == ort.TensorElementDataTypeBFloat16)
	case *ort.StringTensor:
		s, err := stringContents(v)
		if err != nil {
			return fmt.Errorf("reading string output %q: %w", info.Name, err)
		}
		out.Data = s
	case *ort.Sequence:
		rows, err := sequenceOfMaps(v)
		if err != nil {
			return fmt.Errorf("reading output %q: %w", info.Name, err)
		}
		out.DType, out.Shape, out.Data = flavors.Map, []int64{int64(len(rows))}, rows
	case *ort.Map:
		row, err := mapRow(v)
		if err != nil {
			return fmt.Errorf("reading output %q: %w", info.Name, err)
		}
		out.DType, out.Shape, out.Data = flavors.Map, []int64{1}, []map[string]float32{row}
	default:
		return fmt.Errorf("output %q: unsupported ONNX value %s", info.Name, v.GetONNXType())
	}
	if out.DType != flavors.Map {
		if dt, ok := elemDTypes[ort.TensorElementDataType(v.DataType())]; ok {
			out.DType = dt
		}
	}
	return nil
}

// stringContents reads a string tensor; GetContents does not handle 0-d
// ones.
func stringContents(t *ort.StringTensor) ([]string, error) {
	if len(t.GetShape()) == 0 {
		s, err := t.GetElement(0)
		return []string{s}, err
	}
	return t.GetContents()
}

// sequenceOfMaps reads a sequence of maps, such as the output_probability
// of an sklearn classifier converted by skl2onnx (ZipMap).
func sequenceOfMaps(seq *ort.Sequence) ([]map[string]float32, error) {
	values, err := seq.GetValues()
	if err != nil {
		return nil, err
	}
	rows := make([]map[string]float32, len(values))
	for i, v := range values {
		m, ok := v.(*ort.Map)
		if !ok {
			return nil, fmt.Errorf("sequence element %d is a %s; berth reads only sequences of maps", i, v.GetONNXType())
		}
		if rows[i], err = mapRow(m); err != nil {
			return nil, fmt.Errorf("sequence element %d: %w", i, err)
		}
	}
	return rows, nil
}

// mapRow reads one map with integer or string keys and numeric values;
// keys become text.
func mapRow(m *ort.Map) (map[string]float32, error) {
	k, v, err := m.GetKeysAndValues()
	if err != nil {
		return nil, err
	}
	var keys []string
	switch k := k.(type) {
	case *ort.Tensor[int64]:
		keys = make([]string, len(k.GetData()))
		for i, x := range k.GetData() {
			keys[i] = strconv.FormatInt(x, 10)
		}
	case *ort.Tensor[int32]:
		keys = make([]string, len(k.GetData()))
		for i, x := range k.GetData() {
			keys[i] = strconv.FormatInt(int64(x), 10)
		}
	case *ort.StringTensor:
		if keys, err = k.GetContents(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("map keys of element type %s", ort.TensorElementDataType(k.DataType()))
	}
	var vals []float32
	switch v := v.(type) {
	case *ort.Tensor[float32]:
		vals = v.GetData()
	case *ort.Tensor[float64]:
		vals = make([]float32, len(v.GetData()))
		for i, x := range v.GetData() {
			vals[i] = float32(x)
		}
	case *ort.Tensor[int64]:
		vals = make([]float32, len(v.GetData()))
		for i, x := range v.GetData() {
			vals[i] = float32(x)
		}
	default:
		return nil, fmt.Errorf("map values of element type %s", ort.TensorElementDataType(v.DataType()))
	}
	if len(keys) != len(vals) {
		return nil, fmt.Errorf("map has %d keys and %d values", len(keys), len(vals))
	}
	row := make(map[string]float32, len(keys))
	for i, key := range keys {
		row[key] = vals[i]
	}
	return row, nil
}
