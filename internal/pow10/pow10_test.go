package pow10

import (
	"math"
	"math/big"
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
		hi, lo := Mantissa(c.q)
		if hi != c.hi || lo != c.lo {
			t.Errorf("10^%d: got {%#x, %#x}, want {%#x, %#x}", c.q, lo, hi, c.lo, c.hi)
		}
	}
}

// TestTableMatchesExp compares every entry of the table with 10^q computed
// on its own (big.Int.Exp, then shifted or divided), as the table was built
// before it counted up.
func TestTableMatchesExp(t *testing.T) {
	ten := big.NewInt(10)
	mask := new(big.Int).SetUint64(math.MaxUint64)
	for q := MinExp10; q <= MaxExp10; q++ {
		v := new(big.Int).Exp(ten, big.NewInt(int64(max(q, -q))), nil)
		l := v.BitLen()
		switch {
		case q >= 0 && l <= 128:
			v.Lsh(v, uint(128-l))
		case q >= 0:
			v.Rsh(v, uint(l-128))
		default:
			v.Quo(new(big.Int).Lsh(big.NewInt(1), uint(127+l)), v)
		}
		wantHi, wantLo := new(big.Int).Rsh(v, 64).Uint64(), new(big.Int).And(v, mask).Uint64()
		if hi, lo := Mantissa(q); hi != wantHi || lo != wantLo {
			t.Errorf("10^%d: got {%#x, %#x}, want {%#x, %#x}", q, hi, lo, wantHi, wantLo)
		}
	}
}
