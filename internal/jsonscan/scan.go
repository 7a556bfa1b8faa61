package jsonscan

import (
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of JSON arrays and objects accepted;
// deeper input is refused before it can exhaust the stack.
const MaxDepth = 64

// Text is the input the scanner reads: a request body as bytes or as a
// string, scanned in place.
type Text interface{ ~string | ~[]byte }

// Problem is what is wrong at an [Error]'s offset.
type Problem uint8

// The problems the scanner reports.
const (
	_                 Problem = iota
	Unterminated              // a string without its closing quote
	ControlChar               // a byte below 0x20 inside a string
	BadEscape                 // a backslash not followed by one of "\/bfnrtu
	BadUnicodeEscape          // \u not followed by four hex digits
	BadNumber                 // a number that does not start with a digit
	BadFraction               // a '.' not followed by a digit
	BadExponent               // an 'e' not followed by a digit
	ExpectedValue             // no value where one is due
	ExpectedKey               // no string where an object key is due
	ExpectedColon             // no ':' after an object key
	ExpectedArrayEnd          // neither ',' nor ']' after an array element
	ExpectedObjectEnd         // neither ',' nor '}' after an object member
	TooDeep                   // nesting deeper than MaxDepth
	TrailingData              // more than white space after the value
	InvalidUTF8               // input that is not UTF-8 ([Decode] only)
)

var problems = [...]string{
	Unterminated:      "unterminated string",
	ControlChar:       "invalid control character in string",
	BadEscape:         "invalid escape in string",
	BadUnicodeEscape:  "invalid \\u escape in string",
	BadNumber:         "invalid number",
	BadFraction:       "invalid number: expecting a digit after '.'",
	BadExponent:       "invalid number: expecting a digit in the exponent",
	ExpectedValue:     "expecting a value",
	ExpectedKey:       "expecting a property name enclosed in double quotes",
	ExpectedColon:     "expecting ':' after a property name",
	ExpectedArrayEnd:  "expecting ',' or ']'",
	ExpectedObjectEnd: "expecting ',' or '}'",
	TooDeep:           "nesting deeper than " + strconv.Itoa(MaxDepth) + " levels",
	TrailingData:      "extra data after the JSON value",
	InvalidUTF8:       "invalid UTF-8",
}

// String says what the problem is, in words fit for a client.
func (p Problem) String() string {
	if int(p) < len(problems) && problems[p] != "" {
		return problems[p]
	}
	return "Problem(" + strconv.Itoa(int(p)) + ")"
}

// Error is a syntax error at byte offset Off.
type Error struct {
	Off     int
	Problem Problem
}

func (e *Error) Error() string {
	return "JSON syntax error at byte " + strconv.Itoa(e.Off) + ": " + e.Problem.String()
}

// SkipSpace returns the offset of the first byte at or after i that is not
// JSON white space.
func SkipSpace[T Text](b T, i int) int {
	if i < len(b) && b[i] > ' ' { // no white space: the common case of a minified body
		return i
	}
	// A pretty-printed body has a newline and an indent before every
	// value: its white space is counted eight bytes at a time, without a
	// branch per byte (the loop's exit at the indent's end was mispredicted
	// for most values, a fifth of the decode of a body of short rows).
	for i+8 <= len(b) {
		n := spaceRun(load8(b, i))
		i += n
		if n < 8 {
			return i
		}
	}
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// spaceRun is how many of the word's bytes, from the first (low) one,
// are JSON white space: ' ', '\t', '\n' or '\r'.
func spaceRun(w uint64) int {
	const ones = 0x0101010101010101
	other := nonzeroBytes(w^' '*ones) & nonzeroBytes(w^'\t'*ones) & nonzeroBytes(w^'\n'*ones) & nonzeroBytes(w^'\r'*ones)
	return bits.TrailingZeros64(other) >> 3 // 8 where every byte is white space
}

// nonzeroBytes has the high bit of each byte of x that is not zero, and
// no other bit: no carry crosses a byte, each byte's low seven bits plus
// 0x7F fitting in it.
func nonzeroBytes(x uint64) uint64 {
	const low7, high = 0x7F7F7F7F7F7F7F7F, 0x8080808080808080
	return ((x&low7 + low7) | x) & high
}

// Number skips white space from i, scans the JSON number that follows
// and returns where it starts and the offset just past it. NaN, Infinity,
// hex, a '+' sign and leading zeros are not JSON numbers. On a failure
// end is where the number went wrong. (Space and number are one call
// because streaming readers take a number per tensor element.)
func Number[T Text](b T, i int) (start, end int, p Problem) {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	start = i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i++
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return start, i, BadNumber
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return start, i, BadFraction
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return start, i, BadExponent
		}
	}
	return start, i, 0
}

// String scans a string's content from i, just past its opening quote,
// and returns the offset of the closing quote and whether the content
// holds escapes (then [Unescape] gives its value; otherwise the content is
// the value). On a failure the offset is the offending byte: the control
// character, the escape's letter, the 'u' of a bad \u, or the end.
func String[T Text](b T, i int) (end int, escaped bool, p Problem) {
	end, escaped, _, p = StringASCII(b, i)
	return end, escaped, p
}

// StringASCII is [String] that also says whether the content is ASCII,
// so that a caller checking UTF-8 itself checks only the strings that
// need it.
func StringASCII[T Text](b T, i int) (end int, escaped, ascii bool, p Problem) {
	var high byte // every byte ORed: its top bit says one was beyond ASCII
	for ; i < len(b); i++ {
		c := b[i]
		high |= c
		switch {
		case c == '"':
			return i, escaped, high < 0x80, 0
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				return i, escaped, false, Unterminated
			}
			i++
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) || !isHex4(b[i+1], b[i+2], b[i+3], b[i+4]) {
					return i, escaped, false, BadUnicodeEscape
				}
				i += 4
			default:
				return i, escaped, false, BadEscape
			}
		case c < 0x20:
			return i, escaped, false, ControlChar
		}
	}
	return len(b), escaped, false, Unterminated
}

func isHex4(a, b, c, d byte) bool {
	return isHex(a) && isHex(b) && isHex(c) && isHex(d)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10)
	}
	return rune(c - 'A' + 10)
}

func hex4[T Text](s T) rune {
	return unhex(s[0])<<12 | unhex(s[1])<<8 | unhex(s[2])<<4 | unhex(s[3])
}

// Unescape decodes the escapes of string content that [String] accepted.
// A surrogate pair becomes one rune; a lone surrogate becomes U+FFFD, as
// encoding/json and Python's json do.
func Unescape[T Text](s T) string {
	return string(AppendUnescaped(make([]byte, 0, len(s)), s))
}

// AppendUnescaped appends the decoded value of string content that
// [String] accepted to dst.
func AppendUnescaped[T Text](dst []byte, s T) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		switch s[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(s[i+1 : i+5])
			i += 4
			if utf16.IsSurrogate(r) {
				if i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					if dec := utf16.DecodeRune(r, hex4(s[i+3:i+7])); dec != utf8.RuneError {
						dst = utf8.AppendRune(dst, dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, s[i])
		}
	}
	return dst
}
