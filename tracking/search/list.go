package search

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/berthml/berth/tracking"
)

// parseStringList parses a parenthesised list of single-quoted strings, as
// SearchUtils._check_valid_identifier_list and _parse_list_from_sql_token
// do: each element is read as a Python string literal (ast.literal_eval), so
// backslash escapes are decoded and a doubled quote joins two literals
// (Python reads 'it' 's' as "its"). Unlike MLflow,
// white space next to the parentheses is allowed.
func parseStringList(v operand) ([]string, error) {
	var elems []token
	for _, t := range v.inner {
		if t.kind != tWS {
			elems = append(elems, t)
		}
	}
	if len(elems) == 0 {
		return nil, tracking.InvalidParameter("While parsing a list in the query, expected a non-empty list of string values, but got empty list")
	}
	illFormed := tracking.InvalidParameter("While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.")
	wellShaped := len(elems)%2 == 1
	allStrings := true
	for i, t := range elems {
		if i%2 == 1 {
			wellShaped = wellShaped && t.kind == tComma
		} else {
			wellShaped = wellShaped && t.kind != tComma
			allStrings = allStrings && t.kind == tString
		}
	}
	switch {
	case !wellShaped || (len(elems) == 1 && !allStrings):
		return nil, illFormed
	case !allStrings:
		return nil, tracking.InvalidParameter("While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: %s", v.text)
	}
	out := make([]string, 0, (len(elems)+1)/2)
	for i := 0; i < len(elems); i += 2 {
		s, ok := pyUnquote(v.src[elems[i].start:elems[i].end])
		if !ok {
			return nil, illFormed
		}
		out = append(out, s)
	}
	return out, nil
}

// pyUnquote reads a single-quoted SQL string token as Python's
// ast.literal_eval would: backslash escapes are decoded, and a doubled quote
// ends one literal and starts the next, which Python concatenates.
func pyUnquote(raw string) (string, bool) {
	var b strings.Builder
	s := raw[1:]
	for len(s) > 0 {
		c := s[0]
		switch {
		case c == '\'':
			if len(s) > 1 && s[1] == '\'' {
				s = s[2:] // 'a''b' is 'a' 'b' to Python
				continue
			}
			return b.String(), len(s) == 1
		case c == '\\' && len(s) > 1:
			n, ok := pyEscape(&b, s)
			if !ok {
				return "", false
			}
			s = s[n:]
		default:
			_, n := utf8.DecodeRuneInString(s)
			b.WriteString(s[:n])
			s = s[n:]
		}
	}
	return "", false
}

// pyEscape decodes the Python escape sequence at the start of s (s[0] is a
// backslash) into b and returns its length.
func pyEscape(b *strings.Builder, s string) (int, bool) {
	simple := map[byte]string{
		'\\': "\\", '\'': "'", '"': "\"", 'a': "\a", 'b': "\b", 'f': "\f",
		'n': "\n", 'r': "\r", 't': "\t", 'v': "\v", '\n': "",
	}
	c := s[1]
	if r, ok := simple[c]; ok {
		b.WriteString(r)
		return 2, true
	}
	hex := map[byte]int{'x': 2, 'u': 4, 'U': 8}
	if n, ok := hex[c]; ok {
		if len(s) < 2+n {
			return 0, false
		}
		v, err := strconv.ParseUint(s[2:2+n], 16, 32)
		if err != nil || v > utf8.MaxRune {
			return 0, false
		}
		b.WriteRune(rune(v))
		return 2 + n, true
	}
	if c >= '0' && c <= '7' {
		n := 1
		for n < 3 && 1+n < len(s) && s[1+n] >= '0' && s[1+n] <= '7' {
			n++
		}
		v, _ := strconv.ParseUint(s[1:1+n], 8, 32)
		b.WriteRune(rune(v))
		return 1 + n, true
	}
	b.WriteByte('\\') // Python keeps unknown escapes as they are
	return 1, true
}
