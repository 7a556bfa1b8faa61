package ftoa

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"

	"github.com/berthml/berth/internal/pow10"
)

// Style says how [AppendFloat32], [AppendFloat64] and the list writers
// [AppendFloats32], [AppendFloats64] write a float as a JSON number: where
// fixed notation gives way to exponent notation and how the exponent is
// written. In every style the digits are the shortest that read back as
// the same float32 or float64 (strconv's with precision -1), integral
// values in fixed notation get ".0" (so that a reader sees a float), and
// NaN and ±Inf are written as null.
type Style uint8

const (
	// Python is Python's repr, what MLflow's scoring server writes: fixed
	// notation for 1e-4 <= |f| < 1e16 and zero (0.0001, 1e+16 as
	// 10000000000000000.0 is not written), exponent notation otherwise with
	// at least two exponent digits (1e-05, 1.5e+16).
	Python Style = iota
	// JSON is encoding/json's choice of notation: fixed for 1e-6 <= |f| <
	// 1e21 and zero, exponent otherwise with no leading zero in a negative
	// exponent (1e-07 is written 1e-7). For a float32 the bounds are
	// float32(1e-6) and float32(1e21), as encoding/json compares them.
	JSON
)

// style holds a Style's bounds of fixed notation, per float size.
type style struct {
	lo32, hi32 float64
	lo64, hi64 float64
	shortExp   bool // a negative exponent of one digit is written without a leading zero
	// The float32 bounds as the bit patterns of the least float32 at or
	// above them: for a positive float32 x, x < lo32 exactly when its bits
	// are below lo32b (positive floats order as their bits do).
	lo32b, hi32b uint32
}

var styles = [2]style{
	Python: withBits(style{lo32: 1e-4, hi32: 1e16, lo64: 1e-4, hi64: 1e16}),
	JSON:   withBits(style{lo32: f32(1e-6), hi32: f32(1e21), lo64: 1e-6, hi64: 1e21, shortExp: true}),
}

// withBits fills in p's float32 bounds as bit patterns.
func withBits(p style) style {
	p.lo32b, p.hi32b = ceil32Bits(p.lo32), ceil32Bits(p.hi32)
	return p
}

