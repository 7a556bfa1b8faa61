package pyvalue

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// goldens is testdata/goldens.json, written by CPython
// (testdata/gen_goldens.py).
type goldens struct {
	Floats []struct {
		Bits       string
		Repr, JSON string
	}
	Float32s []struct {
		Bits, Str string
	}
	Strings []struct {
		S, Repr, JSON string
		JSONUnicode   string `json:"json_unicode"`
	}
	Values []struct {
		JSON, Str, Repr, Dumps string
		DumpsIndent2           string `json:"dumps_indent2"`
	}
}

func loadGoldens(t testing.TB) goldens {
	data, err := os.ReadFile("testdata/goldens.json")
	if err != nil {
		t.Fatalf("testdata/goldens.json is committed (regenerate with testdata/gen_goldens.py): %v", err)
	}
	var g goldens
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Floats) < 500 || len(g.Float32s) < 400 || len(g.Strings) < 200 || len(g.Values) < 30 {
		t.Fatalf("goldens hold only %d floats, %d strings, %d values", len(g.Floats), len(g.Strings), len(g.Values))
	}
	return g
}

func TestFloatsMatchCPython(t *testing.T) {
	for _, c := range loadGoldens(t).Floats {
		b, err := strconv.ParseUint(c.Bits, 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		f := math.Float64frombits(b)
		if got := FloatRepr(f); got != c.Repr {
			t.Errorf("FloatRepr(%s) = %s, want %s", c.Bits, got, c.Repr)
		}
		if got := FloatJSON(f); got != c.JSON {
			t.Errorf("FloatJSON(%s) = %s, want %s", c.Bits, got, c.JSON)
		}
	}
}

func TestFloat32sMatchNumpy(t *testing.T) {
	for _, c := range loadGoldens(t).Float32s {
		b, err := strconv.ParseUint(c.Bits, 16, 32)
		if err != nil {
			t.Fatal(err)
		}
		f := math.Float32frombits(uint32(b))
		if got := Float32Repr(f); got != c.Str {
			t.Errorf("Float32Repr(%s) = %s, want %s", c.Bits, got, c.Str)
		}
	}
}

func TestFloat32InValues(t *testing.T) {
	v := []any{float32(0.1), float32(math.Inf(-1)), float64(float32(0.1))}
	if got, want := Dumps(v, -1), "[0.1, -Infinity, 0.10000000149011612]"; got != want {
		t.Errorf("Dumps = %s, want %s", got, want)
	}
	if got, want := Repr(v), "[0.1, -inf, 0.10000000149011612]"; got != want {
		t.Errorf("Repr = %s, want %s", got, want)
	}
}

func TestDictGetSet(t *testing.T) {
	var d Dict
	d.Set("b", 1)
	d.Set("a", 2)
	d.Set("b", 3)
	if got, want := Dumps(d, -1), `{"b": 3, "a": 2}`; got != want {
		t.Errorf("after Set: %s, want %s", got, want)
	}
	if v, ok := d.Get("b"); !ok || v != 3 {
		t.Errorf("Get(b) = %v, %v; want 3, true", v, ok)
	}
	if v, ok := d.Get("c"); ok || v != nil {
		t.Errorf("Get(c) = %v, %v; want nil, false", v, ok)
	}
}

func TestStringsMatchCPython(t *testing.T) {
	for _, c := range loadGoldens(t).Strings {
		if got := StrRepr(c.S); got != c.Repr {
			t.Errorf("StrRepr(%q) = %s, want %s", c.S, got, c.Repr)
		}
		if got := JSONString(c.S); got != c.JSON {
			t.Errorf("JSONString(%q) = %s, want %s", c.S, got, c.JSON)
		}
		if got := JSONStringUnicode(c.S); got != c.JSONUnicode {
			t.Errorf("JSONStringUnicode(%q) = %s, want %s", c.S, got, c.JSONUnicode)
		}
	}
}

func TestValuesMatchCPython(t *testing.T) {
	for _, c := range loadGoldens(t).Values {
		v, err := Decode([]byte(c.JSON))
		if err != nil {
			t.Errorf("Decode(%s): %v", c.JSON, err)
			continue
		}
		for _, x := range []struct{ name, got, want string }{
			{"Str", Str(v), c.Str}, {"Repr", Repr(v), c.Repr},
			{"Dumps", Dumps(v, -1), c.Dumps}, {"Dumps indent 2", Dumps(v, 2), c.DumpsIndent2},
		} {
			if x.got != x.want {
				t.Errorf("%s(%s) = %q, want %q", x.name, c.JSON, x.got, x.want)
			}
		}
	}
}

// TestFloatRepr: the table tracing/otlp held (Python 3.11's output).
func TestFloatRepr(t *testing.T) {
	for _, c := range []struct {
		f          float64
		json, repr string
	}{
		{0, "0.0", ""}, {math.Copysign(0, -1), "-0.0", ""}, {1, "1.0", ""}, {1.5, "1.5", ""}, {100, "100.0", ""},
		{1e16, "1e+16", ""}, {1e15, "1000000000000000.0", ""}, {123456789012345678, "1.2345678901234568e+17", ""},
		{1e-4, "0.0001", ""}, {1e-5, "1e-05", ""}, {0.1, "0.1", ""}, {-2.5e-7, "-2.5e-07", ""}, {3.14159, "3.14159", ""},
		{1e22, "1e+22", ""}, {5e-324, "5e-324", ""}, {1.7976931348623157e308, "1.7976931348623157e+308", ""},
		{12345.678, "12345.678", ""},
		{math.NaN(), "NaN", "nan"}, {math.Inf(1), "Infinity", "inf"}, {math.Inf(-1), "-Infinity", "-inf"},
	} {
		if got := FloatJSON(c.f); got != c.json {
			t.Errorf("FloatJSON(%v) = %s, want %s", c.f, got, c.json)
		}
		repr := c.repr
		if repr == "" {
			repr = c.json
		}
		if got := FloatRepr(c.f); got != repr {
			t.Errorf("FloatRepr(%v) = %s, want %s", c.f, got, repr)
		}
	}
}

// TestStrRepr: quote choice and escapes, including what CPython cannot
// hold (a byte that is not UTF-8).
func TestStrRepr(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "''"}, {"a", "'a'"}, {"it's", `"it's"`}, {`it's "q"`, `'it\'s "q"'`}, {`"`, `'"'`},
		{`a\b`, `'a\\b'`}, {"\n\r\t", `'\n\r\t'`}, {"\x00\x7f", `'\x00\x7f'`}, {"\u0085", `'\x85'`},
		{"é", "'é'"}, {"\u00a0", `'\xa0'`}, {"\u2028", `'\u2028'`}, {"\U0001F600", "'\U0001F600'"},
		{"\U000E0001", `'\U000e0001'`}, {"\ufffd", "'\ufffd'"}, {"a\xffb", `'a\ufffdb'`},
	} {
		if got := StrRepr(c.in); got != c.want {
			t.Errorf("StrRepr(%q) = %s, want %s", c.in, got, c.want)
		}
	}
	if got, want := ListRepr([]string{"a.py", "it's"}), `['a.py', "it's"]`; got != want {
		t.Errorf("ListRepr = %s, want %s", got, want)
	}
	if got, want := ListRepr(nil), "[]"; got != want {
		t.Errorf("ListRepr(nil) = %s, want %s", got, want)
	}
}

