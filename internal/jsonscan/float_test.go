package jsonscan

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestFloat(t *testing.T) {
	for _, s := range []string{
		"0", "-0", "1", "-1", "0.1", "5.1", "1e22", "1e23", "9007199254740993", "0.30000000000000004",
		"-0.4823529124259949", "0.07450985908508301", "1.7976931348623157e308", "2.2250738585072014e-308",
		"4.9406564584124654e-324", "1e-400", "1e400", "123456789012345678901234567890", "0.000000000000000000001234",
		"1.00000000000000000000", "1E+2", "1e-2", "12345678901234567890", "1234567890123456789",
		"18446744073709551615", "2.5e-5", "7e-10", "0e5", "-0.0e-0",
	} {
		want, err := strconv.ParseFloat(s, 64)
		if err != nil && err.(*strconv.NumError).Err != strconv.ErrRange {
			t.Fatal(err)
		}
		f, start, end, exact, p := Float(s, 0)
		if p != 0 || start != 0 || end != len(s) {
			t.Errorf("%s: start %d end %d problem %v", s, start, end, p)
			continue
		}
		if exact && math.Float64bits(f) != math.Float64bits(want) {
			t.Errorf("%s: got %v (%#x), want %v (%#x)", s, f, math.Float64bits(f), want, math.Float64bits(want))
		}
	}
	// The common shapes take the fast path.
	for _, s := range []string{"-0.4823529124259949", "5.1", "0.07450985908508301", "1e-7", "3",
		"0.49803924560546875", "-0.49803924560546875", "1.52587890625e-05"} {
		if _, _, _, exact, _ := Float(s, 0); !exact {
			t.Errorf("%s: not on the fast path", s)
		}
	}
}

// FuzzFloat: Float scans what Number scans (same ends, same problems) and,
// where it says exact, returns strconv.ParseFloat's value bit for bit.
func FuzzFloat(f *testing.F) {
	for _, s := range []string{"0", "-0.4823529124259949", "1e23", "9007199254740993", "1.5e-320",
		"123456789012345678901", "0.1e", "-", "01", "1.", "2.2250738585072011e-308", "7.038531e-26",
		"0.49803924560546875", "1.52587890625e-05", "0.0000000000000000000000000037252902984619140625",
		// The fast path's shapes and its edges: 16 to 19 significant digits,
		// digits across word boundaries, halfway cases, -0, subnormals.
		"-0.07450985908508301", "1234567890123456789", "12345678901234567890", "0.1234567890123456789",
		"0.12345678901234567891", "9007199254740992.5", "9007199254740993.0", "4503599627370495.5",
		"0.000000000000000000000000000000001", "-0.0", "0.", "1.0000000000000002", "-0.000000000000000000000000000000", "0.00000000000000000000000", "1.00000000000000011102230246251565404236316680908203125",
		"2.2250738585072014e-308", "0.00000000000000000000000000000000000000000000000000000000000000000001",
		"123.456\u0080", "12345678.9", "1234567\xff", "1234567890123456789.12345678", "123456789012.1234567890123",
		"0.0", "-0.00000000000000000000000000000001", "0.000000000000000000000000000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkFast(t, s)
		checkFast(t, s+","+pad)
		checkFast(t, s+"]}\n      \n"+pad)
		checkFast(t, s+",\r\n\t"+pad)
		start, end, p := Number(s, 0)
		v, fs, fe, exact, fp := Float(s, 0)
		if fs != start || fe != end || fp != p {
			t.Fatalf("%q: Float (%d, %d, %v), Number (%d, %d, %v)", s, fs, fe, fp, start, end, p)
		}
		if p != 0 || !exact {
			return
		}
		want, err := strconv.ParseFloat(s[start:end], 64)
		if err != nil && err.(*strconv.NumError).Err != strconv.ErrRange {
			t.Fatalf("%q: strconv: %v", s, err)
		}
		if math.Float64bits(v) != math.Float64bits(want) {
			t.Fatalf("%q: got %v (%#x), strconv %v (%#x)", s, v, math.Float64bits(v), want, math.Float64bits(want))
		}
		if float32(v) != float32(want) {
			t.Fatalf("%q: float32 differs", s)
		}
	})
}

// pad follows a number where the fast paths should read it: they leave
// the last bytes of a body (fewer than window) to the general path.
var pad = strings.Repeat(" ", window)

// checkFast fails t where fastFloat, on the number at the start of s,
// says ok with a value or an end other than Float's exact ones.
func checkFast(t *testing.T, s string) {
	t.Helper()
	got, end, ok := fastFloat(s, 0)
	if !ok {
		return
	}
	want, _, wantEnd, exact, p := Float(s, 0)
	if p != 0 || !exact || end != wantEnd || math.Float64bits(got) != math.Float64bits(want) {
		t.Fatalf("%q: fastFloat (%v %#x, end %d), Float (%v %#x, end %d, exact %v, problem %v)", s, got,
			math.Float64bits(got), end, want, math.Float64bits(want), wantEnd, exact, p)
	}
}

