package ftoa

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
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
		d, e10, _ = dbox64(mant, be)
	} else if d, e10 = near64(mant, be); d == 0 {
		d, e10, _ = dbox64(mant, be)
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
