package gateway

import (
	"encoding/json"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/internal/jsonscan"
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
	m := make(map[string]json.RawMessage, 8)
	ok := jsonscan.Members(b, func(k, v []byte) bool {
		m[keyString(k)] = v
		return true
	})
	return m, ok
}

// keyString is string(k), without allocating for the members requests
// usually have.
func keyString(k []byte) string {
	switch string(k) {
	case "model":
		return "model"
	case "messages":
		return "messages"
	case "temperature":
		return "temperature"
	case "max_tokens":
		return "max_tokens"
	case "stream":
		return "stream"
	case "n":
		return "n"
	case "stop":
		return "stop"
	case "tools":
		return "tools"
	case "prompt":
		return "prompt"
	case "input":
		return "input"
	}
	return string(k)
}

// elements splits b, one valid JSON value, into the values of an array;
// false when it is not an array.
func elements(b []byte) ([]json.RawMessage, bool) {
	out := []json.RawMessage{}
	ok := jsonscan.Elements(b, func(v []byte) bool {
		out = append(out, v)
		return true
	})
	return out, ok
}

// splitMessages decodes a chat's messages member as json.Unmarshal into a
// []deployments.Message would (Message.UnmarshalJSON: a repeated member's
// last value counts); false for anything it leaves to encoding/json (see
// above).
func splitMessages(raw json.RawMessage) ([]deployments.Message, bool) {
	list, ok := elements(raw)
	if !ok {
		return nil, false
	}
	out := make([]deployments.Message, len(list))
	for i, e := range list {
		m := &out[i]
		ok := jsonscan.Members(e, func(k, v []byte) bool {
			var dst *string
			switch string(k) {
			case "role":
				dst = &m.Role
			case "name":
				dst = &m.Name
			case "tool_call_id":
				dst = &m.ToolCallID
			case "content":
				m.Content = v
				return true
			case "tool_calls":
				m.ToolCalls = v
				if string(v) == "null" {
					m.ToolCalls = nil
				}
				return true
			default:
				if m.Extra == nil {
					m.Extra = make(deployments.Extra, 2)
				}
				m.Extra[string(k)] = v
				return true
			}
			if string(v) == "null" { // as take: null leaves the zero value
				*dst = ""
				return true
			}
			s, ok := jsonscan.PlainString(v)
			*dst = s
			return ok
		})
		if !ok {
			return nil, false
		}
	}
	return out, true
}