// ceil32Bits returns the bits of the least float32 >= x > 0.
func ceil32Bits(x float64) uint32 {
	f := float32(x)
	if float64(f) < x {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return math.Float32bits(f)
}

// f32 is x rounded to float32, as a float64: a float32 compared with the
// constant x in Go is compared with this.
func f32(x float32) float64 { return float64(x) }

// window is how many bytes past len(dst) the writers may use as scratch
// for one number (its text is at most 25 bytes; the rest lets the digits
// go out in whole 8-byte words).
const window = 48

// AppendFloat32 appends f as style s writes it. It may write anywhere in
// dst's capacity up to 48 bytes past what it appends, as scratch.
func AppendFloat32(dst []byte, f float32, s Style) []byte {
	p := &styles[s&1]
	if cap(dst)-len(dst) < window {
		dst = slices.Grow(dst, window)
	}
	n := len(dst)
	return dst[:n+put32((*[window]byte)(dst[n:n+window]), f, p)]
}

// AppendFloat64 appends f as style s writes it. It may write anywhere in
// dst's capacity up to 48 bytes past what it appends, as scratch.
func AppendFloat64(dst []byte, f float64, s Style) []byte {
	p := &styles[s&1]
	if cap(dst)-len(dst) < window {
		dst = slices.Grow(dst, window)
	}
	n := len(dst)
	return dst[:n+put64((*[window]byte)(dst[n:n+window]), f, p)]
}

// AppendFloats32 appends vals separated by commas, each as
// [AppendFloat32] writes it, with the same use of dst's capacity.
func AppendFloats32(dst []byte, vals []float32, s Style) []byte {
	if len(vals) == 0 {
		return dst
	}
	p := &styles[s&1]
	if cap(dst)-len(dst) < window+1 {
		dst = slices.Grow(dst, window+1)
	}
	n := len(dst)
	n += put32((*[window]byte)(dst[n:n+window]), vals[0], p)
	for _, f := range vals[1:] {
		if cap(dst)-n < window+1 {
			dst = slices.Grow(dst[:n], window+1)
		}
		w := (*[window + 1]byte)(dst[n : n+window+1])
		w[0] = ','
		n += 1 + put32((*[window]byte)(w[1:]), f, p)
	}
	return dst[:n]
}

// AppendFloats64 appends vals separated by commas, each as
// [AppendFloat64] writes it, with the same use of dst's capacity.
func AppendFloats64(dst []byte, vals []float64, s Style) []byte {
	if len(vals) == 0 {
		return dst
	}
	p := &styles[s&1]
	if cap(dst)-len(dst) < window+1 {
		dst = slices.Grow(dst, window+1)
	}
	n := len(dst)
	n += put64((*[window]byte)(dst[n:n+window]), vals[0], p)
	for _, f := range vals[1:] {
		if cap(dst)-n < window+1 {
			dst = slices.Grow(dst[:n], window+1)
		}
		w := (*[window + 1]byte)(dst[n : n+window+1])
		w[0] = ','
		n += 1 + put64((*[window]byte)(w[1:]), f, p)
	}
	return dst[:n]
}

const (
	asciiZeros = 0x3030303030303030  // "00000000"
	zeroPoint  = 0x303030303030_2e30 // "0.000000"
)

// put32 writes f into out as p says and returns its length.
//
// The digits come from near32 (Żmij's way: one multiplication, the choice
// between the candidates without branches), from Dragonbox (dbox32Tab) in
// the 0.7% of cases near32 leaves to it, and for a power of two from a
// table of the general Dragonbox's results. They come as a number of 8 or
// 9 digits, never fewer (times 10 when it has 7), so that no digit count
// is needed: a leading 1 when it has 9 (it is below 1.7e8), then 8 digits
// split within one word; the trailing zeros are counted from the word's
// zero bytes.
func put32(out *[window]byte, f float32, p *style) int {
	u := math.Float32bits(f)
	e := uint8(u >> float32MantBits)
	if e == 0 || e == 0xff { // zero, subnormal, NaN, ±Inf
		return putOther(out, float64(f), 32, p)
	}
	mant := u&(1<<float32MantBits-1) | 1<<float32MantBits
	var (
		d   uint32
		e10 int
	)
	if mant != 1<<float32MantBits {
		t := &near32Tab[e]
		if r := near32(mant, t); r != 0 {
			d, e10 = uint32(r), int(t.k)
		} else {
			d, e10 = dbox32Tab(mant, &pow32Tab[e]) // 7 to 9 digits
		}
	} else { // a power of two (0.5, 0.25, 1.0 ...): its digits from a table
		t := &pow2Tab32[e]
		d, e10 = t.d, int(t.e10)
	}
	if d < 1e7 {
		d *= 10
		e10--
	}
	if d >= 1e9 {
		return putOther(out, float64(f), 32, p) // not reached: a float32 needs at most 9 digits
	}
	x := uint64(0) // 1 when d has 9 digits, its first then a 1
	if d >= 1e8 {
		x = 1
	}
	w := bcd8(uint64(d) - x*1e8)
	// The digits as bytes 0-8 of (lo, hi), the first in the lowest byte,
	// each as its value 0-9; n of them up to the last non-zero one.
	lo, hi := w<<(x*8&63)|x, (w>>56)&-x
	nd := 8 + int(x)
	n := nd - bits.LeadingZeros64(w)>>3
	dp := nd + e10 // the decimal point's place among the digits

	neg := int(u >> 31)
	out[0] = '-'
	o := out[neg:]
	abs := u &^ (1 << 31)
	switch {
	case abs < p.lo32b || abs >= p.hi32b:
		return neg + putExp2(o, lo|asciiZeros, hi|asciiZeros, n, dp-1, p.shortExp)
	case dp <= 0: // 0.000ddd
		binary.LittleEndian.PutUint64(o, zeroPoint)
		binary.LittleEndian.PutUint64(o[2-dp:], lo|asciiZeros)
		binary.LittleEndian.PutUint64(o[10-dp:], hi|asciiZeros)
		return neg + 2 - dp + n
	case dp < n: // ddd.ddd
		lo |= asciiZeros
		hi |= asciiZeros
		binary.LittleEndian.PutUint64(o, lo)
		binary.LittleEndian.PutUint64(o[8:], hi)
		s := uint(dp-1) * 8 & 63 // 1 <= dp < n <= 9
		binary.LittleEndian.PutUint64(o[dp+1:], lo>>8>>s|hi<<(56-s&63))
		binary.LittleEndian.PutUint64(o[dp+9:], hi>>8>>s)
		o[dp] = '.'
		return neg + n + 1
	}
	// ddd000.0: the digits, the zeros after them, ".0".
	binary.LittleEndian.PutUint64(o, lo|asciiZeros)
	binary.LittleEndian.PutUint64(o[8:], hi|asciiZeros)
	binary.LittleEndian.PutUint64(o[16:], asciiZeros)
	o[dp], o[dp+1] = '.', '0'
	return neg + dp + 2
}

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
// the caller asks Dragonbox (dboxRaw64). The result is d×10^k, 16 or 17
// digits; TestNear64 checks it against dboxRaw64.
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
		d, e10 := dboxRaw32(1<<float32MantBits, be-127-float32MantBits)
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

// dbox32Tab is dboxRaw32's main case (mant is not a power of two) with
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

// put64 writes f into out as p says and returns its length.
func put64(out *[window]byte, f float64, p *style) int {
	u := math.Float64bits(f)
	exp := int(u>>float64MantBits) & 0x7ff
	if exp == 0 || exp == 0x7ff { // zero, subnormal, NaN, ±Inf
		return putOther(out, f, 64, p)
	}
	mant := u&(1<<float64MantBits-1) | 1<<float64MantBits
	be := exp - 1023 - float64MantBits
	var (
		d   uint64
		e10 int
	)
	if mant == 1<<float64MantBits {
		d, e10 = dboxRaw64(mant, be)
	} else if d, e10 = near64(mant, be); d == 0 {
		d, e10 = dboxRaw64(mant, be)
	}
	if d >= 1e17 {
		return putOther(out, f, 64, p) // not reached: a float64 needs at most 17 digits
	}
	for d < 1e16 { // to 17 digits: once for near64's 16, more for Dragonbox's shorter results
		d *= 10
		e10--
	}
	// The 17 digits of d as bytes 0-16 of (lo, mid, hi), the first (not a
	// zero) in the lowest byte.
	a := d / 1e16
	r := d - a*1e16
	b := r / 1e8
	wb, wc := bcd8(b), bcd8(r-b*1e8)
	lo, mid, hi := a|wb<<8, wb>>56|wc<<8, wc>>56
	var trail int
	switch {
	case hi != 0:
	case mid != 0:
		trail = 1 + bits.LeadingZeros64(mid)>>3
	default:
		trail = 9 + bits.LeadingZeros64(lo)>>3
	}
	nd := 17 - trail
	e10 += trail
	lo |= asciiZeros
	mid |= asciiZeros
	hi |= asciiZeros

	neg := int(u >> 63)
	out[0] = '-'
	o := out[neg:]
	abs := math.Float64frombits(u &^ (1 << 63))
	dp := nd + e10
	switch {
	case abs < p.lo64 || abs >= p.hi64:
		return neg + putExp3(o, lo, mid, hi, nd, dp-1, p.shortExp)
	case dp <= 0:
		binary.LittleEndian.PutUint64(o, zeroPoint)
		binary.LittleEndian.PutUint64(o[2-dp:], lo)
		binary.LittleEndian.PutUint64(o[10-dp:], mid)
		binary.LittleEndian.PutUint64(o[18-dp:], hi)
		return neg + 2 - dp + nd
	case dp < nd:
		binary.LittleEndian.PutUint64(o, lo)
		binary.LittleEndian.PutUint64(o[8:], mid)
		binary.LittleEndian.PutUint64(o[16:], hi)
		tlo, tmid, thi := shr192(lo, mid, hi, dp)
		binary.LittleEndian.PutUint64(o[dp+1:], tlo)
		binary.LittleEndian.PutUint64(o[dp+9:], tmid)
		binary.LittleEndian.PutUint64(o[dp+17:], thi)
		o[dp] = '.'
		return neg + nd + 1
	}
	binary.LittleEndian.PutUint64(o, lo)
	binary.LittleEndian.PutUint64(o[8:], mid)
	binary.LittleEndian.PutUint64(o[16:], hi)
	o[dp], o[dp+1] = '.', '0'
	return neg + dp + 2
}

// putExp2 writes d.ddde±XX for nd <= 16 digits held in (lo, hi), first
// digit in the lowest byte, and returns its length.
func putExp2(o []byte, lo, hi uint64, nd, x int, short bool) int {
	o[0] = byte(lo)
	n := 1
	if nd > 1 {
		tlo, thi := shr128(lo, hi, 8)
		binary.LittleEndian.PutUint64(o[2:], tlo)
		binary.LittleEndian.PutUint64(o[10:], thi)
		o[1] = '.'
		n = nd + 1
	}
	return n + putExponent(o[n:], x, short)
}

// putExp3 is putExp2 for up to 24 digits in (lo, mid, hi).
func putExp3(o []byte, lo, mid, hi uint64, nd, x int, short bool) int {
	o[0] = byte(lo)
	n := 1
	if nd > 1 {
		tlo, tmid, thi := shr192(lo, mid, hi, 1)
		binary.LittleEndian.PutUint64(o[2:], tlo)
		binary.LittleEndian.PutUint64(o[10:], tmid)
		binary.LittleEndian.PutUint64(o[18:], thi)
		o[1] = '.'
		n = nd + 1
	}
	return n + putExponent(o[n:], x, short)
}

// putExponent writes e±XX (at least two digits, one for a negative
// exponent when short) and returns its length.
func putExponent(o []byte, x int, short bool) int {
	_ = o[4]
	o[0], o[1] = 'e', '+'
	if x < 0 {
		o[1] = '-'
		x = -x
	}
	switch {
	case x < 10 && short && o[1] == '-':
		o[2] = byte(x) + '0'
		return 3
	case x < 100:
		o[2], o[3] = pairs[2*x], pairs[2*x+1]
		return 4
	}
	o[2] = byte(x/100) + '0'
	x %= 100
	o[3], o[4] = pairs[2*x], pairs[2*x+1]
	return 5
}

// putOther writes what the word-wise writers leave to strconv's way
// (zero, subnormals, NaN and ±Inf) and returns its length.
func putOther(out *[window]byte, f float64, bitSize int, p *style) int {
	if f == 0 { // ±0, common in outputs (ReLU, one-hot): "0.0" in every style
		neg := int(math.Float64bits(f) >> 63)
		copy(out[:], "-0.0")
		copy(out[neg:], "0.0")
		return neg + 3
	}
	return len(appendStyled(out[:0], f, bitSize, p))
}

// appendStyled is the plain form of the styles: Append and the checks
// around it, as the encoders wrote floats before AppendFloat32/64.
func appendStyled(dst []byte, f float64, bitSize int, p *style) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	abs := math.Abs(f)
	lo, hi := p.lo64, p.hi64
	if bitSize == 32 {
		lo, hi = p.lo32, p.hi32
	}
	at := len(dst)
	if abs != 0 && (abs < lo || abs >= hi) {
		dst = Append(dst, f, 'e', bitSize)
		if n := len(dst); p.shortExp && n-at >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
		return dst
	}
	dst = Append(dst, f, 'f', bitSize)
	for _, c := range dst[at:] {
		if c == '.' {
			return dst
		}
	}
	return append(dst, '.', '0')
}

