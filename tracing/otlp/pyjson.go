package otlp

import (
	"encoding/base64"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// pyJSON writes an OTLP attribute value as the JSON text MLflow's client
// held before its exporter turned it into an AnyValue: Python's json.dumps
// with ensure_ascii=False (", " and ": " separators, floats as Python's
// repr, non-ASCII characters as they are). MLflow's previews are cut from
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
		writePyString(b, v.Str())
	case pcommon.ValueTypeBool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case pcommon.ValueTypeInt:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case pcommon.ValueTypeDouble:
		b.WriteString(pyFloat(v.Double()))
	case pcommon.ValueTypeBytes:
		writePyString(b, base64.StdEncoding.EncodeToString(v.Bytes().AsRaw()))
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
			writePyString(b, k)
			b.WriteString(": ")
			writePyJSON(b, e, depth+1)
			return true
		})
		b.WriteByte('}')
	default:
		b.WriteString("null")
	}
}

// writePyString is json.dumps(s, ensure_ascii=False): '"' and '\' and the
// control characters escaped, everything else as it is.
func writePyString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

// pyFloat is Python's repr of a float, as json.dumps writes it.
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	// The shortest digits that read back as f, and the decimal exponent.
	e := strconv.FormatFloat(f, 'e', -1, 64) // "-1.2345e+06"
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	sign := ""
	if strings.HasPrefix(mant, "-") {
		sign, mant = "-", mant[1:]
	}
	digits := strings.Replace(mant, ".", "", 1)
	if exp < -4 || exp >= 16 {
		out := digits[:1]
		if len(digits) > 1 {
			out += "." + digits[1:]
		}
		es := "+"
		if exp < 0 {
			es, exp = "-", -exp
		}
		if exp < 10 {
			es += "0"
		}
		return sign + out + "e" + es + strconv.Itoa(exp)
	}
	if exp < 0 {
		return sign + "0." + strings.Repeat("0", -exp-1) + digits
	}
	if len(digits) <= exp+1 {
		return sign + digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
	}
	return sign + digits[:exp+1] + "." + digits[exp+1:]
}
