// Package ftoa prints floats the way strconv.AppendFloat(b, f, 'e' or 'f',
// -1, 32 or 64) does — the shortest decimal that reads back as the same
// float32 or float64 — in about half its time.
//
// The digits come from the same algorithm as Go's (Dragonbox, copied from
// Go 1.26's internal/strconv in dragonbox.go); what is saved is strconv's
// general path around it: its decimal buffer, the per-digit formatting
// loops and the checks for formats and precisions berth never asks for.
// The encoders of scoring responses (api/scoring, api/oip via
// internal/jsonw) print every element of an output tensor through the JSON
// writers in json.go (AppendFloat32/64 and the list writers), so they set
// their speed; those find the digits first with near32/near64 (Żmij's
// choice between the candidates from one multiplication, shortest.go) and ask
// Dragonbox only where that cannot decide. FuzzAppend and
// TestFloat32Sample check them against strconv bit for bit; anything
// other than a finite float in 'e' or 'f' goes to strconv itself.
package ftoa

import (
	"math"
	"strconv"
)

// Append appends f as strconv.AppendFloat(dst, f, format, -1, bitSize)
// would: format is 'e' or 'f', bitSize 32 or 64 (for 32, f must hold a
// float32's value).
func Append(dst []byte, f float64, format byte, bitSize int) []byte {
	var (
		neg    bool
		d      uint64
		e10    int
		zeros  bool // d may end in zeros
		isZero bool
	)
	switch {
	case format != 'e' && format != 'f':
		return strconv.AppendFloat(dst, f, format, -1, bitSize)
	case bitSize == 32:
		bits := math.Float32bits(float32(f))
		neg = bits>>31 != 0
		exp := int(bits>>float32MantBits) & 0xff
		mant := bits & (1<<float32MantBits - 1)
		switch exp {
		case 0xff:
			return strconv.AppendFloat(dst, f, format, -1, bitSize)
		case 0:
			exp++
		default:
			mant |= 1 << float32MantBits
		}
		if mant == 0 {
			isZero = true
			break
		}
		d, e10, zeros = dbox32(mant, exp-127-float32MantBits)
	case bitSize == 64:
		bits := math.Float64bits(f)
		neg = bits>>63 != 0
		exp := int(bits>>float64MantBits) & 0x7ff
		mant := bits & (1<<float64MantBits - 1)
		switch exp {
		case 0x7ff:
			return strconv.AppendFloat(dst, f, format, -1, bitSize)
		case 0:
			exp++
		default:
			mant |= 1 << float64MantBits
		}
		if mant == 0 {
			isZero = true
			break
		}
		d, e10, zeros = dbox64(mant, exp-1023-float64MantBits)
	default:
		return strconv.AppendFloat(dst, f, format, -1, bitSize)
	}
	if zeros {
		var n int
		d, n = trimZeros(d)
		e10 += n
	}
	if neg {
		dst = append(dst, '-')
	}
	if isZero {
		if format == 'e' {
			return append(dst, "0e+00"...)
		}
		return append(dst, '0')
	}
	var buf [48]byte
	i := putDigits(&buf, d)
	nd := len(buf) - i
	dp := nd + e10 // the decimal point's place in the digits
	switch {
	case format == 'e':
		return appendE(dst, buf[i:], dp)
	case 0 < dp && dp < nd:
		// ddd.ddd: the integer digits one place left, the point after them.
		for j := i; j < i+dp; j++ {
			buf[j-1] = buf[j]
		}
		buf[i-1+dp] = '.'
		return append(dst, buf[i-1:]...)
	case dp <= 0 && dp > -(len(buf)-nd-2):
		// 0.000ddd
		for ; dp < 0; dp++ {
			i--
			buf[i] = '0'
		}
		i -= 2
		buf[i], buf[i+1] = '0', '.'
		return append(dst, buf[i:]...)
	}
	return appendF(dst, buf[i:], dp)
}

// appendE writes d.ddde±XX, as strconv's fmtE does for the shortest digits.
func appendE(dst, digits []byte, dp int) []byte {
	dst = append(dst, digits[0])
	if len(digits) > 1 {
		dst = append(dst, '.')
		dst = append(dst, digits[1:]...)
	}
	exp := dp - 1
	sign := byte('+')
	if exp < 0 {
		sign = '-'
		exp = -exp
	}
	dst = append(dst, 'e', sign)
	switch {
	case exp < 10:
		return append(dst, '0', byte(exp)+'0')
	case exp < 100:
		return append(dst, pairs[2*exp], pairs[2*exp+1])
	}
	return append(dst, byte(exp/100)+'0', pairs[2*(exp%100)], pairs[2*(exp%100)+1])
}

// appendF writes the digits with no exponent, as strconv's fmtF does for
// the shortest digits, in the cases Append does not write itself.
func appendF(dst, digits []byte, dp int) []byte {
	nd := len(digits)
	switch {
	case dp <= 0:
		dst = append(dst, '0', '.')
		for ; dp < 0; dp++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	case dp >= nd:
		dst = append(dst, digits...)
		for ; dp > nd; dp-- {
			dst = append(dst, '0')
		}
		return dst
	}
	dst = append(dst, digits[:dp]...)
	dst = append(dst, '.')
	return append(dst, digits[dp:]...)
}

// putDigits writes d's decimal digits at the end of buf, two at a time,
// and returns where they start.
func putDigits(buf *[48]byte, d uint64) int {
	i := len(buf)
	for d >= 100 {
		q := d / 100
		r := d - q*100
		i -= 2
		buf[i], buf[i+1] = pairs[2*r], pairs[2*r+1]
		d = q
	}
	if d >= 10 {
		i -= 2
		buf[i], buf[i+1] = pairs[2*d], pairs[2*d+1]
		return i
	}
	i--
	buf[i] = byte(d) + '0'
	return i
}

const pairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"