// bcd8 returns the 8 decimal digits of x < 1e8 (leading zeros included)
// as the bytes of a word, the first digit in the lowest byte, each as its
// value 0-9. Each step finds a quotient and remainder with one
// multiply-add, in parallel within the word: x + (2^32-10000)·⌊x/10000⌋
// is ⌊x/10000⌋<<32 | x%10000, and likewise for 100 in 16-bit and 10 in
// 8-bit lanes, which leaves the first digit in the highest byte; a byte
// swap turns it round.
func bcd8(x uint64) uint64 {
	x += (1<<32 - 10000) * ((x * 109951163) >> 40)           // ⌊2^40/10^4⌋+1
	x += (1<<16 - 100) * ((x * 10486 >> 20) & 0x7f_0000007f) // ⌊2^20/100⌋+1
	x += (1<<8 - 10) * ((x * 103 >> 10) & 0x000f_000f_000f_000f)
	return bits.ReverseBytes64(x)
}

// shr128 shifts (lo, hi) right by s <= 64 bits.
func shr128(lo, hi uint64, s uint) (uint64, uint64) {
	return lo>>s | hi<<(64-s), hi >> s
}

// shr192 shifts (lo, mid, hi) right by k <= 16 bytes.
func shr192(lo, mid, hi uint64, k int) (uint64, uint64, uint64) {
	if k >= 8 {
		lo, mid, hi = mid, hi, 0
		k -= 8
	}
	s := uint(k) * 8
	return lo>>s | mid<<(64-s), mid>>s | hi<<(64-s), hi >> s
}

