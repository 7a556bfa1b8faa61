package oip

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/berthml/berth/internal/jsonscan"
)

// MaxDepth is the deepest nesting of JSON arrays and objects a request may
// have, and the highest tensor rank it may declare.
const MaxDepth = jsonscan.MaxDepth

// lexer reads JSON from b, which the caller has checked is valid UTF-8.
// Every error it returns is an *Error.
type lexer struct {
	b   []byte
	i   int
	gap jsonscan.Gap // the separator between numbers learnt in the last run of tensor data
}

func (l *lexer) errf(format string, args ...any) *Error {
	return Invalidf("malformed JSON at byte %d: %s", l.i, fmt.Sprintf(format, args...))
}

// ws skips white space.
func (l *lexer) ws() {
	l.i = jsonscan.SkipSpace(l.b, l.i)
}

// peek skips white space and returns the next byte, or 0 at the end.
func (l *lexer) peek() byte {
	l.ws()
	if l.i >= len(l.b) {
		return 0
	}
	return l.b[l.i]
}

// what describes the next token for an error message.
func (l *lexer) what() string {
	switch c := l.peek(); c {
	case 0:
		return "end of input"
	case '"':
		return "a string"
	case '[':
		return "an array"
	case '{':
		return "an object"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		if c == '-' && l.i+1 < len(l.b) && l.b[l.i+1] >= '0' && l.b[l.i+1] <= '9' || c >= '0' && c <= '9' {
			return "a number"
		}
		if c == '-' && l.i+1 < len(l.b) {
			r, _ := utf8.DecodeRune(l.b[l.i+1:])
			return fmt.Sprintf("%q", "-"+string(r))
		}
		return fmt.Sprintf("%q", rune(c))
	}
}

func (l *lexer) expect(c byte) error {
	if l.peek() != c {
		return l.errf("expected %q, found %s", c, l.what())
	}
	l.i++
	return nil
}

// null consumes a null literal if one is next.
func (l *lexer) null() bool {
	if l.peek() == 'n' && l.literal("null") {
		return true
	}
	return false
}

func (l *lexer) literal(word string) bool {
	if len(l.b)-l.i >= len(word) && string(l.b[l.i:l.i+len(word)]) == word {
		l.i += len(word)
		return true
	}
	return false
}

// boolean reads true or false.
func (l *lexer) boolean() (v, ok bool) {
	switch l.peek() {
	case 't':
		return true, l.literal("true")
	case 'f':
		return false, l.literal("false")
	}
	return false, false
}

// number reads a JSON number and returns its text. NaN, Infinity, hex and
// leading zeros are not JSON numbers.
func (l *lexer) number() ([]byte, bool) {
	start, end, p := jsonscan.Number(l.b, l.i)
	if p != 0 {
		l.i = start
		return nil, false
	}
	l.i = end
	return l.b[start:end], true
}

// knownKeys are the keys of OIP v2's request objects.
var knownKeys = []string{"inputs", "outputs", "id", "parameters", "name", "shape", "datatype", "data"}

// strIn reads a JSON string as str does, but returns the one of known it
// equals instead of a copy: a request's keys, datatypes and input names are
// mostly ones the server knows, and then cost no allocation.
func (l *lexer) strIn(known []string) (string, error) {
	return l.strOf(len(known), func(i int) string { return known[i] })
}

// strOf is strIn over the n strings known(i) gives.
func (l *lexer) strOf(n int, known func(int) string) (string, error) {
	if l.peek() == '"' {
		start := l.i + 1
		if end, escaped, p := jsonscan.String(l.b, start); p == 0 && !escaped {
			for i := range n {
				if k := known(i); string(l.b[start:end]) == k {
					l.i = end + 1
					return k, nil
				}
			}
		}
	}
	return l.str()
}

