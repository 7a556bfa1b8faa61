package ftoa

// The shortest digits of a float for the JSON writers (json.go): near32 and
// near64 pick them the way Żmij does (LICENSE-zmij) from one table
// multiplication; dbox32Tab is dbox32's main case (dragonbox.go) with its
// powers read from a table per binary exponent. Where near32 and near64
// cannot decide, the writers ask Dragonbox (dbox32Tab, dbox64).

import (
	"math/bits"

	"github.com/berthml/berth/internal/pow10"
)

// near32Entry is what near32 needs for a float32 of one binary exponent b:
// k = ⌊b log10 2⌋, so that the float's ulp scaled by 10^-k is in [1, 10);
// the top 64 bits of 10^-k rounded down; the shift that puts the scaled
// value's integer part in the upper word of the product; and half the
// scaled ulp in 32.32 fixed point.
type near32Entry struct {
	pow   uint64
	half  uint64
	shift uint8
	k     int8
}

// near32Tab holds near32Entry for every biased exponent of a normal float32.
var near32Tab = func() (t [256]near32Entry) {
	for be := 1; be < 0xff; be++ {
		b := be - 127 - float32MantBits
		k := mulLog10_2(b)
		pow, _ := pow10.Mantissa(-k)
		shift := b + pow10.Exp2(-k) // 0..4: 2^b·10^-k = pow·2^(shift-64) is in [1, 10)
		t[be] = near32Entry{pow: pow, half: pow >> (33 - shift), shift: uint8(shift), k: int8(k)}
	}
	return t
}()

// near32 finds the shortest digits of a normal float32 mant·2^b, mant not
// a power of two, the way Żmij does (Victor Zverovich's 2025 algorithm,
// after Schubfach and Yaoyuan Guo's yy; written here from its description
// and zmij.cc's to_decimal_fast, https://github.com/vitaut/zmij, Copyright
// (c) 2025 - present, Victor Zverovich, MIT license, notice in LICENSE-zmij; the reason: one
// multiplication and no data-dependent branch where Dragonbox has two
// divisions and two, 26 → 21 ns per float32 in BenchmarkAppendStyled):
// c = mant·2^b·10^-k as an integer part and a 64-bit fraction from one
// multiplication; the rounding interval is c ± half an ulp. When a
// multiple of ten lies in it (the digit below c, or the next multiple
// above), that is the answer; otherwise c rounded to the nearest integer.
// No branch on the data except for the cases near a tie or near the
// interval's upper end, where the truncated power of ten could decide
// wrongly: there it returns 0 and the caller asks Dragonbox (dbox32Tab).
// The result, times 10^k, is to dbox32Tab's scale, 7 to 9 digits; every
// float32 gets what dbox32Tab gives it (TestNear32, docs/speed.md).
func near32(mant uint32, t *near32Entry) uint64 {
	c, frac := bits.Mul64(uint64(mant)<<(t.shift&63), t.pow)
	below := c / 10 * 10
	cmod := (c-below)<<32 | frac>>32 // c mod 10, 32.32 fixed point
	upper := cmod + t.half
	switch {
	case frac == 1<<63 || 10<<32-upper <= 1:
		// Near a tie, or the upper end of the interval at the next multiple of ten.
		return 0
	case upper > 10<<32: // the next multiple of ten is in the interval
		return below + 10
	case cmod < t.half+uint64(1-mant&1): // the multiple below is (its end included for an even mant)
		return below
	}
	return c + frac>>63
}

