package prompt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file writes values as Python writes them: json.dumps with its
// defaults (", " and ": " separators, ensure_ascii) and str() of a value
// decoded from JSON (MLflow stringifies model parameters with str()).

// ordered is a JSON object with its keys in order.
type ordered []kv

// pyJSON writes v as Python's json.dumps(v, indent=indent) does (indent <
// 0 for none). v holds nil, bool, string, json.Number, float64, int,
// []any, []string and ordered.
func pyJSON(v any, indent int) string {
	var b bytes.Buffer
	writePyJSON(&b, v, indent, 0)
	return b.String()
}

func writePyJSON(b *bytes.Buffer, v any, indent, depth int) {
	nl := func(d int) {
		if indent >= 0 {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat(" ", indent*d))
		}
	}
	sep := ", "
	if indent >= 0 {
		sep = ","
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case string:
		pyJSONString(b, x)
	case json.Number:
		b.WriteString(jsonNumberText(x))
	case float64:
		b.WriteString(pyFloatRepr(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case []string:
		a := make([]any, len(x))
		for i, s := range x {
			a[i] = s
		}
		writePyJSON(b, a, indent, depth)
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		for i, it := range x {
			if i > 0 {
				b.WriteString(sep)
			}
			nl(depth + 1)
			writePyJSON(b, it, indent, depth+1)
		}
		nl(depth)
		b.WriteByte(']')
	case ordered:
		if len(x) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteByte('{')
		for i, p := range x {
			if i > 0 {
				b.WriteString(sep)
			}
			nl(depth + 1)
			pyJSONString(b, p.k)
			b.WriteString(": ")
			writePyJSON(b, p.v, indent, depth+1)
		}
		nl(depth)
		b.WriteByte('}')
	default:
		panic(fmt.Sprintf("prompt: no JSON for %T", v))
	}
}

// jsonNumberText is a JSON number as Python's json module writes it back
// after reading it: an int as is, a float in repr form.
func jsonNumberText(n json.Number) string {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if s == "-0" {
			return "0"
		}
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return s
	}
	if math.IsInf(f, 1) {
		return "Infinity"
	}
	if math.IsInf(f, -1) {
		return "-Infinity"
	}
	return pyFloatRepr(f)
}

// pyJSONString writes s as json.dumps does with ensure_ascii.
func pyJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r >= 0x20 && r <= 0x7E:
				b.WriteRune(r)
			case r > 0xFFFF:
				r -= 0x10000
				fmt.Fprintf(b, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
			default:
				fmt.Fprintf(b, `\u%04x`, r)
			}
		}
	}
	b.WriteByte('"')
}

// pyFloatRepr is Python's repr of a float: the shortest digits that read
// back, in fixed notation for exponents from -4 to 15, else scientific.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, expText, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expText)
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	digits := strings.Replace(mant, ".", "", 1)
	sign := ""
	if neg {
		sign = "-"
	}
	if exp < -4 || exp >= 16 {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		es := "+"
		if exp < 0 {
			es, exp = "-", -exp
		}
		return fmt.Sprintf("%s%se%s%02d", sign, m, es, exp)
	}
	if exp < 0 {
		return sign + "0." + strings.Repeat("0", -exp-1) + digits
	}
	if len(digits) <= exp+1 {
		return sign + digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
	}
	return sign + digits[:exp+1] + "." + digits[exp+1:]
}

// pyStr is Python's str() of a value decoded by json.loads: a string as
// is, numbers as Python prints them, True/False/None, and lists and dicts
// in repr form.
func pyStr(raw json.RawMessage) (string, error) {
	v, err := decodeOrdered(raw)
	if err != nil {
		return "", err
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	var b strings.Builder
	pyRepr(&b, v)
	return b.String(), nil
}

func pyRepr(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case string:
		pyReprString(b, x)
	case json.Number:
		t := jsonNumberText(x)
		switch t {
		case "Infinity":
			t = "inf"
		case "-Infinity":
			t = "-inf"
		}
		b.WriteString(t)
	case []any:
		b.WriteByte('[')
		for i, it := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			pyRepr(b, it)
		}
		b.WriteByte(']')
	case ordered:
		b.WriteByte('{')
		for i, p := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			pyReprString(b, p.k)
			b.WriteString(": ")
			pyRepr(b, p.v)
		}
		b.WriteByte('}')
	}
}

// pyReprString is Python's repr of a str.
func pyReprString(b *strings.Builder, s string) {
	q := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		q = '"'
	}
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError:
			b.WriteString(`\ufffd`)
		case r < 0x20 || r == 0x7F:
			fmt.Fprintf(b, `\x%02x`, r)
		case r < 0x80 || unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xFF:
			fmt.Fprintf(b, `\x%02x`, r)
		case r <= 0xFFFF:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			fmt.Fprintf(b, `\U%08x`, r)
		}
	}
	b.WriteByte(q)
}

// decodeOrdered decodes JSON keeping object keys in order, as Python's
// dicts do. A repeated key keeps its first place and its last value.
func decodeOrdered(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}

const maxJSONDepth = 100

func decodeValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, fmt.Errorf("JSON nested more than %d deep", maxJSONDepth)
	}
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch d := t.(type) {
	case json.Delim:
		switch d {
		case '[':
			out := []any{}
			for dec.More() {
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			_, err := dec.Token()
			return out, err
		case '{':
			out := ordered{}
			idx := map[string]int{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				if i, ok := idx[k]; ok {
					out[i].v = v
					continue
				}
				idx[k] = len(out)
				out = append(out, kv{k, v})
			}
			_, err := dec.Token()
			return out, err
		}
		return nil, fmt.Errorf("unexpected %v", d)
	default:
		return t, nil
	}
}

// PyStr is Python's str() of the JSON value raw: MLflow stringifies model
// parameters that way ("0.5", "64", "['END']").
func PyStr(raw []byte) (string, error) { return pyStr(raw) }
