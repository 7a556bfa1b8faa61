// Package pow10 holds the 128-bit powers of ten that exact float parsing
// (internal/jsonscan's Eisel-Lemire) and shortest float printing
// (internal/ftoa's Dragonbox) both need: the table of Go's internal/strconv,
// computed once at start-up instead of written out.
package pow10

import (
	"math"
	"math/big"
)

// The range of decimal exponents the table covers.
const (
	MinExp10 = -348
	MaxExp10 = 347
)

// table holds, for each 10^q with q in [MinExp10, MaxExp10], the top 128
// bits of its binary expansion rounded down, {high 64 bits, low 64 bits}.
// It is built from 10^k for k counting up, one multiplication by ten per
// step (and one division for 10^-k), in a quarter of the time that
// raising ten to each power took (1.7 ms of every berth start-up);
// TestTableMatchesExp compares every entry with that computation.
var table = func() (t [MaxExp10 - MinExp10 + 1][2]uint64) {
	mask := new(big.Int).SetUint64(math.MaxUint64)
	one, ten := big.NewInt(1), big.NewInt(10)
	p, v, w := big.NewInt(1), new(big.Int), new(big.Int) // p = 10^k
	set := func(q int, v *big.Int) {
		t[q-MinExp10][0] = w.Rsh(v, 64).Uint64()
		t[q-MinExp10][1] = w.And(v, mask).Uint64()
	}
	for k := 0; k <= MaxExp10 || -k >= MinExp10; k++ {
		l := p.BitLen()
		if k <= MaxExp10 {
			if l <= 128 {
				v.Lsh(p, uint(128-l))
			} else {
				v.Rsh(p, uint(l-128))
			}
			set(k, v)
		}
		if k > 0 && -k >= MinExp10 {
			set(-k, v.Quo(v.Lsh(one, uint(127+l)), p))
		}
		p.Mul(p, ten)
	}
	return t
}()

// Mantissa returns the top 128 bits of 10^q, normalised so that the top bit
// is set and rounded down, as its high and low halves. q must be within
// [MinExp10, MaxExp10].
func Mantissa(q int) (hi, lo uint64) {
	p := &table[q-MinExp10]
	return p[0], p[1]
}

// Exp2 returns the binary exponent that goes with Mantissa(q):
// 10^q = (hi·2^64 + lo) / 2^128 × 2^Exp2(q), for q within [-500, 500].
func Exp2(q int) int {
	// log(10)/log(2) ≈ 3.32192809489 ≈ 108853 / 2^15, exact over the range.
	return 1 + (q*108853)>>15
}