// FuzzFloatBits: every float64 and float32, printed as Python's repr
// and json.dumps print them (shortest round trip, float32 widened) and
// with 17 and 20 significant digits, converts back bit for bit.
func FuzzFloatBits(f *testing.F) {
	for _, u := range []uint64{0, 1, 0x3FDFE00000000000, 0x7FEFFFFFFFFFFFFF, 0x0010000000000000, 0xBFEEEEEEEEEEEEEE} {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, u uint64) {
		v := math.Float64frombits(u)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		w := float64(math.Float32frombits(uint32(u)))
		if math.IsNaN(w) || math.IsInf(w, 0) {
			w = 0
		}
		for _, s := range []string{
			strconv.FormatFloat(v, 'g', -1, 64), strconv.FormatFloat(v, 'e', 16, 64),
			strconv.FormatFloat(v, 'e', 19, 64), strconv.FormatFloat(w, 'g', -1, 64),
			strconv.FormatFloat(w, 'f', -1, 64), strconv.FormatFloat(v, 'f', 17, 64),
			strconv.FormatFloat(v, 'f', -1, 64), strconv.FormatFloat(float64(float32(w)), 'f', 17, 64),
		} {
			checkFast(t, s+",\n          "+pad)
			got, _, end, exact, p := Float(s, 0)
			if p != 0 || end != len(s) {
				t.Fatalf("%s: end %d, problem %v", s, end, p)
			}
			if !exact {
				continue
			}
			want, _ := strconv.ParseFloat(s, 64)
			if math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("%s: got %#x, strconv %#x", s, math.Float64bits(got), math.Float64bits(want))
			}
		}
	})
}

// floatsRef is Floats as the general path reads a run: one Float per
// element.
func floatsRef[F float32 | float64](b string, i int, dst []F, limit float64) (n, next int, closed bool) {
	for n < len(dst) {
		f, start, end, exact, p := Float(b, i)
		if p != 0 || !exact {
			return n, start, false
		}
		v := F(f)
		if a := float64(v); a > limit || -a > limit {
			return n, start, false
		}
		j := SkipSpace(b, end)
		if j >= len(b) {
			return n, start, false
		}
		switch b[j] {
		case ',':
			dst[n] = v
			n++
			i = j + 1
		case ']':
			dst[n] = v
			return n + 1, j + 1, true
		default:
			return n, start, false
		}
	}
	return n, SkipSpace(b, i), false
}

func TestFloats(t *testing.T) {
	for _, c := range []struct {
		in     string
		n      int
		next   int
		closed bool
	}{
		{"1, 2, 3]", 3, 8, true},
		{"\n    -0.4823529124259949,\n    0.49803924560546875\n  ]", 2, 53, true},
		{"1, 2, \"x\"]", 2, 6, false},
		{"1, 2 3]", 1, 3, false},
		{"1, 2,]", 2, 5, false},
		{"1, 2, 1e400]", 2, 6, false},
		{"1, 2, 123456789012345678901234]", 2, 6, false},
		{"1, 2", 1, 3, false},
		{"", 0, 0, false},
	} {
		dst := make([]float64, 8)
		n, next, closed := Floats(c.in, 0, dst, math.Inf(1))
		if n != c.n || next != c.next || closed != c.closed {
			t.Errorf("%q: got (%d, %d, %v), want (%d, %d, %v)", c.in, n, next, closed, c.n, c.next, c.closed)
		}
	}
	// A full dst stops before the next element.
	if n, next, closed := Floats("1, 2, 3]", 0, make([]float32, 2), math.MaxFloat32); n != 2 || next != 6 || closed {
		t.Errorf("full dst: got (%d, %d, %v)", n, next, closed)
	}
	// float32 beyond its range stops.
	if n, next, _ := Floats("1, 3.5e38]", 0, make([]float32, 4), math.MaxFloat32); n != 1 || next != 3 {
		t.Errorf("float32 out of range: got (%d, %d)", n, next)
	}
}

