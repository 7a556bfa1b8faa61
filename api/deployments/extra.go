package deployments

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/berthml/berth/internal/jsonscan"
)

// Extra holds a JSON object's members that a type does not name, each as
// its raw JSON, to be written back unchanged.
type Extra map[string]json.RawMessage

// FieldError says which member of a JSON object could not be decoded and
// why.
type FieldError struct {
	Field string // the member's name, e.g. "temperature"
	Err   error
}

func (e *FieldError) Error() string { return fmt.Sprintf("field %q: %v", e.Field, e.Err) }

func (e *FieldError) Unwrap() error { return e.Err }

// splitObject decodes data as one JSON object into its members.
func splitObject(data []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("not a JSON object: %.20s", data)
	}
	return m, nil
}

// take decodes member name of m into dst (when present) and removes it
// from m. A JSON null leaves dst as it is.
func take(m map[string]json.RawMessage, name string, dst any) error {
	raw, ok := m[name]
	if !ok {
		return nil
	}
	delete(m, name)
	if isNull(raw) {
		return nil
	}
	if takePlain(raw, dst) {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return &FieldError{Field: name, Err: err}
	}
	return nil
}

// takePlain decodes the common simple cases of take without
// encoding/json's reflection: a string without escapes or non-ASCII bytes,
// a number into a float64 or an int, true or false. It reports false
// (leaving dst alone) for anything else, which take then hands to
// json.Unmarshal, so that the values and the errors stay encoding/json's.
// raw is one valid JSON value (a member of an object json.Unmarshal split).
func takePlain(raw json.RawMessage, dst any) bool {
	switch d := dst.(type) {
	case *string:
		if s, ok := jsonscan.PlainString(raw); ok {
			*d = s
			return true
		}
	case **float64:
		if isNumber(raw) {
			if f, err := strconv.ParseFloat(string(raw), 64); err == nil {
				*d = &f
				return true
			}
		}
	case **int:
		if isNumber(raw) {
			if n, err := strconv.ParseInt(string(raw), 10, strconv.IntSize); err == nil {
				v := int(n)
				*d = &v
				return true
			}
		}
	case **bool:
		switch string(raw) {
		case "true", "false":
			v := raw[0] == 't'
			*d = &v
			return true
		}
	}
	return false
}

// appendString appends s as json.Marshal writes it.
func appendString(b []byte, s string) ([]byte, error) {
	if jsonscan.PlainText(s) {
		return append(append(append(b, '"'), s...), '"'), nil
	}
	v, err := json.Marshal(s)
	return append(b, v...), err
}

// isNumber reports whether raw, a valid JSON value, is a number.
func isNumber(raw []byte) bool {
	return len(raw) > 0 && (raw[0] == '-' || ('0' <= raw[0] && raw[0] <= '9'))
}

func isNull(raw json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// member is one member of an object being written.
type member struct {
	name  string
	value any
}

// writeObject writes the members in order, then extra's members (sorted by
// name, those not already written). A nil value is left out.
func writeObject(members []member, extra Extra) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	put := func(name string, v []byte) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		if jsonscan.PlainText(name) {
			b.WriteByte('"')
			b.WriteString(name)
			b.WriteByte('"')
		} else {
			k, _ := json.Marshal(name)
			b.Write(k)
		}
		b.WriteByte(':')
		b.Write(v)
	}
	for _, m := range members {
		if m.value == nil {
			continue
		}
		v, err := marshalValue(m.value)
		if err != nil {
			return nil, fmt.Errorf("encoding %s: %w", m.name, err)
		}
		put(m.name, v)
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if !slices.ContainsFunc(members, func(m member) bool { return m.value != nil && m.name == k }) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := extra[k]
		if len(v) == 0 {
			v = json.RawMessage("null")
		}
		put(k, v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshalValue is json.Marshal(v), written without reflection for the
// simple values the wire types hold (strings without anything to escape,
// ints, booleans, floats in plain notation); the same bytes either way.
func marshalValue(v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		if jsonscan.PlainText(x) {
			b := make([]byte, 0, len(x)+2)
			return append(append(append(b, '"'), x...), '"'), nil
		}
	case *int:
		if x != nil {
			return strconv.AppendInt(nil, int64(*x), 10), nil
		}
	case *bool:
		if x != nil {
			return strconv.AppendBool(nil, *x), nil
		}
	case *float64:
		if x == nil {
			break
		}
		if a := math.Abs(*x); a == 0 || (a >= 1e-6 && a < 1e21) {
			return strconv.AppendFloat(nil, *x, 'f', -1, 64), nil
		}
	}
	return json.Marshal(v)
}

// opt returns v as an any that is nil when v is.
func opt[T any](v *T) any {
	if v == nil {
		return nil
	}
	return v
}

// raw returns r as an any that is nil when r is empty.
func raw(r json.RawMessage) any {
	if len(r) == 0 {
		return nil
	}
	return r
}

// str returns s as an any that is nil when s is empty.
func str(s string) any {
	if s == "" {
		return nil
	}
	return s
}
