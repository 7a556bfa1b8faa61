package jsonw

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// refAppendString is AppendString one byte at a time, as it was before
// plain8: the fast path must write exactly this.
func refAppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
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
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// checkString: AppendString writes what refAppendString writes, and
// encoding/json reads it back as s (invalid UTF-8 as U+FFFD).
func checkString(t *testing.T, s string) {
	t.Helper()
	got := AppendString([]byte("x"), s)
	if want := refAppendString([]byte("x"), s); string(got) != string(want) {
		t.Fatalf("AppendString(%q) = %s, want %s", s, got, want)
	}
	var back string
	if err := json.Unmarshal(got[1:], &back); err != nil {
		t.Fatalf("AppendString(%q) = %s: encoding/json: %v", s, got, err)
	}
	if want := strings.ToValidUTF8(s, "\uFFFD"); back != want && !utf8.ValidString(s) {
		// ToValidUTF8 joins a run of invalid bytes into one U+FFFD; AppendString writes one per byte.
		if strings.ReplaceAll(back, "\uFFFD", "") != strings.ReplaceAll(want, "\uFFFD", "") {
			t.Fatalf("AppendString(%q) reads back as %q", s, back)
		}
	} else if back != s && utf8.ValidString(s) {
		t.Fatalf("AppendString(%q) reads back as %q", s, back)
	}
}

func TestAppendString(t *testing.T) {
	special := []string{"\"", "\\", "\n", "\r", "\t", "\x00", "\x1f", "\x7f", " ", "!", "#", "[", "]", "é", "\u2028", "😀", "\xff", "\xe2\x82"}
	for _, s := range []string{"", "a", "abcdefgh", "abcdefghijklmnop", "setosa", "versicolor", "output_probability"} {
		checkString(t, s)
	}
	// Every special byte or rune at every place of a 20-byte string of
	// plain ASCII, so that each of the 8-byte words holds it.
	for _, c := range special {
		for i := 0; i <= 20; i++ {
			checkString(t, strings.Repeat("a", i)+c+strings.Repeat("b", 20-i))
		}
	}
	// Every byte value in every lane of a word.
	for c := range 256 {
		for lane := range 8 {
			b := []byte("abcdefghABCDEFGH")
			b[lane] = byte(c)
			checkString(t, string(b))
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain ascii text!", "quote\" in the middle of a word", "back\\slash", "ctl\x01\x1f", "utf8 é😀\u2028", "bad \xff\xfe utf8", "abcdefg\"", "abcdefgh\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkString(t, s) })
}
