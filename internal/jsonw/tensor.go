package jsonw

import (
	"slices"
	"strconv"

	"github.com/berthml/berth/internal/ftoa"
)

// AppendElem writes element i of data, a tensor's element slice
// ([]float32 … []string, or []map[string]float32 rows, written as objects
// or, with mapAsString, as strings holding them); other types as null.
func AppendElem(b []byte, data any, i int, mapAsString bool) []byte {
	switch d := data.(type) {
	case []float32:
		return AppendFloat(b, float64(d[i]), 32)
	case []float64:
		return AppendFloat(b, d[i], 64)
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
		return AppendString(b, d[i])
	case []map[string]float32:
		if mapAsString {
			return AppendString(b, string(AppendMapRow(nil, d[i])))
		}
		return AppendMapRow(b, d[i])
	}
	return append(b, "null"...)
}

// AppendFloat writes v as encoding/json does, with ".0" on integral values
// so that readers see a float, and null for NaN and ±Inf (ftoa.JSON). As
// ftoa's writers, AppendFloat, AppendFloats32 and AppendFloats64 may write
// up to 48 bytes of b's spare capacity past what they append, as scratch.
func AppendFloat(b []byte, v float64, bits int) []byte {
	if bits == 32 {
		return ftoa.AppendFloat32(b, float32(v), ftoa.JSON)
	}
	return ftoa.AppendFloat64(b, v, ftoa.JSON)
}

// AppendFloats32 writes vals separated by commas, each as AppendFloat
// writes a float32, in one loop.
func AppendFloats32(b []byte, vals []float32) []byte {
	return ftoa.AppendFloats32(b, vals, ftoa.JSON)
}

// AppendFloats64 writes vals separated by commas, each as AppendFloat
// writes a float64, in one loop.
func AppendFloats64(b []byte, vals []float64) []byte {
	return ftoa.AppendFloats64(b, vals, ftoa.JSON)
}

// AppendMapRow writes one row of a sequence-of-maps tensor as a JSON object with sorted
// keys.
func AppendMapRow(b []byte, m map[string]float32) []byte {
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
		b = AppendString(b, k)
		b = append(b, ':')
		b = AppendFloat(b, float64(m[k]), 32)
	}
	return append(b, '}')
}
