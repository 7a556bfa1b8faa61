package gateway

import (
	"encoding/json"

	"github.com/berthml/berth/api/deployments"
)

// The parse fast path's splitting: a body that json.Valid accepts is cut
// into its members (and a chat's messages into theirs) by one walk over
// the bytes, the values sharing the body's memory, instead of
// encoding/json decoding it into a map and then each message again
// through reflection. Whatever it is not sure to split as encoding/json
// would (a key with escapes or non-ASCII bytes, a message that is not an
// object, a role that is not a plain string) it turns down, and the body
// takes the path that decodes it with encoding/json. FuzzSplit and
// FuzzParseFastPath check both give the same.

// members splits b, one valid JSON value, into its members as
// json.Unmarshal into a map[string]json.RawMessage would (a repeated key:
// the last one); false when b is not an object or has a key that is not
// plain.
func members(b []byte) (map[string]json.RawMessage, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	m := make(map[string]json.RawMessage, 8)
	i = skipSpace(b, i+1)
	if b[i] == '}' {
		return m, true
	}
	for {
		// b is valid JSON: a key (a string) comes here, then ':'.
		j := i + 1
		for ; b[j] != '"'; j++ {
			if c := b[j]; c == '\\' || c >= 0x80 {
				return nil, false
			}
		}
		key := string(b[i+1 : j])
		i = skipSpace(b, skipSpace(b, j+1)+1) // past ':'
		end := skipValue(b, i)
		m[key] = b[i:end:end]
		i = skipSpace(b, end)
		if b[i] != ',' {
			return m, true // '}'
		}
		i = skipSpace(b, i+1)
	}
}

// elements splits b, one valid JSON value, into the values of an array;
// false when it is not an array.
func elements(b []byte) ([]json.RawMessage, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, false
	}
	var out []json.RawMessage
	i = skipSpace(b, i+1)
	if b[i] == ']' {
		return []json.RawMessage{}, true
	}
	for {
		end := skipValue(b, i)
		out = append(out, b[i:end:end])
		i = skipSpace(b, end)
		if b[i] != ',' {
			return out, true // ']'
		}
		i = skipSpace(b, i+1)
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the valid JSON value that starts at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// skipString returns the end of the string that starts at b[i].
func skipString(b []byte, i int) int {
	for i++; ; i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
}

// splitMessages decodes a chat's messages member as json.Unmarshal into a
// []deployments.Message would; false for anything it leaves to
// encoding/json (see above).
func splitMessages(raw json.RawMessage) ([]deployments.Message, bool) {
	list, ok := elements(raw)
	if !ok {
		return nil, false
	}
	out := make([]deployments.Message, len(list))
	for i, e := range list {
		o, ok := members(e)
		if !ok {
			return nil, false
		}
		m := &out[i]
		for _, f := range []struct {
			name string
			dst  *string
		}{{"role", &m.Role}, {"name", &m.Name}, {"tool_call_id", &m.ToolCallID}} {
			v, ok := o[f.name]
			if !ok {
				continue
			}
			delete(o, f.name)
			if string(v) == "null" {
				continue
			}
			if *f.dst, ok = plainString(v); !ok {
				return nil, false
			}
		}
		if c, ok := o["content"]; ok {
			m.Content = c
			delete(o, "content")
		}
		if c, ok := o["tool_calls"]; ok {
			if string(c) != "null" {
				m.ToolCalls = c
			}
			delete(o, "tool_calls")
		}
		if len(o) > 0 {
			m.Extra = o
		}
	}
	return out, true
}

// plainString returns a JSON string literal's value when it holds only
// printable ASCII and no escapes: what decoding it gives, byte for byte.
func plainString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	in := raw[1 : len(raw)-1]
	for _, c := range in {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return "", false
		}
	}
	return string(in), true
}