// str reads a JSON string.
func (l *lexer) str() (string, error) {
	if l.peek() != '"' {
		return "", l.errf("expected a string, found %s", l.what())
	}
	start := l.i + 1
	end, escaped, p := jsonscan.String(l.b, start)
	if p != 0 {
		return "", l.scanErr(&jsonscan.Error{Off: end, Problem: p})
	}
	l.i = end + 1
	if escaped {
		return jsonscan.Unescape(l.b[start:end]), nil
	}
	return string(l.b[start:end]), nil
}

// scanErr words a scanner error as this package always has, with l.i at
// the offset it has always reported.
func (l *lexer) scanErr(e *jsonscan.Error) *Error {
	l.i = e.Off
	switch e.Problem {
	case jsonscan.ControlChar:
		return l.errf("control character in string")
	case jsonscan.Unterminated:
		return l.errf("unterminated string")
	case jsonscan.BadEscape:
		l.i++
		return l.errf("bad escape \\%c", l.b[e.Off])
	case jsonscan.BadUnicodeEscape:
		l.i++
		return l.errf("bad \\u escape")
	case jsonscan.TooDeep:
		return l.errf("nested deeper than %d", MaxDepth)
	case jsonscan.ExpectedKey:
		return l.errf("expected a string, found %s", l.what())
	case jsonscan.ExpectedColon:
		return l.errf("expected %q, found %s", ':', l.what())
	case jsonscan.ExpectedArrayEnd:
		return l.errf("expected ',' or ']', found %s", l.what())
	case jsonscan.ExpectedObjectEnd:
		return l.errf("expected ',' or '}', found %s", l.what())
	}
	return l.errf("expected a value, found %s", l.what())
}

// object reads an object, calling fn with each key and the lexer at its
// value; fn must consume the value. depth is the object's own depth.
func (l *lexer) object(depth int, fn func(key string) error) error {
	if depth > MaxDepth {
		return l.errf("nested deeper than %d", MaxDepth)
	}
	if err := l.expect('{'); err != nil {
		return err
	}
	if l.peek() == '}' {
		l.i++
		return nil
	}
	for {
		k, err := l.strIn(knownKeys)
		if err != nil {
			return err
		}
		if err := l.expect(':'); err != nil {
			return err
		}
		if err := fn(k); err != nil {
			return err
		}
		switch l.peek() {
		case ',':
			l.i++
		case '}':
			l.i++
			return nil
		default:
			return l.errf("expected ',' or '}', found %s", l.what())
		}
	}
}

// array reads an array, calling fn with the lexer at each element.
func (l *lexer) array(depth int, fn func(i int) error) error {
	if depth > MaxDepth {
		return l.errf("nested deeper than %d", MaxDepth)
	}
	if err := l.expect('['); err != nil {
		return err
	}
	if l.peek() == ']' {
		l.i++
		return nil
	}
	for n := 0; ; n++ {
		if err := fn(n); err != nil {
			return err
		}
		switch l.peek() {
		case ',':
			l.i++
		case ']':
			l.i++
			return nil
		default:
			return l.errf("expected ',' or ']', found %s", l.what())
		}
	}
}

// value reads any JSON value: nil, bool, string, json.Number, []any or
// map[string]any. depth is the depth of the value itself.
func (l *lexer) value(depth int) (any, error) {
	v, end, err := jsonscan.Value(l.b, l.i, depth)
	if err != nil {
		return nil, l.scanErr(err)
	}
	l.i = end
	return v, nil
}

// skip reads and discards one value, returning its text.
func (l *lexer) skip(depth int) ([]byte, error) {
	l.ws()
	start := l.i
	end, err := jsonscan.Skip(l.b, l.i, depth)
	if err != nil {
		return l.b[start:l.i], l.scanErr(err)
	}
	l.i = end
	return l.b[start:end], nil
}

