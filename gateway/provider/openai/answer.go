package openai

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/berthml/berth/internal/jsonscan"
)

// parseChat reads an upstream chat answer into u as json.Unmarshal would,
// by one walk over the bytes for the answers upstreams send; it reports
// false (u then undefined) for anything it is not sure to read the same —
// a member of an unexpected JSON type, a name that only case-folds to a
// known one, a known member twice, a number that is not a plain integer —
// and the caller decodes with encoding/json. FuzzParseChat checks they
// agree.
func parseChat(b []byte, u *upstreamChat) bool {
	if !json.Valid(b) {
		return false
	}
	*u = upstreamChat{}
	var seen [5]bool
	return jsonscan.Members(b, func(k, v []byte) bool {
		i := -1
		switch string(k) {
		case "id":
			i = 0
		case "created":
			i = 1
		case "model":
			i = 2
		case "choices":
			i = 3
		case "usage":
			i = 4
		default:
			return !foldsTo(k, "id", "created", "model", "choices", "usage")
		}
		if seen[i] {
			return false
		}
		seen[i] = true
		switch i {
		case 0:
			return decodeString(v, &u.ID)
		case 1:
			return decodeInt(v, &u.Created)
		case 2:
			return decodeString(v, &u.Model)
		case 3:
			return decodeChoices(v, u)
		default:
			return decodeUsage(v, u)
		}
	})
}

func decodeChoices(v []byte, u *upstreamChat) bool {
	if string(v) == "null" {
		return true // the slice stays nil
	}
	list := make([][]byte, 0, 1)
	if !jsonscan.Elements(v, func(e []byte) bool { list = append(list, e); return true }) {
		return false
	}
	u.Choices = make([]upstreamChoice, len(list))
	for j, e := range list {
		c := &u.Choices[j]
		var seen [3]bool
		if !jsonscan.Members(e, func(k, v []byte) bool {
			i := -1
			switch string(k) {
			case "index":
				i = 0
			case "message":
				i = 1
			case "finish_reason":
				i = 2
			default:
				return !foldsTo(k, "index", "message", "finish_reason")
			}
			if seen[i] {
				return false
			}
			seen[i] = true
			switch i {
			case 0:
				var n int64
				ok := decodeInt(v, &n)
				c.Index = int(n)
				return ok
			case 1:
				return decodeMessage(v, c)
			default:
				return decodeStringPtr(v, &c.FinishReason)
			}
		}) {
			return false
		}
	}
	return true
}

func decodeMessage(v []byte, c *upstreamChoice) bool {
	if string(v) == "null" {
		return true
	}
	var seen [3]bool
	return jsonscan.Members(v, func(k, v []byte) bool {
		i := -1
		switch string(k) {
		case "role":
			i = 0
		case "content":
			i = 1
		case "tool_calls":
			i = 2
		default:
			return !foldsTo(k, "role", "content", "tool_calls")
		}
		if seen[i] {
			return false
		}
		seen[i] = true
		switch i {
		case 0:
			return decodeString(v, &c.Message.Role)
		case 1:
			return decodeStringPtr(v, &c.Message.Content)
		default:
			c.Message.ToolCalls = json.RawMessage(v)
			return true
		}
	})
}

func decodeUsage(v []byte, u *upstreamChat) bool {
	if string(v) == "null" {
		return true
	}
	var seen [3]bool
	return jsonscan.Members(v, func(k, v []byte) bool {
		var dst **int
		i := -1
		switch string(k) {
		case "prompt_tokens":
			i, dst = 0, &u.Usage.PromptTokens
		case "completion_tokens":
			i, dst = 1, &u.Usage.CompletionTokens
		case "total_tokens":
			i, dst = 2, &u.Usage.TotalTokens
		default:
			return !foldsTo(k, "prompt_tokens", "completion_tokens", "total_tokens")
		}
		if seen[i] {
			return false
		}
		seen[i] = true
		if string(v) == "null" {
			return true // stays nil
		}
		var n int64
		if !decodeInt(v, &n) {
			return false
		}
		x := int(n)
		*dst = &x
		return true
	})
}

// foldsTo reports whether k matches one of names only as encoding/json's
// case-insensitive match would (k itself is none of them).
func foldsTo(k []byte, names ...string) bool {
	for _, n := range names {
		if strings.EqualFold(string(k), n) {
			return true
		}
	}
	return false
}

// decodeString sets *dst from a JSON string (null leaves it); false for
// any other JSON type.
func decodeString(v []byte, dst *string) bool {
	switch {
	case string(v) == "null":
		return true
	case v[0] != '"':
		return false
	}
	if s, ok := jsonscan.PlainString(v); ok {
		*dst = s
		return true
	}
	return json.Unmarshal(v, dst) == nil // escapes, non-ASCII: encoding/json's own reading
}

func decodeStringPtr(v []byte, dst **string) bool {
	if string(v) == "null" {
		*dst = nil
		return true
	}
	var s string
	if !decodeString(v, &s) {
		return false
	}
	*dst = &s
	return true
}

// decodeInt sets *dst from a JSON integer (null leaves it); false for
// anything else, fractions and exponents included (encoding/json refuses
// those for an integer field).
func decodeInt(v []byte, dst *int64) bool {
	if string(v) == "null" {
		return true
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return false
	}
	*dst = n
	return true
}
