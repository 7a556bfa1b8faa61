package otlp

import (
	"encoding/base64"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/berthml/berth/internal/pyvalue"
)

// pyJSON writes an OTLP attribute value as the JSON text MLflow's client
// held before its exporter turned it into an AnyValue: Python's json.dumps
// with ensure_ascii=False (", " and ": " separators, floats as Python's
// repr, non-ASCII characters as they are; internal/pyvalue writes the
// scalars). MLflow's previews are cut from
// that text, so the server computes the same ones from the span.
func pyJSON(v pcommon.Value) string {
	var b strings.Builder
	writePyJSON(&b, v, 0)
	return b.String()
}

// maxPyJSONDepth bounds the nesting written; deeper values are null (OTLP
// bodies are limited in size, but a kvlist can nest deeply in few bytes).
const maxPyJSONDepth = 64

func writePyJSON(b *strings.Builder, v pcommon.Value, depth int) {
	if depth > maxPyJSONDepth {
		b.WriteString("null")
		return
	}
	switch v.Type() {
	case pcommon.ValueTypeStr:
		pyvalue.WriteJSONString(b, v.Str(), false)
	case pcommon.ValueTypeBool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case pcommon.ValueTypeInt:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case pcommon.ValueTypeDouble:
		b.WriteString(pyvalue.FloatJSON(v.Double()))
	case pcommon.ValueTypeBytes:
		pyvalue.WriteJSONString(b, base64.StdEncoding.EncodeToString(v.Bytes().AsRaw()), false)
	case pcommon.ValueTypeSlice:
		b.WriteByte('[')
		s := v.Slice()
		for i := 0; i < s.Len(); i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			writePyJSON(b, s.At(i), depth+1)
		}
		b.WriteByte(']')
	case pcommon.ValueTypeMap:
		b.WriteByte('{')
		first := true
		v.Map().Range(func(k string, e pcommon.Value) bool {
			if !first {
				b.WriteString(", ")
			}
			first = false
			pyvalue.WriteJSONString(b, k, false)
			b.WriteString(": ")
			writePyJSON(b, e, depth+1)
			return true
		})
		b.WriteByte('}')
	default:
		b.WriteString("null")
	}
}
