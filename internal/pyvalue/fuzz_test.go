package pyvalue

import (
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

var (
	fixedForm = regexp.MustCompile(`^-?[0-9]+\.[0-9]+$`)
	expForm   = regexp.MustCompile(`^-?[0-9](\.[0-9]+)?e[-+][0-9]{2,3}$`)
)

// FuzzFloatRepr: for any float64, FloatRepr reads back to the same bits,
// uses no more digits than the shortest round trip, and takes the fixed
// or exponent form by CPython's rule (decimal exponent from -4 to 15 is
// fixed); FloatJSON differs only in the non-finite spellings. The seeds
// are the CPython goldens' inputs, whose outputs TestFloatsMatchCPython
// checks.
func FuzzFloatRepr(f *testing.F) {
	for _, c := range loadGoldens(f).Floats {
		b, _ := strconv.ParseUint(c.Bits, 16, 64)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, bits uint64) {
		x := math.Float64frombits(bits)
		r, j := FloatRepr(x), FloatJSON(x)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			want := map[string]string{"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[r]
			if want == "" || j != want {
				t.Fatalf("non-finite %x: repr %q, json %q", bits, r, j)
			}
			return
		}
		if r != j {
			t.Fatalf("%x: repr %q but json %q", bits, r, j)
		}
		back, err := strconv.ParseFloat(r, 64)
		if err != nil || math.Float64bits(back) != bits {
			t.Fatalf("%x: repr %q reads back as %x (%v)", bits, r, math.Float64bits(back), err)
		}
		shortest := strconv.FormatFloat(x, 'e', -1, 64)
		mant, expText, _ := strings.Cut(shortest, "e")
		exp, _ := strconv.Atoi(expText)
		nDigits := len(strings.TrimLeft(strings.NewReplacer("-", "", ".", "").Replace(mant), "0"))
		if x == 0 {
			exp = 0
		}
		if exp >= -4 && exp < 16 {
			if !fixedForm.MatchString(r) {
				t.Fatalf("%x (exponent %d): %q is not in fixed form", bits, exp, r)
			}
		} else if !expForm.MatchString(r) {
			t.Fatalf("%x (exponent %d): %q is not in exponent form", bits, exp, r)
		}
		m, _, _ := strings.Cut(r, "e")
		got := strings.Trim(strings.NewReplacer("-", "", ".", "").Replace(m), "0")
		if x != 0 && len(got) > nDigits {
			t.Fatalf("%x: %q has %d significant digits, the shortest has %d", bits, r, len(got), nDigits)
		}
	})
}

// FuzzFloat32Repr: for any float32, Float32Repr reads back (as a float32)
// to the same bits, in the fixed or exponent form of FloatRepr, with no
// more digits than the shortest float32 round trip. The seeds are the
// goldens' inputs, whose outputs TestFloat32sMatchNumpy checks.
func FuzzFloat32Repr(f *testing.F) {
	for _, c := range loadGoldens(f).Float32s {
		b, _ := strconv.ParseUint(c.Bits, 16, 32)
		f.Add(uint32(b))
	}
	f.Fuzz(func(t *testing.T, bits uint32) {
		x := math.Float32frombits(bits)
		r := Float32Repr(x)
		if g := float64(x); math.IsNaN(g) || math.IsInf(g, 0) {
			if r != FloatRepr(g) {
				t.Fatalf("non-finite %08x: %q", bits, r)
			}
			return
		}
		if !fixedForm.MatchString(r) && !expForm.MatchString(r) {
			t.Fatalf("%08x: %q is in neither form", bits, r)
		}
		back, err := strconv.ParseFloat(r, 32)
		if err != nil || math.Float32bits(float32(back)) != bits {
			t.Fatalf("%08x: %q reads back as %v (%v)", bits, r, back, err)
		}
		shortest := strings.TrimLeft(strings.ReplaceAll(strings.Split(strconv.FormatFloat(float64(x), 'e', -1, 32), "e")[0], ".", ""), "-")
		digits := strings.TrimLeft(strings.ReplaceAll(strings.Split(r, "e")[0], ".", ""), "-0")
		if digits = strings.TrimRight(digits, "0"); len(digits) > len(shortest) {
			t.Fatalf("%08x: %q has more digits than %s", bits, r, shortest)
		}
	})
}

// FuzzStrRepr: StrRepr of any valid string reads back (as Python reads a
// str literal) to that string, holds only printable characters, and
// quotes as CPython chooses; the JSON forms read back through
// encoding/json, the ensure_ascii one in ASCII alone.
func FuzzStrRepr(f *testing.F) {
	for _, c := range loadGoldens(f).Strings {
		f.Add(c.S)
	}
	f.Add("a\xffb")
	f.Fuzz(func(t *testing.T, s string) {
		r := StrRepr(s)
		for _, c := range r {
			if c != ' ' && !unicode.IsPrint(c) {
				t.Fatalf("StrRepr(%q) = %q holds %U", s, r, c)
			}
		}
		j, ju := JSONString(s), JSONStringUnicode(s)
		for i := 0; i < len(j); i++ {
			if j[i] < 0x20 || j[i] >= 0x7f {
				t.Fatalf("JSONString(%q) = %q holds byte %#x", s, j, j[i])
			}
		}
		if !utf8.ValidString(s) {
			return // CPython's str cannot hold it; Go's decoders replace it
		}
		want := byte('\'')
		if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
			want = '"'
		}
		if r[0] != want || r[len(r)-1] != want {
			t.Fatalf("StrRepr(%q) = %s: quoted with %c", s, r, r[0])
		}
		back, err := unquotePython(r)
		if err != nil || back != s {
			t.Fatalf("StrRepr(%q) = %s reads back as %q (%v)", s, r, back, err)
		}
		for _, js := range []string{j, ju} {
			var got string
			if err := json.Unmarshal([]byte(js), &got); err != nil || got != s {
				t.Fatalf("json %s of %q reads back as %q (%v)", js, s, got, err)
			}
		}
	})
}

// unquotePython reads a Python str literal made of the escapes StrRepr
// writes.
func unquotePython(lit string) (string, error) {
	q := lit[0]
	body := lit[1 : len(lit)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c == q {
			return "", strconv.ErrSyntax // an unescaped quote would end the literal
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(body) {
			return "", strconv.ErrSyntax
		}
		n := 0
		switch body[i] {
		case '\\', '\'', '"':
			b.WriteByte(body[i])
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'x':
			n = 2
		case 'u':
			n = 4
		case 'U':
			n = 8
		default:
			return "", strconv.ErrSyntax
		}
		if n > 0 {
			if i+1+n > len(body) {
				return "", strconv.ErrSyntax
			}
			v, err := strconv.ParseUint(body[i+1:i+1+n], 16, 32)
			if err != nil {
				return "", err
			}
			b.WriteRune(rune(v))
			i += n
		}
	}
	return b.String(), nil
}
