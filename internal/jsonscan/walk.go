package jsonscan

// Walking a value that is already known to be valid JSON (json.Valid or
// [Valid] said so): one pass over the bytes, the parts handed out sharing
// b's memory, for callers that read a few members of a small document and
// leave everything unusual to encoding/json. On bytes that are not valid
// JSON these may panic or give nonsense: check first.

// Members calls fn with each member of b, one valid JSON value, in order:
// the key's bytes (between the quotes) and the value's (capped, so an
// append cannot write into b). It reports false when b is not an object,
// a key is not plain (has escapes or non-ASCII bytes, which encoding/json
// would unescape or case-fold), or fn says false.
func Members(b []byte, fn func(key, value []byte) bool) bool {
	i := SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = SkipSpace(b, i+1)
	if b[i] == '}' {
		return true
	}
	for {
		// b is valid JSON: a key (a string) comes here, then ':'.
		j := i + 1
		for ; b[j] != '"'; j++ {
			if c := b[j]; c == '\\' || c >= 0x80 {
				return false
			}
		}
		key := b[i+1 : j]
		i = SkipSpace(b, SkipSpace(b, j+1)+1) // past ':'
		end := validEnd(b, i)
		if !fn(key, b[i:end:end]) {
			return false
		}
		i = SkipSpace(b, end)
		if b[i] != ',' {
			return true // '}'
		}
		i = SkipSpace(b, i+1)
	}
}

// Elements calls fn with each value of b, one valid JSON value, in order
// (capped like [Members]'s). It reports false when b is not an array or fn
// says false.
func Elements(b []byte, fn func(value []byte) bool) bool {
	i := SkipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return false
	}
	i = SkipSpace(b, i+1)
	if b[i] == ']' {
		return true
	}
	for {
		end := validEnd(b, i)
		if !fn(b[i:end:end]) {
			return false
		}
		i = SkipSpace(b, end)
		if b[i] != ',' {
			return true // ']'
		}
		i = SkipSpace(b, i+1)
	}
}

// validEnd returns the end of the valid JSON value that starts at b[i].
func validEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return validStringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch b[i] {
			case '"':
				i = validStringEnd(b, i) - 1
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

// validStringEnd returns the end of the valid string that starts at b[i].
func validStringEnd(b []byte, i int) int {
	for i++; ; i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
}

// PlainString returns a JSON string literal's value when it holds only
// printable ASCII and no escapes: what decoding it gives, byte for byte.
// It reports false for anything else (the caller decodes it properly).
func PlainString(raw []byte) (string, bool) {
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

// PlainText reports whether json.Marshal writes s as it is between
// quotes: printable ASCII without ", \ or the HTML characters <, >, &
// (which encoding/json escapes).
func PlainText(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}
