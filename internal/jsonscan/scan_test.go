package jsonscan_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/berthml/berth/internal/jsonscan"
)

func TestNumber(t *testing.T) {
	tests := []struct {
		in   string
		end  int
		prob jsonscan.Problem
	}{
		{"0", 1, 0},
		{"-0", 2, 0},
		{"12.5e-3,", 7, 0},
		{"1E+9]", 4, 0},
		{"01", 1, 0}, // the number is "0"; what follows is the caller's
		{"-", 1, jsonscan.BadNumber},
		{"+1", 0, jsonscan.BadNumber},
		{".5", 0, jsonscan.BadNumber},
		{"-Infinity", 1, jsonscan.BadNumber},
		{"1.", 2, jsonscan.BadFraction},
		{"1.e5", 2, jsonscan.BadFraction},
		{"1e", 2, jsonscan.BadExponent},
		{"1e+", 3, jsonscan.BadExponent},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if start, end, _ := jsonscan.Number("  \t\n"+tt.in, 1); start != 4 || tt.prob == 0 && end != 4+tt.end {
				t.Errorf("Number after space: start %d, end %d; want 4, %d", start, end, 4+tt.end)
			}
			_, end, p := jsonscan.Number(tt.in, 0)
			if end != tt.end || p != tt.prob {
				t.Errorf("Number(%q) = %d, %v; want %d, %v", tt.in, end, p, tt.end, tt.prob)
			}
			if _, end2, p2 := jsonscan.Number([]byte(tt.in), 0); end2 != end || p2 != p {
				t.Errorf("Number([]byte(%q)) = %d, %v; the string form gave %d, %v", tt.in, end2, p2, end, p)
			}
		})
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		name    string
		in      string // content after the opening quote
		end     int
		escaped bool
		prob    jsonscan.Problem
		want    string // the value, when there is no problem
	}{
		{"plain", `abc"`, 3, false, 0, "abc"},
		{"empty", `"`, 0, false, 0, ""},
		{"utf8 passes through", `é€"`, 5, false, 0, "é€"},
		{"simple escapes", `\"\\\/\b\f\n\r\t"`, 16, true, 0, "\"\\/\b\f\n\r\t"},
		{"bmp escape", `\u00e9"`, 6, true, 0, "é"},
		{"surrogate pair", `\ud83d\ude00"`, 12, true, 0, "😀"},
		{"lone high surrogate", `\ud83dx"`, 7, true, 0, "\uFFFDx"},
		{"lone low surrogate", `\ude00"`, 6, true, 0, "\uFFFD"},
		{"high then non-low", `\ud83d\u0041"`, 12, true, 0, "\uFFFDA"},
		{"two highs", `\ud83d\ud83d\ude00"`, 18, true, 0, "\uFFFD😀"},
		{"upper-case hex", `\u00E9"`, 6, true, 0, "é"},
		{"unterminated", `abc`, 3, false, jsonscan.Unterminated, ""},
		{"backslash at the end", `ab\`, 2, true, jsonscan.Unterminated, ""},
		{"bad escape", `a\q"`, 2, true, jsonscan.BadEscape, ""},
		{"short \\u", `\u12"`, 1, true, jsonscan.BadUnicodeEscape, ""},
		{"non-hex \\u", `\u12g4"`, 1, true, jsonscan.BadUnicodeEscape, ""},
		{"bad low surrogate hex", `\ud83d\uzzzz"`, 7, true, jsonscan.BadUnicodeEscape, ""},
		{"control character", "a\x01\"", 1, false, jsonscan.ControlChar, ""},
		{"raw newline", "a\n\"", 1, false, jsonscan.ControlChar, ""},
		{"DEL is allowed", "\x7f\"", 1, false, 0, "\x7f"},
		{"beyond ASCII after an escape", `\n\u00e9é"`, 10, true, 0, "\néé"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			end, escaped, p := jsonscan.String(tt.in, 0)
			if end != tt.end || escaped != tt.escaped || p != tt.prob {
				t.Fatalf("String(%q) = %d, %v, %v; want %d, %v, %v", tt.in, end, escaped, p, tt.end, tt.escaped, tt.prob)
			}
			// StringASCII scans alike and says whether the content is
			// ASCII (false with any problem).
			end2, escaped2, ascii, p2 := jsonscan.StringASCII(tt.in, 0)
			wantASCII := p == 0 && !strings.ContainsFunc(tt.in[:end], func(r rune) bool { return r >= 0x80 })
			if end2 != end || escaped2 != escaped || p2 != p || ascii != wantASCII {
				t.Fatalf("StringASCII(%q) = %d, %v, %v, %v; want %d, %v, %v, %v", tt.in, end2, escaped2, ascii, p2,
					end, escaped, wantASCII, p)
			}
			if p != 0 {
				return
			}
			got := tt.in[:end]
			if escaped {
				got = jsonscan.Unescape(got)
			}
			if got != tt.want {
				t.Errorf("value %q, want %q", got, tt.want)
			}
			// encoding/json agrees on every accepted string.
			var ref string
			if err := json.Unmarshal([]byte(`"`+tt.in[:end+1]), &ref); err != nil {
				t.Fatalf("encoding/json refuses %q: %v", tt.in, err)
			}
			if ref != tt.want {
				t.Errorf("encoding/json gives %q, want %q", ref, tt.want)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tests := []struct {
		name string
		in   string
		off  int
		prob jsonscan.Problem // 0: decodes as encoding/json does
	}{
		{"object", ` {"a": [1, -2.5e3, "x", true, false, null], "b": {}} `, 0, 0},
		{"duplicate keys: the last wins", `{"a": 1, "a": 2}`, 0, 0},
		{"escaped key", `{"\u0061": 1}`, 0, 0},
		{"empty containers", `[[], {}, ""]`, 0, 0},
		{"64 levels", deep(64), 0, 0},
		{"65 levels", deep(65), 64, jsonscan.TooDeep},
		{"empty input", ``, 0, jsonscan.ExpectedValue},
		{"only space", " \n", 2, jsonscan.ExpectedValue},
		{"trailing data", `1 2`, 2, jsonscan.TrailingData},
		{"trailing comma in array", `[1,]`, 3, jsonscan.ExpectedValue},
		{"trailing comma in object", `{"a":1,}`, 7, jsonscan.ExpectedKey},
		{"missing colon", `{"a" 1}`, 5, jsonscan.ExpectedColon},
		{"unquoted key", `{a:1}`, 1, jsonscan.ExpectedKey},
		{"missing comma", `[1 2]`, 3, jsonscan.ExpectedArrayEnd},
		{"unclosed object", `{"a":1`, 6, jsonscan.ExpectedObjectEnd},
		{"bad literal", `[tru]`, 1, jsonscan.ExpectedValue},
		{"NaN", `NaN`, 0, jsonscan.ExpectedValue},
		{"bad number at its start", `[1.]`, 1, jsonscan.BadFraction},
		{"leading zero", `01`, 1, jsonscan.TrailingData},
		{"bad escape in a key", `{"\x":1}`, 3, jsonscan.BadEscape},
		{"invalid UTF-8", "\"\xff\"", 0, jsonscan.InvalidUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := jsonscan.Decode([]byte(tt.in))
			if tt.prob == 0 {
				if err != nil {
					t.Fatalf("Decode(%q): %v", tt.in, err)
				}
				if want := reference(t, []byte(tt.in)); !reflect.DeepEqual(v, want) {
					t.Errorf("Decode(%q) = %#v, encoding/json gives %#v", tt.in, v, want)
				}
				if !jsonscan.Valid(tt.in) {
					t.Errorf("Valid(%q) = false", tt.in)
				}
				return
			}
			var e *jsonscan.Error
			if !errors.As(err, &e) || e.Off != tt.off || e.Problem != tt.prob {
				t.Fatalf("Decode(%q) error %v, want %v at %d", tt.in, err, tt.prob, tt.off)
			}
			if tt.prob != jsonscan.InvalidUTF8 && jsonscan.Valid([]byte(tt.in)) {
				t.Errorf("Valid(%q) = true", tt.in)
			}
		})
	}
}

func TestSkip(t *testing.T) {
	in := `{"a": [1, {"b": "c\"]"}], "d": null} , 5`
	end, err := jsonscan.Skip(in, 0, 1)
	if err != nil || in[end:] != ` , 5` {
		t.Fatalf("Skip = %d, %v; want the end of the object", end, err)
	}
	if _, err := jsonscan.Skip(`{"a": "\q"}`, 0, 1); err == nil || err.Problem != jsonscan.BadEscape {
		t.Errorf("Skip passes a bad escape: %v", err)
	}
	if _, err := jsonscan.Skip(`[[1]]`, 0, jsonscan.MaxDepth); err == nil || err.Problem != jsonscan.TooDeep {
		t.Errorf("Skip ignores the depth it starts at: %v", err)
	}
}

// reference is encoding/json's reading of b, numbers as json.Number.
func reference(t testing.TB, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	return v
}

// depth is the deepest nesting of arrays and objects in valid JSON b.
func depth(b []byte) int {
	d, deepest := 0, 0
	inString := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && (c == '[' || c == '{'):
			d++
			deepest = max(deepest, d)
		case !inString && (c == ']' || c == '}'):
			d--
		}
	}
	return deepest
}