// FuzzFloats: Floats, with its word-at-a-time fast path, reads a run
// exactly as one Float per element does (floatsRef): the same count,
// stop, end and values bit for bit, for float64 and float32 destinations
// of any size.
func FuzzFloats(f *testing.F) {
	for _, s := range []string{
		"\n            -0.4823529124259949,\n            0.49803924560546875,\n            1.52587890625e-05\n          ]",
		"1,2,3]", "0.1, 0.2, 0.30000000000000004]", "-0, 0, -0.0, 0.0]", "1e23, 9007199254740993, 5e-324]",
		"4.9406564584124654e-324, 2.2250738585072011e-308, 1.7976931348623157e308, 1e400, -1e400]",
		"12345678901234567890, 1234567890123456789, 0.1234567890123456789, 0.12345678901234567891]",
		"9007199254740992.5, 4503599627370495.5, 1.00000000000000011102230246251565404236316680908203125]",
		"3.4028235677973366e38, 3.4028235677973362e38, 3.5e38, -3.4028234663852886e+38]",
		"0.000000000000000000000000000000000000000000001401298464324817, 1.401298464324817e-45]",
		"1 , 2\t,\r3\n]", "1, 2, \"x\"]", "1, 2,]", "1, 2 3]", "01, 2]", "1., 2]", "-, 1]", "1, -Infinity]",
		"0.07450985908508301,0.07450985908508301,-0.9686274528503418]   ",
		// White space between elements: none, tabs, \r\n, long runs of
		// indent (more than a word, more than the 16 bytes a separator
		// is matched over), a change of indent within the run, and
		// space before the comma.
		"1,2,3,4,5,6,7,8,9]", "1,\t2,\t3,\t4]", "1,\r\n  2,\r\n  3,\r\n  4\r\n]",
		"\n                        0.5,\n                        0.25,\n                        0.125\n                      ]",
		"0.5,\n    0.25,\n        0.125,\n    0.0625,\n0.03125]", "1 ,2 , 3\t,4]", "1,\n\n2,\n\n3]",
		// Shapes at the fast path's edges: 19 digits with an integer
		// part, 20, 31 and 32 zeros after "0.", "0.0", integers.
		"1234567890.123456789, 1234567890.1234567891, 123456789012345678.9, 1234567890123456789.1]",
		"1234567890123456789.12345678, 123456789012.12345678, 12345678901.12345678, 1234567890123.1234567890123]",
		"0.0000000000000000000000000000001, 0.00000000000000000000000000000001, 0.000000000000000000000000000000001]",
		"0.0, -0.0, 0, -0, 255, 65535, 9007199254740993, 18446744073709551616]",
		"0.1e1, 1E5, 1.5e-7, 2.]", "1, 65504, 65505, 70000.5, 3]",
	} {
		f.Add(s, uint8(8), false)
		f.Add(s, uint8(2), true)
	}
	f.Fuzz(func(t *testing.T, s string, size uint8, f32 bool) {
		// As given (its end near the fast paths' reach), and followed by
		// enough white space for the fast paths to read every element.
		checkFloats(t, s, size, f32)
		checkFloats(t, s+pad, size, f32)
	})
}

func checkFloats(t *testing.T, s string, size uint8, f32 bool) {
	t.Helper()
	if f32 {
		for _, limit := range []float64{math.MaxFloat32, 65504} { // float32, and float16's range (api/oip)
			got, want := make([]float32, size), make([]float32, size)
			n, next, closed := Floats(s, 0, got, limit)
			wn, wnext, wclosed := floatsRef(s, 0, want, limit)
			if n != wn || next != wnext || closed != wclosed {
				t.Fatalf("%q, limit %v: Floats (%d, %d, %v), reference (%d, %d, %v)", s, limit, n, next, closed,
					wn, wnext, wclosed)
			}
			for k := range n {
				if math.Float32bits(got[k]) != math.Float32bits(want[k]) {
					t.Fatalf("%q: element %d: %v, reference %v", s, k, got[k], want[k])
				}
			}
		}
		return
	}
	want := make([]float64, size)
	wn, wnext, wclosed := floatsRef(s, 0, want, math.Inf(1))
	// Without a separator learnt before, with the one learnt reading s
	// itself, and with one learnt from a run of another indent: a Gap is
	// a guess, which changes nothing but speed.
	var own, other Gap
	FloatsGap(s, 0, make([]float64, size), math.Inf(1), &own)
	if n, _, _ := FloatsGap("\n            1,\n            2,\n            3\n          ]"+pad, 0, make([]float64, 4),
		math.Inf(1), &other); n != 3 || other.sep.n != 14 {
		t.Fatalf("learning a separator: read %d, learnt %d bytes", n, other.sep.n)
	}
	for _, g := range []*Gap{new(Gap), &own, &other} {
		got := make([]float64, size)
		n, next, closed := FloatsGap(s, 0, got, math.Inf(1), g)
		if n != wn || next != wnext || closed != wclosed {
			t.Fatalf("%q: Floats (%d, %d, %v), reference (%d, %d, %v)", s, n, next, closed, wn, wnext, wclosed)
		}
		for k := range n {
			if math.Float64bits(got[k]) != math.Float64bits(want[k]) {
				t.Fatalf("%q: element %d: %v, reference %v", s, k, got[k], want[k])
			}
		}
	}
}

// fastFloat converts the number at i as fastRun's loop does, for a run
// of one element without a known separator: ok is false where the loop
// would leave the number to [Float]; where it is true, f and end are
// what [Float] gives. (FuzzFloat checks it.)
func fastFloat(s string, i int) (f float64, end int, ok bool) {
	var one [1]float64
	var sep separator
	_, _, f, k, ok := fastRun(s, i, one[:], 0, math.Inf(1), &sep)
	return f, i + k, ok
}
