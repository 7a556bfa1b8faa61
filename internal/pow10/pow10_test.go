package pow10

import "testing"

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