// skipData passes over tensor data, returning its text. An array is only
// matched bracket for bracket, not checked: the caller parses it in full
// afterwards.
func (l *lexer) skipData(depth int) ([]byte, error) {
	if l.peek() != '[' {
		return l.skip(depth)
	}
	// A flat array of numbers (the common case) ends at the first ']' when
	// nothing before it opens another array, an object or a string, or
	// closes an object.
	if end := bytes.IndexByte(l.b[l.i+1:], ']'); end >= 0 && fastPaths {
		inner := l.b[l.i+1 : l.i+1+end]
		if bytes.IndexByte(inner, '[') < 0 && bytes.IndexByte(inner, '{') < 0 && bytes.IndexByte(inner, '}') < 0 && bytes.IndexByte(inner, '"') < 0 {
			start := l.i
			l.i += end + 2
			return l.b[start:l.i], nil
		}
	}
	start, nest := l.i, 0
	for l.i < len(l.b) {
		l.i = nextStop(l.b, l.i) // numbers, commas, space: most of the bytes
		if l.i >= len(l.b) {
			break
		}
		switch l.b[l.i] {
		case '"':
			if err := l.skipString(); err != nil {
				return nil, err
			}
			continue
		case '[', '{':
			nest++
			if depth+nest > MaxDepth+1 {
				return nil, l.errf("nested deeper than %d", MaxDepth)
			}
		case ']', '}':
			nest--
			if nest == 0 {
				l.i++
				return l.b[start:l.i], nil
			}
		}
		l.i++
	}
	return nil, l.errf("unterminated array")
}

// dataStop marks the bytes skipData must look at.
var dataStop = [256]bool{'"': true, '[': true, '{': true, ']': true, '}': true}

// nextStop returns the offset of the first byte at or after i that
// skipData must look at, or len(b). A stop within 32 bytes is found a byte
// at a time; past that (a list of numbers runs for kilobytes between its
// brackets) each of the five bytes is searched for with bytes.IndexByte,
// which reads many bytes per step, within the span left by the ones
// found before it.
func nextStop(b []byte, i int) int {
	n := len(b)
	if fastPaths {
		n = min(n, i+32)
	}
	for ; i < n; i++ {
		if dataStop[b[i]] {
			return i
		}
	}
	if i >= len(b) {
		return len(b)
	}
	seg := b[i:]
	end := len(seg)
	for _, c := range [...]byte{']', '[', '"', '{', '}'} {
		if k := bytes.IndexByte(seg[:end], c); k >= 0 {
			end = k
		}
	}
	return i + end
}

// skipString passes over a string without decoding it.
func (l *lexer) skipString() error {
	end, _, p := jsonscan.String(l.b, l.i+1)
	if p != 0 {
		return l.scanErr(&jsonscan.Error{Off: end, Problem: p})
	}
	l.i = end + 1
	return nil
}

// params reads a parameters object (or null). Values may be any JSON.
func (l *lexer) params(depth int) (Parameters, error) {
	if l.null() {
		return nil, nil
	}
	if l.peek() != '{' {
		return nil, l.errf("parameters must be an object, found %s", l.what())
	}
	v, err := l.value(depth)
	if err != nil {
		return nil, err
	}
	return Parameters(v.(map[string]any)), nil
}

// paramBool reads a boolean parameter; absent is false.
func paramBool(p Parameters, key string) (v, set bool, err error) {
	x, ok := p[key]
	if !ok || x == nil {
		return false, false, nil
	}
	b, ok := x.(bool)
	if !ok {
		return false, false, Invalidf("parameter %s must be a boolean, got %v", key, x)
	}
	return b, true, nil
}

// paramSize reads a non-negative integer parameter; -1 when absent.
func paramSize(p Parameters, key string) (int64, error) {
	x, ok := p[key]
	if !ok || x == nil {
		return -1, nil
	}
	var n int64
	var err error
	switch v := x.(type) {
	case json.Number:
		n, err = strconv.ParseInt(string(v), 10, 64)
	case float64:
		n = int64(v)
		if float64(n) != v {
			err = strconv.ErrSyntax
		}
	case int64:
		n = v
	case int:
		n = int64(v)
	default:
		err = strconv.ErrSyntax
	}
	if err != nil || n < 0 {
		return -1, Invalidf("parameter %s must be a non-negative integer, got %v", key, x)
	}
	return n, nil
}
