package pyvalue

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// A Mapping is a Python dict: Len entries, each a key and a value, in the
// dict's order.
type Mapping interface {
	Len() int
	Entry(i int) (key string, value any)
}

// Dict is a Mapping held as a slice; Decode returns objects as Dicts.
type Dict []Item

// Item is one entry of a Dict.
type Item struct {
	Key   string
	Value any
}

// Len is the number of entries.
func (d Dict) Len() int { return len(d) }

// Entry is the i-th entry.
func (d Dict) Entry(i int) (string, any) { return d[i].Key, d[i].Value }

// Get is the value of key, as d[key] in Python; ok is false when d has no
// such key.
func (d Dict) Get(key string) (value any, ok bool) {
	for _, it := range d {
		if it.Key == key {
			return it.Value, true
		}
	}
	return nil, false
}

// Set is d[key] = value in Python: a key already there keeps its place and
// takes the new value, a new key goes last.
func (d *Dict) Set(key string, value any) {
	for i := range *d {
		if (*d)[i].Key == key {
			(*d)[i].Value = value
			return
		}
	}
	*d = append(*d, Item{key, value})
}

// Dumps is json.dumps(v, indent=indent) with its other defaults
// (ensure_ascii, ", " between items without an indent and "," with one,
// ": " after keys); indent < 0 is no indent. v is of the value model in
// the package comment; Dumps panics on any other type, as a mistake of
// its caller.
func Dumps(v any, indent int) string {
	var b strings.Builder
	writeDumps(&b, v, indent, 0)
	return b.String()
}

func writeDumps(b *strings.Builder, v any, indent, depth int) {
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
	case []string:
		a := make([]any, len(x))
		for i, s := range x {
			a[i] = s
		}
		writeDumps(b, a, indent, depth)
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
			writeDumps(b, it, indent, depth+1)
		}
		nl(depth)
		b.WriteByte(']')
	case Mapping:
		if x.Len() == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteByte('{')
		for i := range x.Len() {
			if i > 0 {
				b.WriteString(sep)
			}
			nl(depth + 1)
			k, e := x.Entry(i)
			WriteJSONString(b, k, true)
			b.WriteString(": ")
			writeDumps(b, e, indent, depth+1)
		}
		nl(depth)
		b.WriteByte('}')
	default:
		writeScalar(b, v, true)
	}
}

// writeScalar writes a scalar of the value model as json.dumps (asJSON) or
// repr writes it.
func writeScalar(b *strings.Builder, v any, asJSON bool) {
	switch x := v.(type) {
	case nil:
		b.WriteString(pick(asJSON, "null", "None"))
	case bool:
		if x {
			b.WriteString(pick(asJSON, "true", "True"))
		} else {
			b.WriteString(pick(asJSON, "false", "False"))
		}
	case string:
		if asJSON {
			WriteJSONString(b, x, true)
		} else {
			WriteStrRepr(b, x)
		}
	case json.Number:
		t := NumberJSON(x)
		if !asJSON {
			switch t {
			case "Infinity":
				t = "inf"
			case "-Infinity":
				t = "-inf"
			}
		}
		b.WriteString(t)
	case float64:
		if asJSON {
			b.WriteString(FloatJSON(x))
		} else {
			b.WriteString(FloatRepr(x))
		}
	case float32:
		if g := float64(x); asJSON && (math.IsNaN(g) || math.IsInf(g, 0)) {
			b.WriteString(FloatJSON(g))
		} else {
			b.WriteString(Float32Repr(x))
		}
	case int:
		b.WriteString(strconv.Itoa(x))
	default:
		panic(fmt.Sprintf("pyvalue: no Python value for %T", v))
	}
}

func pick(asJSON bool, j, py string) string {
	if asJSON {
		return j
	}
	return py
}

// NumberJSON is a JSON number as Python's json module writes it back after
// reading it: an int as it is ("-0" as "0"), a float in repr form, one too
// large for a float as "Infinity" or "-Infinity".
func NumberJSON(n json.Number) string {
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
	return FloatJSON(f)
}

// Repr is Python's repr of v (of the value model): None, True, False,
// strings quoted as StrRepr, numbers as Python prints them, lists and
// dicts with ", " and ": ".
func Repr(v any) string {
	var b strings.Builder
	writeRepr(&b, v)
	return b.String()
}

func writeRepr(b *strings.Builder, v any) {
	switch x := v.(type) {
	case []string:
		b.WriteString(ListRepr(x))
	case []any:
		b.WriteByte('[')
		for i, it := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, it)
		}
		b.WriteByte(']')
	case Mapping:
		b.WriteByte('{')
		for i := range x.Len() {
			if i > 0 {
				b.WriteString(", ")
			}
			k, e := x.Entry(i)
			WriteStrRepr(b, k)
			b.WriteString(": ")
			writeRepr(b, e)
		}
		b.WriteByte('}')
	default:
		writeScalar(b, v, false)
	}
}

// Str is Python's str() of v: a string as it is, anything else as Repr.
func Str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return Repr(v)
}

// MaxDepth is how deeply Decode lets arrays and objects nest.
const MaxDepth = 100

// Decode reads the JSON text raw as Python's json.loads does, into the
// value model: objects as Dicts with their keys in order (a repeated key
// keeps its first place and its last value, as a dict does), numbers as
// json.Number. Nesting deeper than MaxDepth and trailing data (a stray
// "]" or "}" included) are errors; text that ends inside the value is
// io.ErrUnexpectedEOF.
func Decode(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data after the JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("JSON nested more than %d deep", MaxDepth)
	}
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := t.(json.Delim)
	if !ok {
		return t, nil
	}
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
		out := Dict{}
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
				out[i].Value = v
				continue
			}
			idx[k] = len(out)
			out = append(out, Item{k, v})
		}
		_, err := dec.Token()
		return out, err
	}
	return nil, fmt.Errorf("unexpected %v", d)
}
