package oip

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/berthml/berth/flavors"
	"github.com/berthml/berth/internal/jsonw"
)

// EncodeInferResponse writes the response to req (nil for defaults) with
// outputs. Outputs go as flat JSON data unless req asks for them as binary
// data; then body is the JSON header followed by the binary data and
// headerLen is the header's length, for the Inference-Header-Content-Length
// header (with Content-Type application/octet-stream). headerLen is -1 for a
// pure JSON body. An error means an output is not a valid tensor: a server
// fault, not the client's.
func EncodeInferResponse(modelName, version, id string, outputs []*flavors.Tensor, req *Request) (body []byte, headerLen int, err error) {
	return EncodeInferResponseLimit(modelName, version, id, outputs, req, 0)
}

// EncodeInferResponseLimit is [EncodeInferResponse] that stops and returns
// [ErrResponseTooLarge] as soon as the body grows past limit bytes (0: no
// limit), so that a response too large costs about limit bytes, not its
// whole size.
func EncodeInferResponseLimit(modelName, version, id string, outputs []*flavors.Tensor, req *Request, limit int) (body []byte, headerLen int, err error) {
	var bin []byte
	sizes := make([]int, len(outputs))
	est := 64 + len(modelName) + len(version) + len(id)
	for i, t := range outputs {
		if err := t.Validate(); err != nil {
			return nil, 0, fmt.Errorf("encoding output: %w", err)
		}
		sizes[i] = -1
		if req.WantsBinary(t.Name) {
			dt, _ := DatatypeOf(t.DType)
			at := len(bin)
			if bin, err = appendBinary(bin, t, dt); err != nil {
				return nil, 0, fmt.Errorf("encoding output: %w", err)
			}
			sizes[i] = len(bin) - at
			if limit > 0 && len(bin) > limit {
				return nil, 0, ErrResponseTooLarge
			}
		} else {
			est += 8 * t.Len()
		}
		est += 64 + len(t.Name)
	}
	if limit > 0 {
		est = min(est, limit+1-len(bin))
	}
	b := make([]byte, 0, est+len(bin))
	b = append(b, `{"model_name":`...)
	b = jsonw.AppendString(b, modelName)
	if version != "" {
		b = append(b, `,"model_version":`...)
		b = jsonw.AppendString(b, version)
	}
	if id != "" {
		b = append(b, `,"id":`...)
		b = jsonw.AppendString(b, id)
	}
	b = append(b, `,"outputs":[`...)
	for i, t := range outputs {
		if i > 0 {
			b = append(b, ',')
		}
		b, err = appendOutputHeader(b, t)
		if err != nil {
			return nil, 0, err
		}
		if sizes[i] >= 0 {
			b = append(b, `,"parameters":{"binary_data_size":`...)
			b = strconv.AppendInt(b, int64(sizes[i]), 10)
			b = append(b, "}}"...)
			continue
		}
		b = append(b, `,"data":`...)
		b = appendData(b, t, true, limit-len(bin))
		b = append(b, '}')
		if limit > 0 && len(b)+len(bin) > limit {
			return nil, 0, ErrResponseTooLarge
		}
	}
	b = append(b, "]}"...)
	if limit > 0 && len(b)+len(bin) > limit {
		return nil, 0, ErrResponseTooLarge
	}
	if !slices.ContainsFunc(sizes, func(s int) bool { return s >= 0 }) {
		return b, -1, nil
	}
	headerLen = len(b)
	return append(b, bin...), headerLen, nil
}

// appendOutputHeader writes an output object's name, shape and datatype,
// leaving the object open. A Map tensor is BYTES of shape [rows].
func appendOutputHeader(b []byte, t *flavors.Tensor) ([]byte, error) {
	dt, ok := DatatypeOf(t.DType)
	if !ok {
		return nil, fmt.Errorf("encoding output %q: dtype %s has no protocol datatype", t.Name, t.DType)
	}
	shape := t.Shape
	if t.DType == flavors.Map {
		shape = []int64{int64(t.Len())}
	}
	b = append(b, `{"name":`...)
	b = jsonw.AppendString(b, t.Name)
	b = append(b, `,"shape":[`...)
	for i, d := range shape {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, d, 10)
	}
	b = append(b, `],"datatype":"`...)
	b = append(b, dt...)
	b = append(b, '"')
	return b, nil
}

