package deployments

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
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
	if err := json.Unmarshal(raw, dst); err != nil {
		return &FieldError{Field: name, Err: err}
	}
	return nil
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
	written := make(map[string]bool, len(members))
	put := func(name string, v []byte) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(name)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	for _, m := range members {
		if m.value == nil {
			continue
		}
		v, err := json.Marshal(m.value)
		if err != nil {
			return nil, fmt.Errorf("encoding %s: %w", m.name, err)
		}
		put(m.name, v)
		written[m.name] = true
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if !written[k] {
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
