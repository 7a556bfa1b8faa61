package jsonscan

import (
	"math"
	"math/bits"
	"unsafe"
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
// runs of numbers. The common number (a sign, a short integer part, a
// fraction of up to 19 significant digits, no exponent) is read by
// fastFloat, which leaves the rest to [Float]; and the white space
// between elements, which a pretty-printed body repeats for every element
// of a list (a newline and the indent), is matched a word at a time
// against the gap before the previous element. FuzzFloats checks that
// the result is that of one [Float] per element.
func Floats[T Text, F float32 | float64](b T, i int, dst []F, limit float64) (n, next int, closed bool) {
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
	return floats(s, i, dst, limit)
}

func floats[F float32 | float64](s string, i int, dst []F, limit float64) (n, next int, closed bool) {
	var g gap
	for n < len(dst) {
		i = g.skip(s, i)
		f, end, ok := fastFloat(s, i)
		if !ok {
			var exact bool
			var p Problem
			f, _, end, exact, p = Float(s, i)
			if p != 0 || !exact {
				return n, i, false
			}
		}
		v := F(f)
		if a := float64(v); a > limit || -a > limit {
			return n, i, false
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
			dst[n] = v
			n++
			i = j + 1
		case ']':
			dst[n] = v
			return n + 1, j + 1, true
		default:
			return n, i, false
		}
	}
	return n, SkipSpace(s, i), false
}

const spaces8 = 0x2020202020202020

// gap is the white space between elements of a run, learnt from one gap
// and matched against the next: json.dumps(indent=...) writes the same
// newline and indent before every element of a list.
type gap struct {
	n      int    // its length, 1 to 16; 0 while unknown or unusable
	w0, w1 uint64 // its bytes as load8 reads them at 0 and n-8
}

// skip returns the offset of the first byte at or after i that is not
// white space.
func (g *gap) skip(s string, i int) int {
	if g.n > 0 && i+16 < len(s) && !isSpace(s[i+g.n]) {
		if g.n < 8 {
			if (load8(s, i)^g.w0)&(1<<(8*uint(g.n))-1) == 0 {
				return i + g.n
			}
		} else if load8(s, i) == g.w0 && load8(s, i+g.n-8) == g.w1 {
			return i + g.n
		}
	}
	j := skipSpaceWords(s, i)
	if k := j - i; k > 0 && k <= 16 && i+16 < len(s) {
		g.n, g.w0 = k, load8(s, i)
		if k >= 8 {
			g.w1 = load8(s, i+k-8)
		}
	} else {
		g.n = 0
	}
	return j
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// skipSpaceWords is SkipSpace eight spaces at a time.
func skipSpaceWords(s string, i int) int {
	for {
		if i+8 <= len(s) {
			x := load8(s, i) ^ spaces8
			if x == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(x) >> 3
		}
		if i < len(s) && isSpace(s[i]) {
			i++
			continue
		}
		return i
	}
}

// fastFloat converts the common JSON number at i: -?(0|[1-9]\d*)(\.\d+)?
// with at most 19 significant digits and no exponent, not too close to
// the end of s. ok is false for anything else (and for a value the fast
// algorithms cannot decide), which [Float] then reads. Where ok is true,
// f and end are what [Float] gives.
func fastFloat(s string, i int) (f float64, end int, ok bool) {
	if i+32 > len(s) {
		return 0, 0, false
	}
	// Branch-free where the data is random: the sign, the count of
	// leading zeros and of the last digits vary from number to number.
	neg := (uint64(s[i]^'-') - 1) >> 63 // 1 for '-'
	i += int(neg)
	var man uint64
	nd := 0 // significant digits in man
	switch c := s[i]; {
	case c == '0':
		i++
	case c-'1' < 9:
		for c-'0' <= 9 { // at most 20 bytes: within the 32
			if nd == 19 {
				return 0, 0, false
			}
			man = man*10 + uint64(c-'0')
			nd++
			i++
			c = s[i]
		}
	default:
		return 0, 0, false
	}
	exp10 := 0 // man × 10^exp10
	if s[i] == '.' {
		i++
		if man == 0 { // 0.000123: leading zeros only move the point
			for i < len(s) && s[i] == '0' {
				exp10--
				i++
			}
		}
		d := i
		for nd <= 19-8 && i+8 <= len(s) {
			v := load8(s, i)
			if !eightDigits(v) {
				break
			}
			man = man*1e8 + parse8(v)
			nd += 8
			i += 8
		}
		for i < len(s) && s[i]-'0' <= 9 {
			if nd >= 19 {
				return 0, 0, false
			}
			man = man*10 + uint64(s[i]-'0')
			nd++
			i++
		}
		if i == d && s[d-1] == '.' {
			return 0, 0, false // no digit after '.'
		}
		exp10 -= i - d
	}
	if i >= len(s) || s[i] == 'e' || s[i] == 'E' {
		return 0, 0, false
	}
	if man < 1<<53 && exp10 >= -22 {
		f = float64(man) / exactPow10[-exp10]
		return math.Float64frombits(math.Float64bits(f) | neg<<63), i, true
	}
	if man == 0 { // 0.000…0 with more than 22 zeros
		return math.Float64frombits(neg << 63), i, true
	}
	if f, ok = eiselLemire64(man, exp10, neg != 0); ok {
		return f, i, true
	}
	if exp10 >= -27 && man%pow5[-exp10] == 0 {
		if q := man / pow5[-exp10]; q < 1<<53 {
			f = math.Ldexp(float64(q), exp10)
			return math.Float64frombits(math.Float64bits(f) | neg<<63), i, true
		}
	}
	return 0, 0, false
}
