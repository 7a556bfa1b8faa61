package jsonscan

import (
	"math"
	"math/bits"

	"github.com/berthml/berth/internal/pow10"
)

// Float scans the JSON number at i (white space first is allowed), as
// [Number] does, and converts it as it goes. When exact is true, f is
// what strconv.ParseFloat(text, 64) returns for the number's text; when
// it is false (more than 19 significant digits, an exponent outside
// float64's range, or one of the rare inputs the fast algorithm cannot
// decide) the caller converts b[start:end] with strconv.ParseFloat. On a
// problem, start, end and p are those of [Number].
//
// One pass over the digits: the scan that checks the grammar also
// accumulates the mantissa and the exponent, then Clinger's exact path
// (a mantissa below 2^53 with a power of ten up to 10^22) or the
// Eisel-Lemire algorithm (Go's strconv uses the same) turns them into the
// correctly rounded float64. FuzzFloat checks every result bit for bit
// against strconv.ParseFloat.
func Float[T Text](b T, i int) (f float64, start, end int, exact bool, p Problem) {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	start = i
	neg := false
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	var man uint64
	nd := 0    // significant digits in man
	exp10 := 0 // man × 10^exp10, before the exponent part
	exact = true
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if nd < 19 {
				man = man*10 + uint64(b[i]-'0')
				nd++
			} else {
				exact = false
			}
			i++
		}
	default:
		return 0, start, i, false, BadNumber
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		if man == 0 { // 0.000123: leading zeros only move the point
			for i < len(b) && b[i] == '0' {
				exp10--
				i++
			}
		}
		// Eight digits at a time while they fit in man's 19.
		for nd <= 19-8 && i+8 <= len(b) {
			v := load8(b, i)
			if !eightDigits(v) {
				break
			}
			man = man*1e8 + parse8(v)
			if man != 0 {
				nd += 8
			}
			exp10 -= 8
			i += 8
		}
		for i < len(b) {
			c := b[i] - '0'
			if c > 9 {
				break
			}
			if nd < 19 {
				man = man*10 + uint64(c)
				if man != 0 {
					nd++
				}
				exp10--
			} else {
				exact = false
			}
			i++
		}
		if i == d {
			return 0, start, i, false, BadFraction
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		d := i
		e := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			if e < 100000 {
				e = e*10 + int(b[i]-'0')
			}
			i++
		}
		if i == d {
			return 0, start, i, false, BadExponent
		}
		if eneg {
			e = -e
		}
		exp10 += e
	}
	if !exact {
		return 0, start, i, false, 0
	}
	if man == 0 {
		if neg {
			return math.Copysign(0, -1), start, i, true, 0
		}
		return 0, start, i, true, 0
	}
	if man < 1<<53 && exp10 >= -22 && exp10 <= 22 {
		f = float64(man)
		if exp10 < 0 {
			f /= exactPow10[-exp10]
		} else {
			f *= exactPow10[exp10]
		}
		if neg {
			f = -f
		}
		return f, start, i, true, 0
	}
	if f, exact = eiselLemire64(man, exp10, neg); exact {
		return f, start, i, true, 0
	}
	// Eisel-Lemire cannot decide a value that is exactly a float64 with
	// more than 53 bits of decimal mantissa, such as a float32 printed
	// in full (0.49803924560546875 = 32643 × 2^-16): strconv then takes
	// its slow big-decimal path. man × 10^-k is such a value when 5^k
	// divides man and the quotient fits 53 bits; it is then exact.
	if exp10 < 0 && exp10 >= -27 && man%pow5[-exp10] == 0 {
		if q := man / pow5[-exp10]; q < 1<<53 {
			f = math.Ldexp(float64(q), exp10)
			if neg {
				f = -f
			}
			return f, start, i, true, 0
		}
	}
	return 0, start, i, false, 0
}

// pow5[k] is 5^k, for k up to 27 (the largest below 2^64).
var pow5 = func() (t [28]uint64) {
	t[0] = 1
	for k := 1; k < len(t); k++ {
		t[k] = t[k-1] * 5
	}
	return t
}()

// load8 reads b[i:i+8] as a little-endian word.
func load8[T Text](b T, i int) uint64 {
	b = b[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// eightDigits reports whether the word's eight bytes are all '0'..'9'.
func eightDigits(v uint64) bool {
	return (v&0xF0F0F0F0F0F0F0F0)|(((v+0x0606060606060606)&0xF0F0F0F0F0F0F0F0)>>4) == 0x3333333333333333
}

// parse8 is the value of eight ASCII digits, the first in the low byte
// (Lemire's SWAR conversion, as fast_float has it).
func parse8(v uint64) uint64 {
	const mask = 0x000000FF000000FF
	v = (v & 0x0F0F0F0F0F0F0F0F) * 2561 >> 8
	return ((v&mask)*(100+(1000000<<32)) + (v>>16&mask)*(1+(10000<<32))) >> 32
}

var exactPow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// eiselLemire64 is strconv's: man × 10^exp10 correctly rounded, or false
// where 128 bits of the power cannot decide.
func eiselLemire64(man uint64, exp10 int, neg bool) (float64, bool) {
	if exp10 < pow10.MinExp10 || exp10 > pow10.MaxExp10 {
		return 0, false
	}
	clz := bits.LeadingZeros64(man)
	man <<= uint(clz)
	const bias = 1023
	retExp2 := uint64(217706*exp10>>16+64+bias) - uint64(clz)
	powHi, powLo := pow10.Mantissa(exp10)
	xHi, xLo := bits.Mul64(man, powHi)
	if xHi&0x1FF == 0x1FF && xLo+man < man {
		yHi, yLo := bits.Mul64(man, powLo)
		mergedHi, mergedLo := xHi, xLo+yHi
		if mergedLo < xLo {
			mergedHi++
		}
		if mergedHi&0x1FF == 0x1FF && mergedLo+1 == 0 && yLo+man < man {
			return 0, false
		}
		xHi, xLo = mergedHi, mergedLo
	}
	msb := xHi >> 63
	retMantissa := xHi >> (msb + 9)
	retExp2 -= 1 ^ msb
	if xLo == 0 && xHi&0x1FF == 0 && retMantissa&3 == 1 {
		return 0, false
	}
	retMantissa += retMantissa & 1
	retMantissa >>= 1
	if retMantissa>>53 > 0 {
		retMantissa >>= 1
		retExp2++
	}
	if retExp2-1 >= 0x7FF-1 {
		return 0, false
	}
	bits := retExp2<<52 | retMantissa&(1<<52-1)
	if neg {
		bits |= 1 << 63
	}
	return math.Float64frombits(bits), true
}
