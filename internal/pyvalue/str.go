package pyvalue

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// StrRepr is Python's repr of a str: single quotes unless s holds a single
// quote and no double quote; the backslash and the chosen quote escaped;
// \n, \r, \t; other control characters and DEL as \xXX; non-printable
// characters beyond ASCII as \xXX, \uXXXX or \UXXXXXXXX (printable ones,
// as unicode.IsPrint tells them, as they are). A byte that is not UTF-8 is
// written \ufffd, since Python's str cannot hold it.
func StrRepr(s string) string {
	var b strings.Builder
	WriteStrRepr(&b, s)
	return b.String()
}

// WriteStrRepr writes StrRepr(s) to b.
func WriteStrRepr(b *strings.Builder, s string) {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	b.WriteByte(q)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteByte(byte(r))
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\ufffd`)
		case r < 0x20 || r == 0x7F:
			writeHex(b, `\x`, r, 2)
		case r < 0x80 || unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xFF:
			writeHex(b, `\x`, r, 2)
		case r <= 0xFFFF:
			writeHex(b, `\u`, r, 4)
		default:
			writeHex(b, `\U`, r, 8)
		}
	}
	b.WriteByte(q)
}

// ListRepr is Python's repr of a list of strings: "['a', 'b']".
func ListRepr(items []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		WriteStrRepr(&b, s)
	}
	b.WriteByte(']')
	return b.String()
}

// JSONString is s as Python's json.dumps writes it by default
// (ensure_ascii=True): '"' and '\' escaped, \n \r \t \b \f, every other
// character outside printable ASCII (DEL included) as \uXXXX, characters
// beyond the BMP as a surrogate pair; no HTML escaping. A byte that is not
// UTF-8 is written \ufffd.
func JSONString(s string) string {
	var b strings.Builder
	WriteJSONString(&b, s, true)
	return b.String()
}

// JSONStringUnicode is s as json.dumps(s, ensure_ascii=False) writes it:
// only '"', '\' and the control characters below U+0020 escaped, every
// other byte of s as it is.
func JSONStringUnicode(s string) string {
	var b strings.Builder
	WriteJSONString(&b, s, false)
	return b.String()
}

// WriteJSONString writes s to b as json.dumps does with the given
// ensure_ascii (see JSONString and JSONStringUnicode).
func WriteJSONString(b *strings.Builder, s string, ensureASCII bool) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20:
			writeHex(b, `\u`, r, 4)
		case !ensureASCII || r < 0x7F:
			b.WriteString(s[i : i+size])
		case r <= 0xFFFF:
			writeHex(b, `\u`, r, 4)
		default:
			r -= 0x10000
			writeHex(b, `\u`, 0xD800+(r>>10), 4)
			writeHex(b, `\u`, 0xDC00+(r&0x3FF), 4)
		}
		i += size
	}
	b.WriteByte('"')
}

// writeHex writes prefix and r as n lower-case hex digits.
func writeHex(b *strings.Builder, prefix string, r rune, n int) {
	b.WriteString(prefix)
	for shift := 4 * (n - 1); shift >= 0; shift -= 4 {
		b.WriteByte(hexDigits[(r>>shift)&0xF])
	}
}
