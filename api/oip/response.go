package oip

import (
	"github.com/berthml/berth/internal/jsonw"

	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/berthml/berth/flavors"
)

// EncodeInferResponse writes the response to req (nil for defaults) with
// outputs. Outputs go as flat JSON data unless req asks for them as binary
// data; then body is the JSON header followed by the binary data and
// headerLen is the header's length, for the Inference-Header-Content-Length
// header (with Content-Type application/octet-stream). headerLen is -1 for a
// pure JSON body. An error means an output is not a valid tensor: a server
// fault, not the client's.
func EncodeInferResponse(modelName, version, id string, outputs []*flavors.Tensor, req *Request) (body []byte, headerLen int, err error) {
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
		} else {
			est += 8 * t.Len()
		}
		est += 64 + len(t.Name)
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
		b = appendData(b, t, true)
		b = append(b, '}')
	}
	b = append(b, "]}"...)
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
// otherwise.
func appendData(b []byte, t *flavors.Tensor, asStrings bool) []byte {
	b = append(b, '[')
	n := t.Len()
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendElem(b, t.Data, i, asStrings)
	}
	return append(b, ']')
}

// appendElem writes element i of data, a Tensor's Data.
func appendElem(b []byte, data any, i int, mapAsString bool) []byte {
	switch d := data.(type) {
	case []float32:
		return appendFloat(b, float64(d[i]), 32)
	case []float64:
		return appendFloat(b, d[i], 64)
	case []int8:
		return strconv.AppendInt(b, int64(d[i]), 10)
	case []int16:
		return strconv.AppendInt(b, int64(d[i]), 10)
	case []int32:
		return strconv.AppendInt(b, int64(d[i]), 10)
	case []int64:
		return strconv.AppendInt(b, d[i], 10)
	case []uint8:
		return strconv.AppendUint(b, uint64(d[i]), 10)
	case []uint16:
		return strconv.AppendUint(b, uint64(d[i]), 10)
	case []uint32:
		return strconv.AppendUint(b, uint64(d[i]), 10)
	case []uint64:
		return strconv.AppendUint(b, d[i], 10)
	case []bool:
		return strconv.AppendBool(b, d[i])
	case []string:
		return jsonw.AppendString(b, d[i])
	case []map[string]float32:
		if mapAsString {
			return jsonw.AppendString(b, string(appendMapRow(nil, d[i])))
		}
		return appendMapRow(b, d[i])
	}
	return append(b, "null"...)
}

// appendFloat writes v as encoding/json does, with ".0" on integral values
// so that readers see a float, and null for NaN and ±Inf.
func appendFloat(b []byte, v float64, bits int) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	abs := math.Abs(v)
	format := byte('f')
	if abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	at := len(b)
	b = strconv.AppendFloat(b, v, format, -1, bits)
	if format == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		if n := len(b); n-at >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
		return b
	}
	for _, c := range b[at:] {
		if c == '.' {
			return b
		}
	}
	return append(b, ".0"...)
}

// appendMapRow writes one row of a Map tensor as a JSON object with sorted
// keys.
func appendMapRow(b []byte, m map[string]float32) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonw.AppendString(b, k)
		b = append(b, ':')
		b = appendFloat(b, float64(m[k]), 32)
	}
	return append(b, '}')
}