// near64 is near32 for a normal float64 mant·2^b, mant not a power of
// two, with the 128-bit power of ten: c = mant·2^b·10^-k (k = ⌊b log10 2⌋)
// as an integer part and a 64-bit fraction from a 64×128-bit product, the
// interval c ± half an ulp compared in 4.60 fixed point, as Żmij does for a
// double. It returns 0 near a tie or near the interval's upper end, where
// the caller asks Dragonbox (dbox64). The result is d×10^k, 16 or 17
// digits; TestNear64 checks it against dbox64.
func near64(mant uint64, b int) (uint64, int) {
	k := mulLog10_2(b)
	pHi, pLo := pow10.Mantissa(-k)
	sh := uint(b+pow10.Exp2(-k)) & 63 // 0..4: 2^b·10^-k = pHi·2^(sh-64) is in [1, 10)
	x := mant << sh
	c, frac := bits.Mul64(x, pHi)
	t, _ := bits.Mul64(x, pLo)
	frac, carry := bits.Add64(frac, t, 0)
	c += carry
	half := pHi >> (5 - sh) // half the scaled ulp, 4.60 fixed point
	below := c / 10 * 10
	cmod := (c-below)<<60 | frac>>4 // c mod 10, 4.60 fixed point
	upper := cmod + half
	switch {
	case frac == 1<<63 || 10<<60-upper <= 1:
		return 0, 0
	case upper > 10<<60:
		return below + 10, k
	case cmod < half+(1-mant&1):
		return below, k
	}
	return c + frac>>63, k
}

// pow2Tab32 holds the digits of every normal float32 power of two,
// by biased exponent: Dragonbox's result as 8 or 9 digits and its decimal
// exponent.
var pow2Tab32 = func() (t [256]struct {
	d   uint32
	e10 int8
}) {
	for be := 1; be < 0xff; be++ {
		d64, e10, _ := dbox32(1<<float32MantBits, be-127-float32MantBits)
		d := uint32(d64)
		for d < 1e7 {
			d *= 10
			e10--
		}
		t[be].d, t[be].e10 = d, int8(e10)
	}
	return t
}()

// pow32Entry is what Dragonbox's main case needs for a float32 of one
// binary exponent: φ̃k and β for k = κ - ⌊e log10 2⌋, δ^(i), and the
// decimal exponent of the result before the κ extra digits.
type pow32Entry struct {
	phi   uint64
	delta uint32
	beta  uint8
	e10   int8 // -k0
}

// pow32Tab holds pow32Entry for every biased exponent of a normal float32.
var pow32Tab = func() (t [256]pow32Entry) {
	for be := 1; be < 0xff; be++ {
		exp := be - 127 - float32MantBits
		k0 := -mulLog10_2(exp)
		phi, beta := dboxPow32(1+k0, exp)
		t[be] = pow32Entry{phi: phi, delta: dboxDelta32(phi, beta), beta: uint8(beta), e10: int8(-k0)}
	}
	return t
}()

// dbox32Tab is dbox32's main case (mant is not a power of two) with
// the per-exponent values read from pow32Tab: the same steps, without
// computing them per number. Its result is always to the scale of the
// longer candidate (the shorter one comes times 10), 7 to 9 digits.
func dbox32Tab(mant uint32, t *pow32Entry) (uint32, int) {
	const (
		p10κ  = 10
		p10κ1 = p10κ * 10
	)
	φ, β := t.phi, uint(t.beta)
	hi, lo := bits.Mul64(uint64((mant*2+1)<<(β&31)), φ)
	zi, exact := uint32(hi), uint32(lo>>32) == 0 // the upper 64 of 96 bits, as umul96Upper64
	s, r := zi/p10κ1, zi%p10κ1
	δi := t.delta
	if r < δi {
		if r != 0 || !exact || mant%2 == 0 {
			return s * 10, int(t.e10)
		}
		s--
		r = p10κ * 10
	} else if r == δi {
		parity, exact := parity32(mant*2-1, φ, β)
		if parity || (exact && mant%2 == 0) {
			return s * 10, int(t.e10)
		}
	}
	D := r + p10κ/2 - δi/2
	t10, ρ := D/p10κ, D%p10κ
	yru := 10*s + t10
	if ρ == 0 {
		parity, exact := parity32(mant*2, φ, β)
		if parity != ((D-p10κ/2)%2 != 0) || exact && yru%2 != 0 {
			yru--
		}
	}
	return yru, int(t.e10)
}

// parity32 is dboxParity32 with shift counts the compiler need not check.
func parity32(mant2 uint32, phi uint64, beta uint) (parity bool, isInt bool) {
	r := uint64(mant2) * phi
	parity = (r>>((64-beta)&63))&1 != 0
	isInt = uint32(r>>((32-beta)&63)) == 0
	return
}
