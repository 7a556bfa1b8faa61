package jsonscan

import (
	"encoding/binary"
	"math"
	"math/bits"
	"unsafe"

	"github.com/berthml/berth/internal/pow10"
)

// Floats reads a run of array elements that are numbers, from i (at an
// element: just past the '[' or a ','; white space first is allowed),
// into dst, each as dst's type of [Float]'s exact float64 (a float32 is
// float32 of the float64, MLflow's and numpy's rule). It stops before the
// first element that is not a number [Float] converts exactly, whose
// converted magnitude exceeds limit (±Inf always does), or that is not
// followed by ',' or ']'; and when dst is full. n is how many it stored.
// closed says it read the array's ']': next is just past it. Otherwise
// next is the start of the element it did not read (after its white
// space), for the caller's general path, which then reads that element
// and reports any problem exactly as it would have without the run.
//
// It is the hot loop of both protocols: a tensor's innermost lists are
// runs of numbers. The common number (a sign, an integer part, a fraction
// of up to 19 significant digits, no exponent) is read by fastRun, and
// the separator between elements, which a pretty-printed body repeats
// for every element of a list (a comma, a newline and the indent), is
// learnt from one and then matched a word or two at a time, not a byte at
// a time; anything else goes through [Float] and [SkipSpace]. FuzzFloats
// checks that the result is that of one [Float] per element.
func Floats[T Text, F float32 | float64](b T, i int, dst []F, limit float64) (n, next int, closed bool) {
	var g Gap
	return FloatsGap(b, i, dst, limit, &g)
}

// Gap carries the separator between elements that [FloatsGap] learnt in
// one run of a body to the next: a tensor's innermost lists, written by
// json.dumps(indent=...), all have the same indent, and a run whose
// separator is known from its first element on is read fastest. It is
// only a guess at the bytes, checked against them before it is used, so
// any Gap gives the same results; its zero value knows nothing. One
// goroutine at a time.
type Gap struct{ sep separator }

// FloatsGap is [Floats] with the separator learnt in earlier runs (g), which
// it updates.
func FloatsGap[T Text, F float32 | float64](b T, i int, dst []F, limit float64, g *Gap) (n, next int, closed bool) {
	// One body of code for both kinds of text: a []byte is read as a
	// string over the same bytes, which nothing writes while it runs.
	var s string
	switch t := any(b).(type) {
	case string:
		s = t
	case []byte:
		s = unsafe.String(unsafe.SliceData(t), len(t))
	default: // a named type: convert (a copy; berth has none)
		s = string(b)
	}
	return floats(s, i, dst, limit, &g.sep)
}

func floats[F float32 | float64](s string, i int, dst []F, limit float64, sep *separator) (n, next int, closed bool) {
	i = SkipSpace(s, i)
	for n < len(dst) {
		// The common case, a run of numbers fastRun reads, each followed
		// by the separator learnt from the previous one.
		var f float64
		var k int
		var ok bool
		if n, i, f, k, ok = fastRun(s, i, dst, n, limit, sep); n == len(dst) {
			break
		}
		var end int
		if ok { // a number without the separator after it
			end = i + k
		} else {
			var exact bool
			var p Problem
			f, i, end, exact, p = Float(s, i) // i: the number's start, past any white space
			if p != 0 || !exact {
				return n, i, false
			}
			if math.Abs(float64(F(f))) > limit {
				return n, i, false
			}
		}
		j := end
		if j < len(s) && s[j] != ',' && s[j] != ']' {
			j = SkipSpace(s, j)
		}
		if j >= len(s) {
			return n, i, false
		}
		switch s[j] {
		case ',':
			dst[n] = F(f)
			n++
			i = SkipSpace(s, j+1)
			sep.learn(s, end, i)
		case ']':
			dst[n] = F(f)
			return n + 1, j + 1, true
		default:
			return n, i, false
		}
	}
	return n, SkipSpace(s, i), false
}