// TestJSONString: json.dumps of a string, both ensure_ascii settings.
func TestJSONString(t *testing.T) {
	for _, c := range []struct{ in, ascii, unicode string }{
		{"", `""`, `""`},
		{"é\n\"\\\x01\u2028<&>", `"\u00e9\n\"\\\u0001\u2028<&>"`, "\"é\\n\\\"\\\\\\u0001\u2028<&>\""},
		{"\x7f", `"\u007f"`, "\"\x7f\""},
		{"\U0001F600", `"\ud83d\ude00"`, "\"\U0001F600\""},
		{"\b\f\r\t", `"\b\f\r\t"`, `"\b\f\r\t"`},
		{"a\xffb", `"a\ufffdb"`, "\"a\xffb\""}, // not UTF-8: replaced, or passed through
	} {
		if got := JSONString(c.in); got != c.ascii {
			t.Errorf("JSONString(%q) = %s, want %s", c.in, got, c.ascii)
		}
		if got := JSONStringUnicode(c.in); got != c.unicode {
			t.Errorf("JSONStringUnicode(%q) = %s, want %s", c.in, got, c.unicode)
		}
	}
}

func TestDecodeLimits(t *testing.T) {
	for _, in := range []string{"", "[1", `{"a" 1}`, "1 2", "{}]", "[]}", "1 ,", strings.Repeat("[", MaxDepth+2) + strings.Repeat("]", MaxDepth+2)} {
		if _, err := Decode([]byte(in)); err == nil {
			t.Errorf("Decode(%q): no error", in)
		}
	}
	for _, in := range []string{"", " ", "[1", `{"a": `, `"abc`} {
		if _, err := Decode([]byte(in)); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("Decode(%q) = %v, want io.ErrUnexpectedEOF", in, err)
		}
	}
	if _, err := Decode([]byte(strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth))); err != nil {
		t.Errorf("Decode at depth %d: %v", MaxDepth, err)
	}
}

func TestDumpsPanicsOnForeignType(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Dumps(struct{}{}) did not panic")
		}
	}()
	Dumps(struct{}{}, -1)
}
