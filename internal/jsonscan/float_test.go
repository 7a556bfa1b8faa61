package jsonscan

import (
	"math"
	"strconv"
	"testing"
)

// TestPowers checks entries of the computed table against Go strconv's
// written-out detailedPowersOfTen.
func TestPowers(t *testing.T) {
	for _, c := range []struct {
		q      int
		lo, hi uint64
	}{
		{-348, 0x1732C869CD60E453, 0xFA8FD5A0081C0288},
		{0, 0x0000000000000000, 0x8000000000000000},
		{1, 0x0000000000000000, 0xA000000000000000},
		{-1, 0xCCCCCCCCCCCCCCCC, 0xCCCCCCCCCCCCCCCC},
		{347, 0x4b7195f2d2d1a9fb, 0xd13eb46469447567},
	} {
		got := powers[c.q-minExp10]
		if got[0] != c.lo || got[1] != c.hi {
			t.Errorf("10^%d: got {%#x, %#x}, want {%#x, %#x}", c.q, got[0], got[1], c.lo, c.hi)
		}
	}
}

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
		"0.49803924560546875", "1.52587890625e-05", "0.0000000000000000000000000037252902984619140625"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
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
			strconv.FormatFloat(w, 'f', -1, 64),
		} {
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
