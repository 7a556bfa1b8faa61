package jsonscan

import (
	"encoding/json"
	"unicode/utf8"
)

// Skip scans the value at i (white space first is allowed) without
// decoding it and returns the offset just past it. depth is the value's
// own depth: 1 for a document's top-level value; a container deeper than
// [MaxDepth] is a [TooDeep] error. A bad number's error is at the
// number's start; other errors are at the offending byte.
func Skip[T Text](b T, i, depth int) (int, *Error) {
	i = SkipSpace(b, i)
	if i >= len(b) {
		return i, &Error{i, ExpectedValue}
	}
	switch c := b[i]; {
	case c == '"':
		end, _, p := String(b, i+1)
		if p != 0 {
			return end, &Error{end, p}
		}
		return end + 1, nil
	case c == '[' || c == '{':
		if depth > MaxDepth {
			return i, &Error{i, TooDeep}
		}
		closer, want := byte(']'), ExpectedArrayEnd
		if c == '{' {
			closer, want = '}', ExpectedObjectEnd
		}
		i = SkipSpace(b, i+1)
		if i < len(b) && b[i] == closer {
			return i + 1, nil
		}
		for {
			if c == '{' {
				i = SkipSpace(b, i)
				if i >= len(b) || b[i] != '"' {
					return i, &Error{i, ExpectedKey}
				}
				end, _, p := String(b, i+1)
				if p != 0 {
					return end, &Error{end, p}
				}
				i = SkipSpace(b, end+1)
				if i >= len(b) || b[i] != ':' {
					return i, &Error{i, ExpectedColon}
				}
				i++
			}
			var err *Error
			if i, err = Skip(b, i, depth+1); err != nil {
				return i, err
			}
			i = SkipSpace(b, i)
			switch {
			case i < len(b) && b[i] == ',':
				i++
			case i < len(b) && b[i] == closer:
				return i + 1, nil
			default:
				return i, &Error{i, want}
			}
		}
	case c == '-' || c >= '0' && c <= '9':
		_, end, p := Number(b, i)
		if p != 0 {
			return i, &Error{i, p}
		}
		return end, nil
	}
	for _, w := range [...]string{"true", "false", "null"} {
		if len(b)-i >= len(w) && string(b[i:i+len(w)]) == w {
			return i + len(w), nil
		}
	}
	return i, &Error{i, ExpectedValue}
}

// Valid reports whether b is one JSON value, at most [MaxDepth] deep,
// with only white space around it. Unlike [json.Valid] it does not check
// UTF-8: callers that need it check it once for the whole body.
func Valid[T Text](b T) bool {
	end, err := Skip(b, 0, 1)
	return err == nil && SkipSpace(b, end) == len(b)
}

// Decode decodes b as [encoding/json] does into an any with UseNumber:
// nil, bool, string, [json.Number], []any and map[string]any (the last of
// duplicate keys wins). It refuses what encoding/json accepts only where
// b is nested deeper than [MaxDepth] or is not UTF-8 (encoding/json
// replaces bad bytes with U+FFFD).
func Decode(b []byte) (any, error) {
	if !utf8.Valid(b) {
		return nil, &Error{0, InvalidUTF8}
	}
	v, end, err := Value(b, 0, 1)
	if err != nil {
		return nil, err
	}
	if end = SkipSpace(b, end); end < len(b) {
		return nil, &Error{end, TrailingData}
	}
	return v, nil
}

// Value decodes the value at i (white space first is allowed) as
// [Decode] does, and returns the offset just past it. depth is as for
// [Skip].
func Value(b []byte, i, depth int) (any, int, *Error) {
	i = SkipSpace(b, i)
	if i >= len(b) {
		return nil, i, &Error{i, ExpectedValue}
	}
	switch c := b[i]; {
	case c == '"':
		end, escaped, p := String(b, i+1)
		if p != 0 {
			return nil, end, &Error{end, p}
		}
		if escaped {
			return Unescape(b[i+1 : end]), end + 1, nil
		}
		return string(b[i+1 : end]), end + 1, nil
	case c == '[':
		if depth > MaxDepth {
			return nil, i, &Error{i, TooDeep}
		}
		a := []any{}
		i = SkipSpace(b, i+1)
		if i < len(b) && b[i] == ']' {
			return a, i + 1, nil
		}
		for {
			v, end, err := Value(b, i, depth+1)
			if err != nil {
				return nil, end, err
			}
			a = append(a, v)
			i = SkipSpace(b, end)
			switch {
			case i < len(b) && b[i] == ',':
				i++
			case i < len(b) && b[i] == ']':
				return a, i + 1, nil
			default:
				return nil, i, &Error{i, ExpectedArrayEnd}
			}
		}
	case c == '{':
		if depth > MaxDepth {
			return nil, i, &Error{i, TooDeep}
		}
		m := map[string]any{}
		i = SkipSpace(b, i+1)
		if i < len(b) && b[i] == '}' {
			return m, i + 1, nil
		}
		for {
			if i = SkipSpace(b, i); i >= len(b) || b[i] != '"' {
				return nil, i, &Error{i, ExpectedKey}
			}
			k, end, err := Value(b, i, depth)
			if err != nil {
				return nil, end, err
			}
			if i = SkipSpace(b, end); i >= len(b) || b[i] != ':' {
				return nil, i, &Error{i, ExpectedColon}
			}
			v, end, err := Value(b, i+1, depth+1)
			if err != nil {
				return nil, end, err
			}
			m[k.(string)] = v
			i = SkipSpace(b, end)
			switch {
			case i < len(b) && b[i] == ',':
				i++
			case i < len(b) && b[i] == '}':
				return m, i + 1, nil
			default:
				return nil, i, &Error{i, ExpectedObjectEnd}
			}
		}
	case c == '-' || c >= '0' && c <= '9':
		_, end, p := Number(b, i)
		if p != 0 {
			return nil, i, &Error{i, p}
		}
		return json.Number(b[i:end]), end, nil
	}
	switch {
	case len(b)-i >= 4 && string(b[i:i+4]) == "null":
		return nil, i + 4, nil
	case len(b)-i >= 4 && string(b[i:i+4]) == "true":
		return true, i + 4, nil
	case len(b)-i >= 5 && string(b[i:i+5]) == "false":
		return false, i + 5, nil
	}
	return nil, i, &Error{i, ExpectedValue}
}