// fastRun stores the elements of a run from i into dst from n while each
// is a common number within limit followed by the separator, and returns
// the counts after them. It stops at the start of an element it does not
// store: ok says that element is a common number, f, k bytes long, that
// is not followed by the separator (the caller reads what follows);
// otherwise the caller reads the element.
//
// The common number is -?(0|[1-9]\d*)(\.\d+)? with at most 19 significant
// digits, fewer than 32 zeros after "0." and no exponent, window bytes
// or more from the end of s; where ok is true, f is what [Float] gives.
// Its sign is read without a branch (its value is random, a branch on it
// mispredicted for half the numbers), the fraction eight digits at a
// time, then Clinger's exact division or Eisel-Lemire; anything else
// (and a value those cannot decide) is left to the caller.
//
// The loop is one function, Eisel-Lemire written out in it and the bytes
// read through a pointer with the bounds checked once per element, so
// that its state stays in registers instead of being saved around calls:
// about 207 instructions per number of MLflow's pretty-printed float32
// examples, against 325 for a call of Float's fast path per element.
func fastRun[F float32 | float64](s string, i int, dst []F, n int, limit float64, sep *separator) (_, _ int, f float64, k int, ok bool) {
	last := len(s) - window // the loop may read window bytes from i
	base := unsafe.Pointer(unsafe.StringData(s))
	// The loop's numbers are below 10^19 in magnitude: a limit above
	// that (float32's and float64's) needs no check.
	checkLimit := limit < 1e19
	for ; n < len(dst) && i >= 0 && i <= last; n++ {
		p := unsafe.Add(base, i)
		neg := (uint64(at(p, 0)^'-') - 1) >> 63 // 1 for '-'
		k = int(neg)
		// man holds the digits; it has no leading zeros, so man < 10^(19-j)
		// says that j more digits keep it within 19 (and within uint64).
		var man uint64
		switch c := at(p, k); {
		case c == '0':
			k++
		case c-'1' < 9:
			for c-'0' <= 9 {
				if man >= 1e18 {
					return n, i, 0, 0, false
				}
				man = man*10 + uint64(c-'0')
				k++
				c = at(p, k)
			}
		default:
			return n, i, 0, 0, false
		}
		pt := k // the fraction's first digit; exp10 is pt-k at the end
		if at(p, k) == '.' {
			k++
			pt = k
			if man == 0 { // 0.000123: leading zeros only move the point
				for at(p, k) == '0' {
					if k-pt == 32 {
						return n, i, 0, 0, false
					}
					k++
				}
			}
			if v := word(p, k); man < 1e11 && eightDigits(v) {
				man = man*1e8 + parse8(v)
				k += 8
				if v = word(p, k); man < 1e11 && eightDigits(v) {
					man = man*1e8 + parse8(v)
					k += 8
				}
			}
			for c := at(p, k); c-'0' <= 9; c = at(p, k) {
				if man >= 1e18 {
					return n, i, 0, 0, false
				}
				man = man*10 + uint64(c-'0')
				k++
			}
			if k == pt {
				return n, i, 0, 0, false // no digit after '.'
			}
		}
		if at(p, k)|0x20 == 'e' {
			return n, i, 0, 0, false
		}
		exp10 := pt - k // man × 10^exp10
		if man < 1<<53 && uint(-exp10) < uint(len(exactPow10)) {
			f = float64(man) / exactPow10[-exp10]
			f = math.Float64frombits(math.Float64bits(f) | neg<<63)
		} else {
			// eiselLemire64 written out, without the rare second
			// multiplication it may need (then the general path
			// decides): exp10 is within [-51, 0], and man × 10^exp10
			// far from float64's subnormals and overflow.
			if man == 0 {
				return n, i, 0, 0, false
			}
			clz := bits.LeadingZeros64(man)
			m := man << uint(clz)
			hi, _ := pow10.Mantissa(exp10)
			xHi, xLo := bits.Mul64(m, hi)
			msb := xHi >> 63
			mant := xHi >> (msb + 9)
			if xHi&0x1FF == 0x1FF && xLo+m < m || xLo == 0 && xHi&0x1FF == 0 && mant&3 == 1 {
				return n, i, 0, 0, false
			}
			e2 := uint64(217706*exp10>>16+64+1023) - uint64(clz) - (1 ^ msb)
			mant += mant & 1
			mant >>= 1
			if mant>>53 > 0 {
				mant >>= 1
				e2++
			}
			f = math.Float64frombits(e2<<52 | mant&(1<<52-1) | neg<<63)
		}
		// stored, if within limit and followed by the separator
		v := F(f)
		if checkLimit && math.Abs(float64(v)) > limit {
			return n, i, 0, 0, false
		}
		if sep.n == 0 || (word(p, k)^sep.w0)&sep.m0|(word(p, k+sep.off)^sep.w1)&sep.m1 != 0 {
			return n, i, f, k, true
		}
		dst[n] = v
		i += k + sep.n
	}
	return n, i, 0, 0, false
}

// window is how many bytes from a number's start fastRun may read: the
// longest number it accepts ("0.", 31 zeros and 19 digits, or a sign and
// 19 digits), the word past its digits and the separator's 16 bytes after
// it fit.
const window = 80

// separator is what lies between two elements of a run, from the end of
// one to the start of the next (a comma and white space), learnt from
// one and matched against the next: json.dumps(indent=...) writes the
// same newline and indent before every element of a list.
type separator struct {
	n      int    // its length, 1 to 16; 0 while unknown or unusable
	off    int    // where the second word is read: n-8, or 0
	w0, w1 uint64 // its bytes as load8 reads them at 0 and off, masked
	m0, m1 uint64 // which of a word's bytes belong to it
}

// learn records s[end:next] as the separator, or forgets it where it is
// too long.
func (p *separator) learn(s string, end, next int) {
	k := next - end
	if k < 1 || k > 16 || end+16 > len(s) {
		p.n = 0
		return
	}
	p.n, p.m0, p.off, p.m1 = k, math.MaxUint64, 0, 0
	if k < 8 {
		p.m0 = 1<<(8*uint(k)) - 1
	} else {
		p.off, p.m1 = k-8, math.MaxUint64
	}
	p.w0, p.w1 = load8(s, end)&p.m0, load8(s, end+p.off)&p.m1
}

// at is the byte at p+k, word the eight at p+k as load8 reads them: the
// caller has checked that they are within the text.
func at(p unsafe.Pointer, k int) byte { return *(*byte)(unsafe.Add(p, k)) }

func word(p unsafe.Pointer, k int) uint64 {
	return binary.LittleEndian.Uint64((*[8]byte)(unsafe.Add(p, k))[:])
}
