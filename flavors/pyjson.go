package flavors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
)

// jsonObject is a decoded JSON object that keeps its keys in order, as
// Python's json module does. A repeated key keeps its first place and its
// last value, as in Python.
type jsonObject struct {
	keys []string
	vals map[string]any
}

func (o *jsonObject) set(k string, v any) {
	if o.vals == nil {
		o.vals = map[string]any{}
	}
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

// decodeOrdered decodes exactly one JSON value into nil, bool, string,
// json.Number, []any or *jsonObject.
func decodeOrdered(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeOrderedValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

func decodeOrderedValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if errors.Is(err, io.EOF) {
		return nil, io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '[':
			list := []any{}
			for dec.More() {
				v, err := decodeOrderedValue(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token()
			return list, err
		case '{':
			obj := &jsonObject{vals: map[string]any{}}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeOrderedValue(dec)
				if err != nil {
					return nil, err
				}
				obj.set(k.(string), v)
			}
			_, err := dec.Token()
			return obj, err
		}
		return nil, fmt.Errorf("unexpected %q", t)
	case json.Number:
		if _, err := pyNumber(t); err != nil {
			return nil, err
		}
	}
	return tok, nil
}

// pyNumber formats a JSON number as Python's json.dumps(json.loads(n))
// does: integers keep their digits, other numbers become a float's repr.
func pyNumber(n json.Number) (string, error) {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if s == "-0" {
			return "0", nil
		}
		return s, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "", fmt.Errorf("number %s is out of range", s)
	}
	return pyFloatRepr(f, 64), nil
}

// pyJSON writes v as Python's json.dumps does with its default separators
// (", " and ": ") and ensure_ascii. v is a value from decodeOrdered or a
// plain Go value (numbers, strings, bools, nil, slices, maps with string
// keys, whose keys are written sorted).
func pyJSON(buf *bytes.Buffer, v any) error {
	switch t := v.(type) {
	case nil:
		buf.WriteString("null")
		return nil
	case *jsonObject:
		buf.WriteByte('{')
		for i, k := range t.keys {
			if i > 0 {
				buf.WriteString(", ")
			}
			pyJSONString(buf, k)
			buf.WriteString(": ")
			if err := pyJSON(buf, t.vals[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
		return nil
	case json.Number:
		s, err := pyNumber(t)
		buf.WriteString(s)
		return err
	}
	return pyJSONReflect(buf, reflect.ValueOf(v))
}

func pyJSONReflect(buf *bytes.Buffer, v reflect.Value) error {
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			buf.WriteString("null")
			return nil
		}
		return pyJSON(buf, v.Elem().Interface())
	case reflect.Bool:
		buf.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		buf.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		buf.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%v is not valid JSON", f)
		}
		buf.WriteString(pyFloatRepr(f, v.Type().Bits()))
	case reflect.String:
		pyJSONString(buf, v.String())
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			buf.WriteString("null")
			return nil
		}
		buf.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				buf.WriteString(", ")
			}
			if err := pyJSON(buf, v.Index(i).Interface()); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return fmt.Errorf("cannot write a map with %s keys as JSON", v.Type().Key())
		}
		if v.IsNil() {
			buf.WriteString("null")
			return nil
		}
		obj := &jsonObject{}
		for it := v.MapRange(); it.Next(); {
			obj.set(it.Key().String(), it.Value().Interface())
		}
		slices.Sort(obj.keys)
		return pyJSON(buf, obj)
	default:
		if !v.IsValid() {
			buf.WriteString("null")
			return nil
		}
		return fmt.Errorf("cannot write a %s as JSON", v.Type())
	}
	return nil
}

// pyJSONString writes s quoted as Python's json.dumps does with
// ensure_ascii: every character outside printable ASCII as \uXXXX.
func pyJSONString(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			buf.WriteString(`\"`)
		case r == '\\':
			buf.WriteString(`\\`)
		case r == '\n':
			buf.WriteString(`\n`)
		case r == '\r':
			buf.WriteString(`\r`)
		case r == '\t':
			buf.WriteString(`\t`)
		case r == '\b':
			buf.WriteString(`\b`)
		case r == '\f':
			buf.WriteString(`\f`)
		case r >= 0x20 && r <= 0x7e:
			buf.WriteRune(r)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(buf, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(buf, `\u%04x`, r)
		}
	}
	buf.WriteByte('"')
}

// plainJSON converts a value from decodeOrdered to plain Go values: objects
// become map[string]any and numbers int64 when integral (json.Number when
// too large for int64), else float64.
func plainJSON(v any) any {
	switch t := v.(type) {
	case *jsonObject:
		m := make(map[string]any, len(t.keys))
		for _, k := range t.keys {
			m[k] = plainJSON(t.vals[k])
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = plainJSON(e)
		}
		return out
	case json.Number:
		if !strings.ContainsAny(string(t), ".eE") {
			if i, err := t.Int64(); err == nil {
				return i
			}
			return t
		}
		f, _ := t.Float64()
		return f
	}
	return v
}

// pyFloatRepr formats a finite f as Python's repr(float) does: the shortest
// digits that read back, in positional notation for exponents from -4 to 15
// (with at least one decimal), else as 1.5e-07 or 1e+16.
func pyFloatRepr(f float64, bits int) string {
	e := strconv.FormatFloat(f, 'e', -1, bits)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, bits)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
