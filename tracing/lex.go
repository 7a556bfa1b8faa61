package tracing

import (
	"strings"
	"unicode"
)

type tokKind int

const (
	tWord   tokKind = iota // identifier or keyword: tag.env, AND, LIKE
	tString                // a quoted string, unquoted
	tNumber
	tOp   // = != <> < <= > >=
	tList // ('a', 'b')
)

type token struct {
	kind tokKind
	text string
	list []string
}

// lexFilter splits a filter into tokens. Strings are single- or
// double-quoted with a doubled quote or a backslash as escape; keys may be
// backquoted (tag.`a b`).
func lexFilter(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'' || c == '"':
			v, end, ok := scanString(s, i)
			if !ok {
				return nil, invalid("Invalid filter '%s': unterminated string at position %d.", s, i)
			}
			out = append(out, token{kind: tString, text: v})
			i = end
		case c == '(':
			var vals []string
			j := i + 1
			for {
				for j < len(s) && s[j] == ' ' {
					j++
				}
				if j >= len(s) || s[j] != '\'' && s[j] != '"' {
					return nil, invalid("Invalid filter '%s': a list must hold quoted strings, as ('a', 'b').", s)
				}
				v, end, ok := scanString(s, j)
				if !ok {
					return nil, invalid("Invalid filter '%s': unterminated string at position %d.", s, j)
				}
				vals = append(vals, v)
				j = end
				for j < len(s) && s[j] == ' ' {
					j++
				}
				if j < len(s) && s[j] == ',' {
					j++
					continue
				}
				if j < len(s) && s[j] == ')' {
					j++
					break
				}
				return nil, invalid("Invalid filter '%s': unterminated list.", s)
			}
			out = append(out, token{kind: tList, text: s[i:j], list: vals})
			i = j
		case strings.ContainsRune("=!<>", rune(c)):
			j := i + 1
			if j < len(s) && (s[j] == '=' || c == '<' && s[j] == '>') {
				j++
			}
			op := s[i:j]
			if op == "!" {
				return nil, invalid("Invalid filter '%s': '!' must be followed by '='.", s)
			}
			out = append(out, token{kind: tOp, text: op})
			i = j
		case c == '-' || c == '.' || c >= '0' && c <= '9':
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == 'e' || s[j] == 'E' ||
				(s[j] == '-' || s[j] == '+') && (s[j-1] == 'e' || s[j-1] == 'E')) {
				j++
			}
			out = append(out, token{kind: tNumber, text: s[i:j]})
			i = j
		case c == '_' || c == '`' || c >= 0x80 || unicode.IsLetter(rune(c)):
			j := i
			for j < len(s) {
				if s[j] == '`' {
					k := strings.IndexByte(s[j+1:], '`')
					if k < 0 {
						return nil, invalid("Invalid filter '%s': unterminated backquote.", s)
					}
					j += k + 2
					continue
				}
				if s[j] == '_' || s[j] == '.' || s[j] == '-' || s[j] >= 0x80 || unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j])) {
					j++
					continue
				}
				break
			}
			out = append(out, token{kind: tWord, text: s[i:j]})
			i = j
		default:
			return nil, invalid("Invalid filter '%s': unexpected character %q at position %d.", s, c, i)
		}
	}
	return out, nil
}

// scanString reads a quoted string starting at s[i]; a doubled quote or a
// backslash escapes the next character.
func scanString(s string, i int) (string, int, bool) {
	q := s[i]
	var b strings.Builder
	for j := i + 1; j < len(s); j++ {
		switch {
		case s[j] == '\\' && j+1 < len(s):
			j++
			b.WriteByte(s[j])
		case s[j] == q && j+1 < len(s) && s[j+1] == q:
			b.WriteByte(q)
			j++
		case s[j] == q:
			return b.String(), j + 1, true
		default:
			b.WriteByte(s[j])
		}
	}
	return "", 0, false
}
