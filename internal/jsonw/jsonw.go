// Package jsonw holds the JSON-writing primitives that berth's wire
// packages share: they append to a byte slice, so encoders can write a
// response in one pooled buffer without encoding/json's reflection.
package jsonw

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// AppendString writes s as a JSON string; invalid UTF-8 becomes U+FFFD.
// Runs of plain ASCII (no control character, quote or backslash) are
// found eight bytes at a time and copied whole.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) && plain8(s[i:i+8]) {
			i += 8
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...) // escaped: the output stays ASCII-safe
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plain8 reports whether the 8 bytes of s are all ASCII that a JSON string
// holds as they are: none below 0x20, none of '"' and '\\', none from 0x80.
// (The zero-byte tests below can only err towards false, after a byte that
// does need care, which the caller then handles one byte at a time.)
func plain8(s string) bool {
	v := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	q := v ^ ('"' * ones)
	bs := v ^ ('\\' * ones)
	bad := v | (v - 0x20*ones) | (q-ones)&^q | (bs-ones)&^bs
	return bad&highs == 0
}