// dboxRaw32 is dbox32 for a normal float32 (mant holds the implicit bit)
// without removing trailing zeros from the digits: put32 counts them from
// the digits' text.
func dboxRaw32(mant uint32, exp int) (uint32, int) {
	if mant == 1<<float32MantBits {
		k0 := -mulLog10_2MinusLog10_4Over3(exp)
		φ, β := dboxPow32(k0, exp)
		xi, zi := dboxRange32(φ, β)
		if exp != 2 && exp != 3 {
			xi++
		}
		q := zi / 10
		if xi <= q*10 {
			return q, -k0 + 1
		}
		yru := dboxRoundUp32(φ, β)
		if exp == -77 && yru%2 != 0 {
			yru--
		} else if yru < xi {
			yru++
		}
		return yru, -k0
	}
	const (
		κ     = 1
		p10κ  = 10
		p10κ1 = p10κ * 10
	)
	k0 := -mulLog10_2(exp)
	φ, β := dboxPow32(κ+k0, exp)
	zi, exact := dboxMulPow32(uint32(mant*2+1)<<β, φ)
	s, r := zi/p10κ1, uint32(zi%p10κ1)
	δi := dboxDelta32(φ, β)
	if r < δi {
		if r != 0 || !exact || mant%2 == 0 {
			return s, -k0 + 1
		}
		s--
		r = p10κ * 10
	} else if r == δi {
		parity, exact := dboxParity32(uint32(mant*2-1), φ, β)
		if parity || (exact && mant%2 == 0) {
			return s, -k0 + 1
		}
	}
	D := r + p10κ/2 - δi/2
	t, ρ := D/p10κ, D%p10κ
	yru := 10*s + uint32(t)
	if ρ == 0 {
		parity, exact := dboxParity32(mant*2, φ, β)
		if parity != ((D-p10κ/2)%2 != 0) || exact && yru%2 != 0 {
			yru--
		}
	}
	return yru, -k0
}