// FuzzDecode checks the scanner against encoding/json: what it decodes is
// valid JSON with the same value, and valid JSON it refuses is refused
// only for a documented limit (depth, UTF-8).
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"inputs": [[5.1, 3.5, 1.4, 0.2], [6.9, 3.2, 5.7, 2.3]]}`,
		`{"dataframe_split": {"columns": ["a", "b"], "data": [[1, "x"], [2, null]]}}`,
		`{"inputs": [{"name": "x", "datatype": "BYTES", "shape": [1], "data": ["\ud83d\ude00\u00e9\n"]}]}`,
		`[true, false, null, -0, 1e400, 0.5E-3, ""]`,
		`{"a": 1, "a": {"b": []}}`,
		`"\ud800\u0041"`, `[1,]`, `{"a" 1}`, `01`, "\"\xff\"", `[` + strings.Repeat("[", 70),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := jsonscan.Decode(b)
		valid := json.Valid(b)
		if err == nil {
			if !valid {
				t.Fatalf("Decode accepts %q, which json.Valid refuses", b)
			}
			if want := reference(t, b); !reflect.DeepEqual(v, want) {
				t.Fatalf("Decode(%q) = %#v, encoding/json gives %#v", b, v, want)
			}
		} else if valid {
			var e *jsonscan.Error
			if !errors.As(err, &e) {
				t.Fatalf("Decode(%q): %v is not an *Error", b, err)
			}
			switch {
			case e.Problem == jsonscan.TooDeep && depth(b) > jsonscan.MaxDepth:
			case e.Problem == jsonscan.InvalidUTF8 && !utf8.Valid(b):
			default:
				t.Fatalf("Decode refuses valid JSON %q: %v", b, err)
			}
		}
		// Valid and Skip agree with Decode on UTF-8 input.
		if utf8.Valid(b) {
			if got := jsonscan.Valid(b); got != (err == nil) {
				t.Fatalf("Valid(%q) = %v, Decode error %v", b, got, err)
			}
			if got := jsonscan.Valid(string(b)); got != (err == nil) {
				t.Fatalf("Valid(string %q) = %v, Decode error %v", b, got, err)
			}
		}
	})
}

// skipSpaceRef is SkipSpace one byte at a time.
func skipSpaceRef(b string, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func TestSkipSpace(t *testing.T) {
	for _, s := range []string{"", " ", "x", " x", "\n      -0.5", "\n    ],", " \t\r\n \t\r\nx",
		strings.Repeat(" ", 7), strings.Repeat(" ", 8), strings.Repeat(" ", 9) + "1", strings.Repeat("\n ", 20) + "]",
		" \x00", "  \x0b", "\x1f", " \x7f", " \xa0", " \x80\x20", "\xff\xff\xff\xff\xff\xff\xff\xff", " !", "\x21"} {
		for i := 0; i <= len(s); i++ {
			if got, want := jsonscan.SkipSpace(s, i), skipSpaceRef(s, i); got != want {
				t.Errorf("SkipSpace(%q, %d) = %d, want %d", s, i, got, want)
			}
		}
	}
}

// FuzzSkipSpace checks SkipSpace against one byte at a time, from every
// offset, for strings and byte slices.
func FuzzSkipSpace(f *testing.F) {
	for _, s := range []string{"\n      -0.5,\n      1", " \t\r\n\x0b\x0c\x20\x21", strings.Repeat(" ", 17)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i := 0; i <= len(s); i++ {
			want := skipSpaceRef(s, i)
			if got := jsonscan.SkipSpace(s, i); got != want {
				t.Fatalf("SkipSpace(%q, %d) = %d, want %d", s, i, got, want)
			}
			if got := jsonscan.SkipSpace([]byte(s), i); got != want {
				t.Fatalf("SkipSpace([]byte(%q), %d) = %d, want %d", s, i, got, want)
			}
		}
	})
}