// appendData writes t's elements as a flat JSON array. NaN and ±Inf become
// null; Map rows become JSON object strings when asStrings, objects
// otherwise. It stops early once b is longer than limit (> 0).
func appendData(b []byte, t *flavors.Tensor, asStrings bool, limit int) []byte {
	b = append(b, '[')
	n := t.Len()
	block := elemBlock(t.Data)
	var rows mapRows
	for i := 0; i < n; i += block {
		b = appendElems(b, t.Data, i, min(i+block, n), asStrings, &rows)
		if limit > 0 && len(b) > limit {
			return b
		}
	}
	return append(b, ']')
}

// elemBlock is how many elements of data appendData writes between two
// checks of its limit, and EncodeInferResponseTo between two flushes:
// about 16 kB of numbers, or a few strings (which may be long).
func elemBlock(data any) int {
	switch data.(type) {
	case []string, []map[string]float32:
		return 16
	}
	return 1024
}

// appendElems writes elements from to to of data, each after a comma but
// the first of all (index 0), with one loop per element type. rows keeps
// the keys of a sequence of maps from one call to the next.
func appendElems(b []byte, data any, from, to int, asStrings bool, rows *mapRows) []byte {
	switch d := data.(type) {
	case []map[string]float32:
		for i := from; i < to; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = rows.append(b, d[i], asStrings)
		}
	case []float32:
		if from > 0 && from < to {
			b = append(b, ',')
		}
		b = jsonw.AppendFloats32(b, d[from:to])
	case []float64:
		if from > 0 && from < to {
			b = append(b, ',')
		}
		b = jsonw.AppendFloats64(b, d[from:to])
	case []int64:
		b = appendInts(b, d, from, to)
	case []int32:
		b = appendInts(b, d, from, to)
	case []int16:
		b = appendInts(b, d, from, to)
	case []int8:
		b = appendInts(b, d, from, to)
	case []uint8:
		b = appendUints(b, d, from, to)
	case []uint16:
		b = appendUints(b, d, from, to)
	case []uint32:
		b = appendUints(b, d, from, to)
	case []uint64:
		b = appendUints(b, d, from, to)
	default:
		for i := from; i < to; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonw.AppendElem(b, data, i, asStrings)
		}
	}
	return b
}

func appendInts[T int8 | int16 | int32 | int64](b []byte, d []T, from, to int) []byte {
	for i := from; i < to; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(d[i]), 10)
	}
	return b
}

func appendUints[T uint8 | uint16 | uint32 | uint64](b []byte, d []T, from, to int) []byte {
	for i := from; i < to; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(d[i]), 10)
	}
	return b
}

// mapRows writes the rows of a sequence-of-maps output as
// jsonw.AppendMapRow does (keys sorted), or as the JSON string of that
// text. It keeps the last row's sorted keys, each written out in both
// forms: a classifier's rows (ZipMap) all have the same keys, so a row
// costs no sort and no allocation.
type mapRows struct {
	keys   []string
	object [][]byte  // each key as a JSON string, then ':'
	string [][]byte  // the same, escaped as the inside of a JSON string
	vals   []float32 // the row's values in the keys' order
}

func (r *mapRows) append(b []byte, m map[string]float32, asString bool) []byte {
	if !r.same(m) {
		r.learn(m)
		r.same(m)
	}
	prefixes := r.object
	if asString {
		b = append(b, '"')
		prefixes = r.string
	}
	b = append(b, '{')
	for i, v := range r.vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, prefixes[i]...)
		// A number or null: nothing in it needs escaping in a string.
		b = jsonw.AppendFloat(b, float64(v), 32)
	}
	b = append(b, '}')
	if asString {
		b = append(b, '"')
	}
	return b
}

// same reports whether m has exactly the keys kept, reading its values
// into vals on the way (one look-up per key).
func (r *mapRows) same(m map[string]float32) bool {
	if len(m) != len(r.keys) {
		return false
	}
	r.vals = r.vals[:0]
	for _, k := range r.keys {
		v, ok := m[k]
		if !ok {
			return false
		}
		r.vals = append(r.vals, v)
	}
	return true
}

func (r *mapRows) learn(m map[string]float32) {
	r.keys = r.keys[:0]
	for k := range m {
		r.keys = append(r.keys, k)
	}
	slices.Sort(r.keys)
	r.object, r.string = r.object[:0], r.string[:0]
	for _, k := range r.keys {
		obj := append(jsonw.AppendString(nil, k), ':')
		str := jsonw.AppendString(nil, string(obj))
		r.object = append(r.object, obj)
		r.string = append(r.string, str[1:len(str)-1])
	}
}