// dboxRaw64 is dbox64 for a normal float64 (mant holds the implicit bit)
// without removing trailing zeros from the digits.
func dboxRaw64(mant uint64, exp int) (uint64, int) {
	if mant == 1<<float64MantBits {
		k0 := -mulLog10_2MinusLog10_4Over3(exp)
		φ, β := dboxPow64(k0, exp)
		xi, zi := dboxRange64(φ, β)
		if exp != 2 && exp != 3 {
			xi++
		}
		q := zi / 10
		if xi <= q*10 {
			return q, -k0 + 1
		}
		yru := dboxRoundUp64(φ, β)
		if exp == -77 && yru%2 != 0 {
			yru--
		} else if yru < xi {
			yru++
		}
		return yru, -k0
	}
	const (
		κ     = 2
		p10κ  = 100
		p10κ1 = p10κ * 10
	)
	k0 := -mulLog10_2(exp)
	φ, β := dboxPow64(κ+k0, exp)
	zi, exact := dboxMulPow64(uint64(mant*2+1)<<β, φ)
	s, r := zi/p10κ1, uint32(zi%p10κ1)
	δi := dboxDelta64(φ, β)
	if r < δi {
		if r != 0 || !exact || mant%2 == 0 {
			return s, -k0 + 1
		}
		s--
		r = p10κ * 10
	} else if r == δi {
		parity, exact := dboxParity64(uint64(mant*2-1), φ, β)
		if parity || (exact && mant%2 == 0) {
			return s, -k0 + 1
		}
	}
	D := r + p10κ/2 - δi/2
	t, ρ := D/p10κ, D%p10κ
	yru := 10*s + uint64(t)
	if ρ == 0 {
		parity, exact := dboxParity64(mant*2, φ, β)
		if parity != ((D-p10κ/2)%2 != 0) || exact && yru%2 != 0 {
			yru--
		}
	}
	return yru, -k0
}
