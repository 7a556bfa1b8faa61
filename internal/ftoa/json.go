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
}

var styles = [2]style{
	Python: {lo32: 1e-4, hi32: 1e16, lo64: 1e-4, hi64: 1e16},
	JSON:   {lo32: f32(1e-6), hi32: f32(1e21), lo64: 1e-6, hi64: 1e21, shortExp: true},
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
		d, e10 = dbox32Tab(mant, &pow32Tab[e])
	} else {
		d, e10 = dboxRaw32(mant, int(e)-127-float32MantBits)
	}
	nd := digitCount(uint64(d))
	if nd > 9 {
		return putOther(out, float64(f), 32, p) // not reached: a float32 needs at most 9 digits
	}
	// d with zeros after it to 9 digits, its first digit non-zero, as
	// bytes 0-8 of (lo, hi), the first digit in the lowest byte.
	d *= uint32(pow10u64[(9-nd)&31])
	a := d / 1e8
	w := eightDigits(uint64(d - a*1e8))
	lo, hi := uint64(a)|w<<8, w>>56
	n := 8 - bits.LeadingZeros64(lo)>>3 // the significant digits
	if hi != 0 {
		n = 9
	}
	lo |= asciiZeros
	hi |= asciiZeros

	neg := int(u >> 31)
	out[0] = '-'
	o := out[neg:]
	abs := float64(math.Float32frombits(u &^ (1 << 31)))
	dp := nd + e10 // the decimal point's place among the digits
	switch {
	case abs < p.lo32 || abs >= p.hi32:
		return neg + putExp2(o, lo, hi, n, dp-1, p.shortExp)
	case dp <= 0: // 0.000ddd
		binary.LittleEndian.PutUint64(o, zeroPoint)
		binary.LittleEndian.PutUint64(o[2-dp:], lo)
		binary.LittleEndian.PutUint64(o[10-dp:], hi)
		return neg + 2 - dp + n
	case dp < n: // ddd.ddd
		binary.LittleEndian.PutUint64(o, lo)
		binary.LittleEndian.PutUint64(o[8:], hi)
		tlo, thi := shr128(lo, hi, uint(dp)*8)
		binary.LittleEndian.PutUint64(o[dp+1:], tlo)
		binary.LittleEndian.PutUint64(o[dp+9:], thi)
		o[dp] = '.'
		return neg + n + 1
	}
	// ddd000.0: the digits, the zeros after them, ".0".
	binary.LittleEndian.PutUint64(o, lo)
	binary.LittleEndian.PutUint64(o[8:], hi)
	binary.LittleEndian.PutUint64(o[16:], asciiZeros)
	o[dp], o[dp+1] = '.', '0'
	return neg + dp + 2
}

// pow10u64[i] is 10^i.
var pow10u64 = func() (t [32]uint64) {
	p := uint64(1)
	for i := range 20 {
		t[i] = p
		p *= 10
	}
	for i := 20; i < len(t); i++ {
		t[i] = math.MaxUint64
	}
	return t
}()

// digitCount returns the number of decimal digits of x > 0.
func digitCount(x uint64) int {
	t := (bits.Len64(x) * 1233) >> 12 // log10 of x's top bit, rounded down
	if x < pow10u64[t&31] {
		return t
	}
	return t + 1
}

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
// computing them per number.
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
			return s, int(t.e10) + 1
		}
		s--
		r = p10κ * 10
	} else if r == δi {
		parity, exact := parity32(mant*2-1, φ, β)
		if parity || (exact && mant%2 == 0) {
			return s, int(t.e10) + 1
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
	d, e10 := dboxRaw64(u&(1<<float64MantBits-1)|1<<float64MantBits, exp-1023-float64MantBits)
	if d >= 1e17 {
		return putOther(out, f, 64, p) // not reached: a float64 needs at most 17 digits
	}
	// The 17 digits of d (leading zeros included) as bytes 0-16 of (lo,
	// mid, hi), the first digit in the lowest byte.
	a := d / 1e16
	r := d - a*1e16
	b := r / 1e8
	wb, wc := eightDigits(b), eightDigits(r-b*1e8)
	lo, mid, hi := a|wb<<8, wb>>56|wc<<8, wc>>56
	var lead int
	switch {
	case lo != 0:
		lead = bits.TrailingZeros64(lo) >> 3
	case mid != 0:
		lead = 8 + bits.TrailingZeros64(mid)>>3
	default:
		lead = 16
	}
	var trail int
	switch {
	case hi != 0:
	case mid != 0:
		trail = 1 + bits.LeadingZeros64(mid)>>3
	default:
		trail = 9 + bits.LeadingZeros64(lo)>>3
	}
	nd := 17 - lead - trail
	e10 += trail
	lo, mid, hi = shr192(lo, mid, hi, lead)
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

// eightDigits returns the 8 decimal digits of x < 1e8 (leading zeros
// included) as the bytes of a word, the first digit in the lowest byte,
// each as its value 0-9: four numbers of two digits, then eight of one,
// split in parallel within the word.
func eightDigits(x uint64) uint64 {
	hi := x / 10000
	v := hi | (x-hi*10000)<<32 // abcd | efgh<<32
	q := (v * 10486 >> 20) & 0x0000007f_0000007f
	v = q | (v-q*100)<<16 // ab | cd<<16 | ef<<32 | gh<<48
	q = (v * 103 >> 10) & 0x000f_000f_000f_000f
	return q | (v-q*10)<<8
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
